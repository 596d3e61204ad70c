"""Add an endpoint to the catalog by id (see catalog/adding.py): fetched from fal, pasted,
or schema-less. Signed-in people only; the endpoint then opens like any other."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from playground.accounts.credentials import NoFalKey, resolve_fal_key
from playground.catalog import adding
from playground.catalog.views.browse import model_url
from playground.fal import platform
from playground.fal.errors import (
    FalAuthError,
    FalConnectionError,
    FalError,
    FalNotFoundError,
    FalTimeoutError,
)

log = logging.getLogger(__name__)


@login_required
@require_http_methods(["GET", "POST"])
def add_endpoint(request: HttpRequest) -> HttpResponse:
    online = adding.online()
    form = adding.AddEndpointForm(request.POST or None, online=online, initial=request.GET)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, notes = adding.add_endpoint(
                user=request.user,
                endpoint_id=form.cleaned_data["endpoint_id"],
                document=_document(request, form),
            )
        except adding.AddRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _added_message(endpoint.endpoint_id, notes))
            return redirect(model_url(endpoint.endpoint_id))
    status = 422 if form.errors else 200
    return render(request, "catalog/add.html", {"form": form, "online": online}, status=status)


def _document(request: HttpRequest, form: adding.AddEndpointForm) -> dict | None:
    """The schema source the person chose: fal's document, the pasted one, or none."""
    source = form.cleaned_data["source"]
    if source == adding.PASTE:
        return form.parsed
    if source == adding.NONE:
        return None
    return fetch_document(request.user.pk, form.cleaned_data["endpoint_id"])


def fetch_document(user_id: int, endpoint_id: str) -> dict:
    """fal's OpenAPI document for the id, with the person's key (or the server's) when
    there is one: private apps need it, public models do not. Raises AddRefused."""
    try:
        key = resolve_fal_key(user_id, None)
    except NoFalKey:
        key = None
    try:
        return platform.fetch_openapi(endpoint_id, key=key)
    except FalNotFoundError:
        raise adding.AddRefused(
            f"fal has no endpoint {endpoint_id}, or your fal key may not see it. "
            "Check the id, or paste its OpenAPI document."
        ) from None
    except FalAuthError:
        raise adding.AddRefused(
            "fal refused the key for this endpoint. Check your fal key under Settings."
        ) from None
    except (FalConnectionError, FalTimeoutError) as exc:
        raise adding.AddRefused(
            f"fal could not be reached ({exc}). Try again, or paste the OpenAPI document."
        ) from None
    except FalError as exc:
        log.warning("OpenAPI document of %s: %s", endpoint_id, exc)
        raise adding.AddRefused(f"fal's answer could not be used: {str(exc)[:200]}") from None


def _added_message(endpoint_id: str, notes: list[str]) -> str:
    message = f"Added {endpoint_id} to the catalog."
    if notes:
        message += " Some checks were left out of its schema as unsafe: " + "; ".join(notes)
    return message
