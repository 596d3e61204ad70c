"""Demo mode (DEMO_MODE, DEMO_MODELS): visitors without an account run a few chosen models.

Whose runs they are. Every visitor's run belongs to one account made for the purpose,
"demo visitors" (a name sign-up and the admin refuse, for its space; inactive and without a
password, so nobody signs in as it). The runner, key resolution (the server's FAL_KEY), the
request log and usage then treat demo runs like any other run.

Who may see them is kept apart from who owns them: the codes of a visitor's runs are kept in
their session (stored on the server; the cookie holds only its random key), and a run is
shown only to the session that started it. Any other visitor gets the 404 of a code that
never existed, and no page lists the account's runs. An account per visitor was the other
way: a users row for every bot that presses Run, for runs deleted a day later anyway.

Runs are deleted with their files DEMO_KEEP_HOURS after they started (`purge_expired`: the
runner does it every few minutes, `manage.py purge_demo_runs` on demand).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from playground.accounts.throttle import client_ip
from playground.jobs.actions import TooManyRuns
from playground.jobs.models import Generation
from playground.jobs.purge import Purged, purge_generations
from playground.limits.quotas import Quota, quota_for

DEMO_USERNAME = "demo visitors"
SESSION_KEY = "demo_runs"
KEPT_IN_SESSION = 100  # codes; older runs drop out of the visitor's reach first
NOTICE = "Demo: results are kept for a day."


def is_demo_model(endpoint_id: str) -> bool:
    return settings.DEMO_MODE and endpoint_id in settings.DEMO_MODELS


def sign_in_to_run(endpoint_id: str) -> str:
    """What a visitor is told about a model outside the demo."""
    return (
        f"Sign in to run {endpoint_id}. Without an account you can try "
        f"{', '.join(settings.DEMO_MODELS)}."
    )


def login_or_demo(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """`login_required`, but in demo mode visitors reach the view too; it must then answer
    them as visitors (demo models only, runs of their own session only)."""
    guarded = login_required(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if settings.DEMO_MODE and not request.user.is_authenticated:
            return view(request, *args, **kwargs)
        return guarded(request, *args, **kwargs)

    return wrapper


def owner() -> Any:
    """The account every visitor's run belongs to, made on the first demo run."""
    user, created = get_user_model().objects.get_or_create(
        username=DEMO_USERNAME, defaults={"is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def all_runs() -> QuerySet[Generation]:
    return Generation.objects.filter(owner__username=DEMO_USERNAME)


def runs_of(session: Any) -> QuerySet[Generation]:
    """The runs this session started, newest first, as long as they are kept."""
    return all_runs().filter(code__in=session.get(SESSION_KEY, []), deleted_at__isnull=True)


def remember(session: Any, generation: Generation) -> None:
    codes = [str(generation.code), *session.get(SESSION_KEY, [])]
    session[SESSION_KEY] = codes[:KEPT_IN_SESSION]


def generation_for_visitor(session: Any, code: Any) -> Generation:
    """The run, if this session started it; raises Http404 otherwise (as for no run)."""
    if str(code) not in session.get(SESSION_KEY, []):
        raise Http404("No such generation")
    try:
        return runs_of(session).with_model().get(code=code)
    except (Generation.DoesNotExist, ValueError, ValidationError):
        raise Http404("No such generation") from None


def unavailable_input(session: Any, value: Any) -> str:
    """Why `value` may not be run for this visitor, or "": it names an output of a run
    this session did not start. The runner reads such files as the demo account, which
    owns every visitor's runs, so the session is checked here, before the run exists."""
    from playground.jobs.inputs import ASSET_PATH, own_files

    mine = set(session.get(SESSION_KEY, []))
    for item in own_files(value):
        found = ASSET_PATH.match(item.path)
        if found and found.group(1) not in mine:
            return f"The input file {found.group(2)} is not available to you."
    return ""


def check_runs_in_flight(session: Any) -> None:
    """Raises TooManyRuns when this visitor has RUNS_IN_FLIGHT_PER_USER runs going."""
    limit = settings.RUNS_IN_FLIGHT_PER_USER
    if limit and runs_of(session).active().count() >= limit:
        raise TooManyRuns(
            f"You already have {limit} runs waiting or running. Start more when some have finished."
        )


def visitor_address(request: HttpRequest) -> str:
    """Whom the anonymous rate limit counts: the client's address (accounts/throttle.py,
    which trusts only the proxy's own X-Forwarded-For entry), an IPv6 address by its /64,
    which one subscriber holds whole (else each of its addresses would get a minute)."""
    found = client_ip(request)
    if found is None:
        return "unknown"
    address = ipaddress.ip_address(found)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(address) >> 64 << 64, 64)))
    return str(address)


def visitor_quota(request: HttpRequest) -> Quota | None:
    return quota_for(None, visitor=visitor_address(request))


def purge_expired(*, now: datetime | None = None) -> Purged:
    """Delete, with their files, the demo runs started more than DEMO_KEEP_HOURS ago."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.DEMO_KEEP_HOURS)
    return purge_generations(all_runs().filter(created__lt=cutoff))
