"""The SAML pages: our metadata, the start of a sign-in, the assertion consumer (ACS) and
the single-logout return, each IdP under its own URLs (/sso/saml/<idp>/...).

djangosaml2's views do the protocol (with pysaml2); these subclasses give them one IdP's
configuration (sp.py), remember accepted assertions, sign the person in through
accounts.py, and turn every refusal into a message on the sign-in page (never a 500).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import logout as auth_logout
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect
from django.utils.decorators import decorator_from_middleware, method_decorator
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from django.views.generic import View
from djangosaml2 import views as saml_views
from djangosaml2.middleware import SamlSessionMiddleware
from djangosaml2.utils import get_location
from saml2 import BINDING_HTTP_REDIRECT
from saml2.client_base import LogoutError
from saml2.metadata import entity_descriptor
from saml2.s_utils import UnsupportedBinding

from playground.sso.errors import SignInRefused
from playground.sso.providers import SAML
from playground.sso.saml import accounts, sp
from playground.sso.saml.config import SamlIdp
from playground.sso.saml.logout import ticket_is_good
from playground.sso.saml.refusals import NotForUs, Replayed, WrongIssuer, plain_words
from playground.sso.signin import LOGOUT_SESSION_KEY

log = logging.getLogger(__name__)

# djangosaml2 keeps requests in flight in a session of its own, in a cookie sent along
# with the IdP's cross-site POST (SameSite=None over HTTPS). Only these views need it, so
# it wraps them instead of every request of the site.
saml_session = decorator_from_middleware(SamlSessionMiddleware)


def refuse(request: HttpRequest, text: str) -> HttpResponse:
    """Back to the sign-in page, which says `text`."""
    messages.error(request, text)
    return redirect("login")


@require_GET
def metadata(request: HttpRequest) -> HttpResponse:
    """Our SP metadata (entity id, every IdP's ACS and logout URLs, our certificate when
    configured), for the IdPs' administrators. Reads no IdP metadata."""
    xml = str(entity_descriptor(sp.sp_config(request, None)))
    return HttpResponse(xml.encode(), content_type="application/samlmetadata+xml; charset=utf-8")


class OneIdp:
    """Views for the IdP named in the URL (404 for an unknown one), with its configuration;
    an IdP whose metadata cannot be read is a message, not an error page."""

    idp: SamlIdp

    def dispatch(self, request: HttpRequest, idp_id: str, *args, **kwargs) -> HttpResponse:
        idp = sp.find_idp(idp_id)
        if idp is None:
            raise Http404("No such sign-in provider.")
        self.idp = idp
        try:
            return super().dispatch(request, *args, **kwargs)
        except sp.MetadataUnavailable as error:
            log.warning("SAML sign-in with %s impossible: %s", idp.id, error)
            return refuse(
                request,
                f"Sign-in with {idp.label} is unavailable right now (it could not be reached, "
                "or its settings are wrong). Try again later, or tell an administrator.",
            )

    def get_sp_config(self, request: HttpRequest):
        return sp.sp_config(request, self.idp)


@method_decorator(saml_session, name="dispatch")
class Login(OneIdp, saml_views.LoginView):
    """POST (with CSRF, from the sign-in page's button): redirect to the IdP with a fresh
    AuthnRequest, whose id this browser's SAML session keeps for the answer."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        request.GET = QueryDict(mutable=True)  # what djangosaml2's view reads
        request.GET["idp"] = sp.idp_entity_id(self.get_sp_config(request), self.idp)
        if request.POST.get("next"):
            request.GET["next"] = request.POST["next"]
        return self.get(request, *args, **kwargs)

    def unknown_idp(self, request, idp):
        return refuse(request, f"{self.idp.label}'s metadata does not describe its sign-in.")


# The IdP's page posts the answer: no CSRF token can come with it (InResponseTo, checked
# against this browser's SAML session, is what ties the answer to a request of ours).
@method_decorator([csrf_exempt, saml_session], name="dispatch")
class Acs(OneIdp, saml_views.AssertionConsumerServiceView):
    """The IdP's answer (HTTP-POST binding). pysaml2 checks the signature, audience,
    destination, recipient, times and InResponseTo; here, that the issuer is this IdP's
    entity (metadata may list several) and that the assertion was not accepted before."""

    refusal: Exception | None = None

    def custom_validation(self, response) -> None:
        if response.assertion is None:
            # pysaml2 hands back a response it did not verify when its Destination is
            # another URL (it logs that, then skips the assertion): refuse it here.
            self.refusal = NotForUs()
            raise self.refusal
        expected = sp.idp_entity_id(self.get_sp_config(self.request), self.idp)
        if response.issuer() != expected:
            self.refusal = WrongIssuer(f"issuer {response.issuer()!r}, not {expected!r}")
            raise self.refusal
        assertion = response.assertion
        key = f"saml-assertion:{self.idp.id}:{assertion.id}"
        if not cache.add(key, 1, timeout=_seconds_left(response)):
            self.refusal = Replayed(assertion.id)
            raise self.refusal

    def authenticate_user(
        self, request, session_info, attribute_mapping, create_unknown_user, assertion_info
    ):
        try:
            person = accounts.person_from(self.idp, session_info)
            user = accounts.sign_in_user(self.idp, person)
        except SignInRefused as error:
            self.refusal = error
            raise PermissionDenied(str(error)) from None
        # Our only backend that loads users by id: the session names it for later requests.
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        saml_views._set_subject_id(request.saml_session, session_info["name_id"])
        # What the sign-out needs for single logout at this IdP (sso/logout.py).
        request.session[LOGOUT_SESSION_KEY] = {"protocol": SAML, "provider": self.idp.id}
        log.info("SAML sign-in of %s through %s", user.get_username(), self.idp.id)
        return user

    def handle_acs_failure(self, request, exception=None, status=403, **kwargs):
        error = self.refusal or exception
        if str(exception) == "Unknown SAML2 error":  # pysaml2 dropped the answer: Destination
            error = NotForUs()
        log.warning("SAML sign-in through %s refused: %r", self.idp.id, error)
        return refuse(request, plain_words(error, self.idp.label))

    def post(self, request, *args, **kwargs):
        if not request.POST.get("SAMLResponse"):
            return refuse(request, f"No answer from {self.idp.label} came with this page.")
        try:
            return super().post(request, *args, **kwargs)
        except sp.MetadataUnavailable:
            raise  # OneIdp says so
        except Exception as error:  # whatever pysaml2 raised outside its own handlers
            log.exception("SAML answer from %s could not be handled", self.idp.id)
            return self.handle_acs_failure(request, exception=error)

    def get(self, request, *args, **kwargs):
        return refuse(request, f"Start the sign-in with {self.idp.label} from this page.")


def _seconds_left(response) -> int:
    """How long the assertion could still be presented: remember its id that long."""
    until = getattr(response, "not_on_or_after", 0) or 0
    left = int(until - datetime.now(UTC).timestamp()) if until else 0
    return max(left, 0) + 3600


@method_decorator(saml_session, name="dispatch")
class Logout(OneIdp, saml_views.SPConfigMixin, View):
    """Right after our sign-out (logout.end_session_url): a LogoutRequest to the IdP by
    redirect. Without a good ticket, or with nothing to end at the IdP, home."""

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        subject_id = saml_views._get_subject_id(request.saml_session)
        if subject_id is None or not ticket_is_good(request, self.idp.id):
            return redirect(settings.LOGOUT_REDIRECT_URL)
        state, client = self.get_state_client(request)
        try:
            result = client.global_logout(subject_id)
        except (LogoutError, UnsupportedBinding) as error:
            log.warning("no single logout at %s: %s", self.idp.id, error)
            result = {}
        state.sync()
        for answer in result.values():
            if isinstance(answer, tuple) and answer[0] == BINDING_HTTP_REDIRECT:
                return HttpResponseRedirect(get_location(answer[1]))
        return redirect(settings.LOGOUT_REDIRECT_URL)


@method_decorator([csrf_exempt, saml_session], name="dispatch")
class Sls(OneIdp, saml_views.LogoutView):
    """The IdP's answer to our LogoutRequest, or its own LogoutRequest (another service
    signed out): either ends the Playground session and goes home; never an error page."""

    def do_logout_service(self, request, data, binding, *args, **kwargs):
        if "SAMLRequest" in data and saml_views._get_subject_id(request.saml_session) is None:
            auth_logout(request)  # nothing of ours to report to the IdP
            return redirect(settings.LOGOUT_REDIRECT_URL)
        try:
            return super().do_logout_service(request, data, binding, *args, **kwargs)
        except Exception:
            log.warning("SAML logout message from %s not understood", self.idp.id, exc_info=True)
            auth_logout(request)
            return redirect(settings.LOGOUT_REDIRECT_URL)
