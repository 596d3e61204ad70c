"""Public faces: a shared generation at `/s/<token>/` (no login, read-only) and a team's
showcase. Nothing here reveals owners' notes, tags, or anything unshared."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from playground.accounts.actions import set_showcase_public
from playground.accounts.models import Team, membership
from playground.gallery.detail import absolute, parameters
from playground.gallery.exports import seed_of
from playground.gallery.queries import card_title
from playground.jobs.access import generation_for_token
from playground.jobs.models import Generation, Visibility
from playground.jobs.templatetags.jobs_tags import output_text
from playground.jobs.views import serve_asset
from playground.lib.refusals import refuse

SHOWCASE_LIMIT = 200


@require_safe
def shared(request: HttpRequest, token: str) -> HttpResponse:
    """The read-only page of a link or public share; 404 once revoked."""
    generation = generation_for_token(token)
    media = shared_media(generation)
    preview = next((m for m in media if m["poster"]), None)
    title = generation.model.title if generation.model else generation.endpoint_id
    prompt = (generation.input or {}).get("prompt") if isinstance(generation.input, dict) else ""
    context = {
        "generation": generation,
        "media": media,
        "parameters": parameters(generation),
        "seed": seed_of(generation),
        "text": output_text(generation.output),
        "title": title,
        "description": (prompt if isinstance(prompt, str) else "")[:200]
        or f"Made with {generation.endpoint_id}",
        "page_url": absolute(request, request.path),
        "og_image": absolute(request, preview["poster"]) if preview else "",
        "og_image_size": (preview["asset"].width, preview["asset"].height) if preview else None,
    }
    response = render(request, "gallery/share.html", context)
    if generation.visibility == Visibility.LINK:
        response["X-Robots-Tag"] = "noindex"  # unlisted: reachable, not indexed
    response["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    return response


def shared_media(generation: Generation) -> list[dict[str, Any]]:
    """Each output with its URLs under the share link (the /media/ URLs need a login)."""
    token = generation.share_token
    items = []
    for asset in generation.assets.all():
        url = reverse("gallery:share_file", args=[token, _name(asset.file.name)])
        thumb = (
            reverse("gallery:share_file", args=[token, _name(asset.thumbnail.name)])
            if asset.thumbnail
            else ""
        )
        poster = url if asset.kind == "image" else thumb
        items.append({"asset": asset, "url": url, "thumb": thumb or poster, "poster": poster})
    return items


def _name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


@require_safe
def shared_file(request: HttpRequest, token: str, name: str) -> HttpResponse:
    generation = generation_for_token(token)
    response = serve_asset(request, generation, name)
    response["Cache-Control"] = "no-store"  # a revoked link must stop working at once
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_safe
def showcase(request: HttpRequest, slug: str) -> HttpResponse:
    """A team's public page of chosen generations; 404 unless the team published it."""
    team = get_object_or_404(Team, slug=slug, showcase_public=True)
    generations = list(
        Generation.objects.filter(
            team=team,
            in_showcase=True,
            visibility=Visibility.PUBLIC,
            share_token__isnull=False,
            deleted_at__isnull=True,
        )
        .with_model()
        .prefetch_related("assets")[:SHOWCASE_LIMIT]
    )
    items = [
        {"generation": g, "media": shared_media(g), "title": card_title(g)} for g in generations
    ]
    return render(
        request,
        "gallery/showcase.html",
        {"team": team, "items": items, "page_url": absolute(request, request.path)},
    )


@login_required
@require_POST
def publish_showcase(request: HttpRequest, slug: str) -> HttpResponse:
    """Publish (or withdraw) the team's showcase page: needs the `curate` right."""
    team = get_object_or_404(Team, slug=slug)
    member = membership(request.user, team.pk)
    if member is None:
        raise Http404("No such team")
    if not member.can("curate"):
        return refuse(request, "Only the team's curators publish its showcase.")
    public = request.POST.get("public") == "1"
    set_showcase_public(team=team, user=request.user, public=public)
    if team.showcase_public:
        messages.success(request, "The showcase is public.")
    else:
        messages.success(request, "The showcase is no longer public.")
    return redirect("gallery:team", slug=slug)
