// A real OpenID Connect provider for the SSO tests: the certified `oidc-provider`, with its
// development login and consent pages (any password is accepted for a known account).
//
//   node oidc-idp.mjs <config.json>
//
// config.json (written by the pytest fixture, tests/sso/idp.py):
//   {"port": 5123, "issuer": "http://127.0.0.1:5123",
//    "jwk": {private signing key; the fixture makes a new one per instance, so a second
//            instance signs with another key},
//    "clients": [{"client_id", "client_secret", "redirect_uris", "post_logout_redirect_uris"}],
//    "accounts": "/path/accounts.json",
//    "published_jwks": {optional: keys to publish instead of the signing key's}}
// accounts.json, read at every sign-in so a test can change someone's groups:
//   {"dora": {"email": "...", "email_verified": true, "preferred_username": "dora",
//             "groups": ["design-leads"]}}
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = () => JSON.parse(readFileSync(config.accounts, 'utf8'));

const provider = new Provider(config.issuer, {
  clients: config.clients.map((client) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    ...client,
  })),
  jwks: { keys: [config.jwk] },
  cookies: { keys: ['oidc-idp-test-cookie-key'] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['preferred_username', 'name'],
    groups: ['groups'],
  },
  // Groups and the rest in the ID token too, as Okta or Keycloak can be set to send them.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  async findAccount(ctx, sub) {
    const account = accounts()[sub];
    if (!account) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...account }) };
  },
});

// A forger (config.published_jwks): the keys it publishes are not the ones it signs with,
// as when someone else's key signs tokens this provider's name is on.
if (config.published_jwks) {
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/jwks') ctx.body = config.published_jwks;
  });
}

// Why the provider refused something, in its log (the tests print it when they fail).
for (const event of ['end_session.error', 'grant.error', 'authorization.error', 'server_error']) {
  provider.on(event, (ctx, error) => console.log(event, error.message, error.error_detail ?? '', error.cause?.message ?? ''));
}

provider.listen(config.port, '127.0.0.1', () => {
  console.log(`oidc-idp listening on ${config.issuer}`);
});
