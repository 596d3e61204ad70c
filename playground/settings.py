"""Django settings for Playground: one module, driven by the environment.

Every variable is listed, with a comment, in `.env.example`. `DEBUG` is off unless asked
for; `make run` turns on what local development needs.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from playground.lib.crypto import configured_keys
from playground.lib.csp import content_security_policy, origin_of
from playground.lib.env import (
    envbool,
    envchoice,
    envendpoints,
    envfloat,
    envint,
    envlist,
    envorigins,
    envstr,
)
from playground.sso.oidc.config import allauth_providers as oidc_allauth_providers
from playground.sso.oidc.config import providers_from_env as oidc_providers_from_env
from playground.sso.saml.config import form_action_origins as saml_form_action_origins
from playground.sso.saml.config import idps_from_env as saml_idps_from_env
from playground.storage.config import default_storage_from_env

BASE_DIR = Path(__file__).resolve().parent.parent
# Runtime state of a self-hosted install (SQLite db, media, generated secret) lives here.
DATA_DIR = Path(envstr("DATA_DIR", str(BASE_DIR / "var")))


def _persistent_secret(name: str) -> str:
    """A random secret created once per install and kept in DATA_DIR.

    A fresh machine must work without hand-written secrets, yet sessions must survive a
    restart, so the secret is generated on first start and reused afterwards.
    """
    path = DATA_DIR / name
    if path.exists():
        return path.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(50)
    # Created with mode 600 in one step: a chmod afterwards would leave a moment in which
    # other users of the machine could read it. O_EXCL: two processes starting at once
    # must not each write a different secret.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


DEBUG = envbool("DEBUG", False)
SECRET_KEY = envstr("SECRET_KEY") or _persistent_secret("secret_key")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
PUBLIC_BASE_URL = envstr("PUBLIC_BASE_URL").rstrip("/")
# Encrypts stored fal keys (Fernet). Several keys, comma-separated: the first encrypts, all
# decrypt (`manage.py rotate_keys` moves everything to the first). Unset: derived from
# SECRET_KEY, so rotating SECRET_KEY makes stored keys unreadable (they must be re-entered).
FIELD_ENCRYPTION_KEY = envstr("FIELD_ENCRYPTION_KEY")
configured_keys(FIELD_ENCRYPTION_KEY)  # a malformed key stops the start, not a request
# Who may create an account: open (anyone), invite (with an invitation link), closed. The
# first account of an install can always be made (it becomes the administrator).
SIGNUP = envchoice("SIGNUP", ("open", "invite", "closed"), "open" if DEBUG else "invite")

# Behind TLS (directly or via a proxy) set HTTPS=1: secure cookies, redirects and HSTS.
HTTPS = envbool("HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
# Both reach beyond this server (every subdomain; browsers' built-in lists, slow to leave):
# only on request, never implied by HTTPS=1.
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("HSTS_PRELOAD", False)
# `check --deploy` would warn that both are off (W005, W021): off is this install's choice.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
# Behind a reverse proxy: trust its X-Forwarded-Proto, and take the client's address from
# the last X-Forwarded-For entry (the one the proxy added) for log-in throttling.
BEHIND_PROXY = envbool("BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "csp",
    "django_htmx",
    "template_partials",
    "playground.core",
    "playground.accounts",
    "playground.catalog",
    "playground.localfal",
    "playground.jobs",
    "playground.gallery",
    "playground.realtime",
    "playground.gateway",
    "playground.usage",
    "playground.activity",
    "playground.limits",
    "playground.demo",
    "playground.experiments",
    "playground.sso",
    "playground.sso.saml",
    # Single sign-on's OpenID Connect flow only (playground/sso/oidc/): our own pages stay
    # the sign-in, sign-up and password pages; allauth's account app is needed for its models.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "playground.storage",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "playground.lib.middleware.AsyncWhiteNoiseMiddleware",
    "playground.lib.csp.AsyncCSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Last: turns a log-in refused for too many failures into our page saying when to retry.
    "axes.middleware.AxesMiddleware",
]

# `manage.py localfal` serves the emulator alone by swapping the URLconf.
ROOT_URLCONF = envstr("ROOT_URLCONF", "playground.urls")
ASGI_APPLICATION = "playground.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "playground.core.context_processors.backend",
                "playground.accounts.context_processors.signup",
                "playground.limits.context_processors.budget_notices",
            ],
        },
    },
]

# Database: SQLite in DATA_DIR by default; DATABASE_URL (e.g. postgres://...) switches.
DATABASE_URL = envstr("DATABASE_URL")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)
    if DATABASE_URL
    else {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "db.sqlite3",
        "TEST": {"NAME": DATA_DIR / "test.sqlite3"},
    }
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets readers proceed while the runner writes; IMMEDIATE avoids "database is
    # locked" errors when a read transaction later wants to write.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Channel layer and cache: in-memory by default (one process); Redis with REDIS_URL.
REDIS_URL = envstr("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # A read timeout longer than the layer's 5 s blocking pop: an equal one (redis-py
            # 8's default) makes idle receivers time out and drop their sockets.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 30}]},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "playground.lib.channels.InProcessChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses every log-in (even a right password) while the person or address is
    # locked out after too many failures.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Log-in throttling (django-axes), on our login page and the admin's: after
# LOGIN_FAILURE_LIMIT failures for one username, or from one address, log-ins are refused
# for LOGIN_COOLOFF_MINUTES (each refused try starts the wait again).
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envfloat("LOGIN_COOLOFF_MINUTES", 15.0))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_LOCKOUT_CALLABLE = "playground.accounts.throttle.locked_out"
AXES_CLIENT_IP_CALLABLE = "playground.accounts.throttle.client_ip"
# Failures are what matters; a row per successful log-in would only grow.
AXES_DISABLE_ACCESS_LOG = True
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(DATA_DIR / "media")))
# Media (outputs, thumbnails, the emulator's files): MEDIA_ROOT on local disk, or a private
# S3-compatible bucket with STORAGE_URL (or AWS_STORAGE_BUCKET_NAME...) for more than one
# machine (playground/storage/config.py). Either way the app serves them at MEDIA_URL.
STORAGES = {
    "default": default_storage_from_env(os.environ),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Request bodies. Every route but file uploads and the fal webhook takes at most
# DATA_UPLOAD_MAX_MEMORY_SIZE (lib/bodylimit.py refuses more before it is read); uploaded
# files above FILE_UPLOAD_MAX_MEMORY_SIZE go to a temporary file, not memory. Our largest
# forms (the gallery's bulk actions, 200 cards) stay under the field count.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # 2.5 MB
# The gateway forwards model inputs (data URIs included) up to this size, and waits this
# long for fal unless a caller sets x-fal-request-timeout.
GATEWAY_MAX_BODY_BYTES = envint("GATEWAY_MAX_BODY_BYTES", 32 * 1024 * 1024)
GATEWAY_TIMEOUT_SECONDS = float(envint("GATEWAY_TIMEOUT_SECONDS", 300))
# Polls and other follow-ups of a logged request are counted in memory and written this
# many seconds later, in one batch (0: at once); see gateway/tally.py.
GATEWAY_LOG_FLUSH_SECONDS = envfloat("GATEWAY_LOG_FLUSH_SECONDS", 1.0)
# Seconds the gateway trusts what it checked for a caller without asking the database
# again: the access token, the fal key, that a request is theirs (lib/memo.py).
# Another process's revocation, key change or role change takes effect within this.
# 0: every call asks.
GATEWAY_CACHE_SECONDS = envfloat("GATEWAY_CACHE_SECONDS", 5.0)
# When set (e.g. "X-Fal-Tags"), calls through the gateway carry this header with who made
# them ("source:playground,entrance:gateway,user:12,team:3,token:7"); callers cannot set it.
GATEWAY_TAGS_HEADER = envstr("GATEWAY_TAGS_HEADER", "")
# Requests a minute by tier, as fal's (limits/): Playground runs, proxy and gateway calls
# alike (polls of an accepted request are free). Counted in Redis with REDIS_URL (shared by
# every process), else in memory. Enterprise people have their own number (set_tier --limit).
RATE_LIMITS_ENABLED = envbool("RATE_LIMITS_ENABLED", True)
RATE_LIMIT_ANONYMOUS = envint("RATE_LIMIT_ANONYMOUS", 20)
RATE_LIMIT_SIGNED_IN = envint("RATE_LIMIT_SIGNED_IN", 100)
RATE_LIMIT_PRO = envint("RATE_LIMIT_PRO", 500)
# Seconds a unit price is kept in memory (usage/prices.py): an admin's change reaches other
# processes within this. 0: every costed request reads it.
PRICE_CACHE_SECONDS = envfloat("PRICE_CACHE_SECONDS", 30.0)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 10

EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        "httpx": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        # Failed log-ins and lock-outs are warnings; every successful log-in is not news.
        "axes": {"level": "WARNING"},
        # 4xx answers (e.g. 422 while someone types into a form) are not server problems.
        "django.request": {"level": "ERROR"},
        # pysaml2 logs people's NameIDs and attributes at INFO; xmlschema its start-up.
        "saml2": {"level": "WARNING"},
        "xmlschema": {"level": "WARNING"},
    },
}

# --- fal -------------------------------------------------------------------------------
# FAL_KEY set (or FAL_MODE=fal) talks to fal.ai; otherwise the embedded emulator answers.
FAL_KEY = envstr("FAL_KEY")
FAL_MODE = envchoice("FAL_MODE", ("local", "fal"), "fal" if FAL_KEY else "local")
# Whether runs, uploads and realtime of people (and teams) without a fal key of their own
# use the server's FAL_KEY. Off: they must add a key; the server's is used by nobody.
SERVER_KEY_FALLBACK = envbool("SERVER_KEY_FALLBACK", True)
# The one key the embedded emulator accepts (`Authorization: Key <LOCALFAL_KEY>`). Unset: a
# random key generated once into DATA_DIR, which this server's runner, uploads and realtime
# relay use; nobody else knows it, so the emulator is no free compute for strangers.
LOCALFAL_KEY_FROM_ENV = bool(envstr("LOCALFAL_KEY"))
LOCALFAL_KEY = envstr("LOCALFAL_KEY") or _persistent_secret("localfal_key")
# An emulator elsewhere (e.g. `manage.py localfal` on another port, or the web server's for a
# separate `runjobs` worker). Unset: the web process talks to its own emulator at the address
# it is bound to, whatever the port (localfal/address.py).
LOCALFAL_URL = envstr("LOCALFAL_URL").rstrip("/")
FAL_TIMEOUT_SECONDS = envfloat("FAL_TIMEOUT_SECONDS", 30.0)
FAL_MAX_RETRIES = envint("FAL_MAX_RETRIES", 5)

# Content-Security-Policy of every page (playground/lib/csp.py). In local mode the
# emulator's origin may serve pictures too (added per response: it is learned at run time).
CONTENT_SECURITY_POLICY = content_security_policy(fal_mode=FAL_MODE == "fal")

# --- the embedded emulator ---------------------------------------------------------------
# Mounted by default in local mode; with a real fal key it is off unless asked for.
LOCALFAL_ENABLED = envbool("LOCALFAL_ENABLED", FAL_MODE == "local")
LOCALFAL_RUNNERS = envint("LOCALFAL_RUNNERS", 2)
# Multiplies every simulated duration: 1.0 feels like a real model, 0.01 suits tests.
LOCALFAL_SPEED = envfloat("LOCALFAL_SPEED", 1.0)
# Fault rules applied to every call, same grammar as the X-Localfal-Fault header.
LOCALFAL_FAULTS = envstr("LOCALFAL_FAULTS")
# Whether callers may inject faults with the X-Localfal-Fault header (tests, demos). Off in
# production: a caller could otherwise slow or fail other people's requests at will.
LOCALFAL_FAULTS_ALLOWED = envbool("LOCALFAL_FAULTS_ALLOWED", DEBUG)
# `/localfal/_emulator/requests` (every request it was asked to run): development only.
LOCALFAL_INSPECT = envbool("LOCALFAL_INSPECT", DEBUG)
# Requests waiting for an emulator runner, at most; more answer 429 as fal does.
LOCALFAL_MAX_QUEUED = envint("LOCALFAL_MAX_QUEUED", 10000)
LOCALFAL_MAX_UPLOAD_BYTES = envint("LOCALFAL_MAX_UPLOAD_BYTES", 200 * 1024 * 1024)
# A submit's fal_webhook must resolve to public addresses or be this server itself; these
# origins (scheme://host:port) are accepted too, e.g. a receiver on this machine in tests.
LOCALFAL_WEBHOOK_ORIGINS = envorigins("LOCALFAL_WEBHOOK_ORIGINS")
# Files uploaded to (or made by) the emulator are deleted after this many days, like the
# URLs of fal's CDN, which are kept at least 7 days.
LOCALFAL_FILE_TTL_DAYS = envfloat("LOCALFAL_FILE_TTL_DAYS", 7.0)
# Total bytes the emulator's storage holds; uploads beyond it answer 507 until files expire.
LOCALFAL_STORAGE_QUOTA_BYTES = envint("LOCALFAL_STORAGE_QUOTA_BYTES", 5 * 1024**3)
# The emulator's realtime endpoint closes a connection that sent nothing for this long.
LOCALFAL_REALTIME_IDLE_SECONDS = envfloat("LOCALFAL_REALTIME_IDLE_SECONDS", 60.0)

# --- files -------------------------------------------------------------------------------------
# Pictures with more pixels than this are never decoded (a 140 KB PNG can declare 144 MP
# and take 1.3 GB once decoded): uploads and emulator inputs are refused, outputs are
# stored without a preview.
IMAGE_MAX_PIXELS = envint("IMAGE_MAX_PIXELS", 40_000_000)
# Files one person may upload (for file inputs) per hour.
UPLOADS_PER_HOUR = envint("UPLOADS_PER_HOUR", 120)
# Largest zip of generations the gallery builds for one download (bytes of the files in it).
EXPORT_MAX_BYTES = envint("EXPORT_MAX_BYTES", 2 * 1024**3)

# --- the realtime playground --------------------------------------------------------------
# The relay closes its fal connection after this long without input (it reopens on demand).
REALTIME_IDLE_SECONDS = envfloat("REALTIME_IDLE_SECONDS", 60.0)

# --- generations: the runner ----------------------------------------------------------------
# Run the job runner inside the web process (one command); `manage.py runjobs` adds workers.
RUNNER_EMBEDDED = envbool("RUNNER_EMBEDDED", True)
# Runs one person may have waiting or running at once (0: no limit); more are refused with
# a message until some finish.
RUNS_IN_FLIGHT_PER_USER = envint("RUNS_IN_FLIGHT_PER_USER", 50)
# Experiments (seeds, prompts, sweeps, models): the most runs one may plan, and above how
# many runs the person is asked to confirm before it starts.
EXPERIMENT_MAX_RUNS = envint("EXPERIMENT_MAX_RUNS", 200)
EXPERIMENT_CONFIRM_ABOVE = envint("EXPERIMENT_CONFIRM_ABOVE", 24)
# Generations one runner process tracks at once.
RUNNER_CAPACITY = envint("RUNNER_CAPACITY", 5000)
# How often a runner looks for work when nobody wakes it (seconds).
RUNNER_POLL_SECONDS = envfloat("RUNNER_POLL_SECONDS", 1.0)
# A runner's claim on a generation; renewed every third of it. A dead runner's claims
# lapse after this long and another runner resumes its generations.
RUNNER_LEASE_SECONDS = envint("RUNNER_LEASE_SECONDS", 30)
# Status polling interval when fal's status stream is unavailable.
RUNNER_STATUS_POLL_SECONDS = envfloat("RUNNER_STATUS_POLL_SECONDS", 0.5)
# Upstream failures are retried with backoff for this long, then the generation fails.
RUNNER_GIVE_UP_SECONDS = envint("RUNNER_GIVE_UP_SECONDS", 600)
# A request fal has not started after this long in its queue is cancelled there and the
# generation fails with a plain message (counted from the submit, across restarts).
RUNNER_QUEUE_DEADLINE_SECONDS = envint("RUNNER_QUEUE_DEADLINE_SECONDS", 3600)
# First wait before a runner tries a failed generation again; doubles each time (max 60 s).
RUNNER_RETRY_BASE_SECONDS = envfloat("RUNNER_RETRY_BASE_SECONDS", 2.0)
# Largest output file copied into storage (bytes).
ASSET_MAX_BYTES = envint("ASSET_MAX_BYTES", 500 * 1024 * 1024)
# Threads of one runner for database reads (its writes go through one writer thread that
# commits them in groups, see jobs/dbpool.py) and for storing output files.
RUNNER_DB_THREADS = envint("RUNNER_DB_THREADS", 2)
RUNNER_FILE_THREADS = envint("RUNNER_FILE_THREADS", 2)

# --- demo mode (README "Demo mode") ------------------------------------------------------------
# Visitors without an account may run DEMO_MODELS (endpoint ids, comma-separated), at most
# RATE_LIMIT_ANONYMOUS runs a minute per address; their runs are deleted, files and all,
# DEMO_KEEP_HOURS after they started. Off: running anything needs an account.
DEMO_MODE = envbool("DEMO_MODE", False)
DEMO_MODELS = envendpoints("DEMO_MODELS")
DEMO_KEEP_HOURS = envfloat("DEMO_KEEP_HOURS", 24.0)
if DEMO_MODE and not DEMO_MODELS:
    raise ImproperlyConfigured("DEMO_MODE=1 needs DEMO_MODELS: the endpoint ids visitors may run.")
if DEMO_KEEP_HOURS <= 0:
    raise ImproperlyConfigured(f"DEMO_KEEP_HOURS must be more than 0, got {DEMO_KEEP_HOURS:g}")

# --- single sign-on (README "Single sign-on") -------------------------------------------------
# Hide password sign-in and sign-up: people sign in through a provider below. Staff keep a
# password way in (break-glass) at /accounts/login/?password=1.
SSO_ONLY = envbool("SSO_ONLY", False)
# A first sign-in whose verified email matches an existing account signs in to that account
# (instead of making a new one). Off by default: an identity provider that lets people set
# any address would hand out local accounts.
SSO_LINK_BY_EMAIL = envbool("SSO_LINK_BY_EMAIL", False)
# The claim (OIDC) or attribute (SAML) new accounts take their username from; else the
# email's local part. A username already taken gets a number.
SSO_USERNAME_CLAIM = envstr("SSO_USERNAME_CLAIM", "preferred_username")
# Functions listing configured providers, one per protocol (playground/sso/providers.py).
SSO_PROVIDER_SOURCES = ["playground.sso.oidc.views.configured_providers"]
# OpenID Connect providers: OIDC_1_ISSUER, OIDC_1_CLIENT_ID, OIDC_1_SECRET, ... (see
# playground/sso/oidc/config.py and .env.example).
OIDC_PROVIDERS = oidc_providers_from_env(os.environ)
# Seconds of clock difference tolerated in ID tokens' exp/iat/nbf; seconds discovery and
# signing keys are kept (a token signed with a key not yet seen fetches them again).
OIDC_CLOCK_SKEW_SECONDS = envint("OIDC_CLOCK_SKEW_SECONDS", 60)
OIDC_CACHE_SECONDS = envint("OIDC_CACHE_SECONDS", 3600)
OIDC_TIMEOUT_SECONDS = envfloat("OIDC_TIMEOUT_SECONDS", 5.0)
SOCIALACCOUNT_PROVIDERS = oidc_allauth_providers(OIDC_PROVIDERS)
# The sign-in buttons and the sign-out form POST here and are redirected to the provider;
# browsers hold such redirects to form-action too.
CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] += sorted(
    {origin_of(provider.issuer) for provider in OIDC_PROVIDERS}
)
SOCIALACCOUNT_ADAPTER = "playground.sso.hooks.SocialAccountAdapter"
ACCOUNT_ADAPTER = "playground.sso.hooks.AccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_LOGIN_ON_GET = False  # the buttons POST (with CSRF), a link cannot start it
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = OIDC_TIMEOUT_SECONDS
SOCIALACCOUNT_EMAIL_AUTHENTICATION = SSO_LINK_BY_EMAIL
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = SSO_LINK_BY_EMAIL
SOCIALACCOUNT_EMAIL_REQUIRED = False
SOCIALACCOUNT_QUERY_EMAIL = False
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = False

# --- SAML sign-in (README "Single sign-on", playground/sso/saml/) ------------------------------
# Identity providers: SAML_1_METADATA_URL (or _FILE), SAML_1_LABEL, ... (see
# playground/sso/saml/config.py and .env.example). Their metadata is read on first use.
SAML_IDPS = saml_idps_from_env(os.environ)
SSO_PROVIDER_SOURCES += ["playground.sso.saml.providers.configured_providers"]
# The sign-in buttons and the sign-out form are redirected to the IdPs (see OIDC above).
CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] += saml_form_action_origins(SAML_IDPS)
# Our entity id; default <PUBLIC_BASE_URL or this site>/sso/saml/metadata/.
SAML_SP_ENTITY_ID = envstr("SAML_SP_ENTITY_ID")
# Our key pair (PEM), to sign requests and decrypt encrypted assertions; optional. As text
# (SAML_SP_KEY, SAML_SP_CERT) or as files (SAML_SP_KEY_FILE, SAML_SP_CERT_FILE).
SAML_SP_KEY = envstr("SAML_SP_KEY")
SAML_SP_CERT = envstr("SAML_SP_CERT")
SAML_SP_KEY_FILE = envstr("SAML_SP_KEY_FILE")
SAML_SP_CERT_FILE = envstr("SAML_SP_CERT_FILE")
if bool(SAML_SP_KEY or SAML_SP_KEY_FILE) != bool(SAML_SP_CERT or SAML_SP_CERT_FILE):
    raise ImproperlyConfigured("Set both the SAML key and its certificate, or neither.")
# Seconds of clock difference tolerated in assertions' times.
SAML_CLOCK_SKEW_SECONDS = envint("SAML_CLOCK_SKEW_SECONDS", 60)
# Seconds IdP metadata fetched from a URL is kept; the fetch's timeout.
SAML_METADATA_CACHE_SECONDS = envint("SAML_METADATA_CACHE_SECONDS", 3600)
SAML_METADATA_TIMEOUT_SECONDS = envfloat("SAML_METADATA_TIMEOUT_SECONDS", 5.0)
# djangosaml2: requests go by redirect (no page with a script to post them); its session
# cookie must come back with the IdP's cross-site POST, which only SameSite=None (secure
# cookies, HTTPS) allows; plain HTTP (development) works with an IdP on the same site.
SAML_DEFAULT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
SAML_SESSION_COOKIE_SAMESITE = "None" if HTTPS else "Lax"
SAML_CSP_HANDLER = ""  # our pages load nothing from the IdP
SAML_LOGOUT_REQUEST_PREFERRED_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
