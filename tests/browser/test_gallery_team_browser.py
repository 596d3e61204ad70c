"""A team's gallery seen by a viewer: each card names its author, the model filter narrows
it, Move and Delete are offered only for what the person may change, and a refusal is a
styled message in the page, never a bare "403 Forbidden"."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from playground.accounts.models import Membership, Role, Team
from tests.gallery.conftest import finished
from tests.support import use_media_of

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture
def studio(page, live_app, live_user, settings):
    """Alice owns "Studio"; vera is its viewer, signed in; both posted runs there."""
    use_media_of(live_app, settings)  # the live server's storage
    alice = live_user("team-alice", "pw-alice-123")
    vera = live_user("team-vera", "pw-vera-123")
    team = Team.objects.create(name="Studio", slug="studio")
    Membership.objects.create(user=alice, team=team, role=Role.OWNER)
    Membership.objects.create(user=vera, team=team, role=Role.VIEWER)
    page.goto(f"{live_app.url}/accounts/login/")
    page.fill("#id_username", "team-vera")
    page.fill("#id_password", "pw-vera-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_app.url}/")
    return page, live_app.url, team, alice, vera


def test_cards_name_their_author_and_the_model_filter_narrows(studio):
    page, base, team, alice, vera = studio
    finished(alice, "alice's lighthouse", team=team, visibility="team")
    finished(vera, "vera's harbour", team=team, visibility="team")
    flux_dev = finished(alice, "a dev run", team=team, visibility="team")
    type(flux_dev).objects.filter(pk=flux_dev.pk).update(endpoint_id="fal-ai/flux/dev")
    page.goto(f"{base}/teams/studio/gallery/")
    cards = page.locator("[data-card]")
    expect(cards).to_have_count(3)
    expect(cards.filter(has_text="alice's lighthouse")).to_contain_text("by team-alice")
    expect(cards.filter(has_text="vera's harbour")).to_contain_text("by you")
    page.get_by_label("Model").select_option("fal-ai/flux/dev")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("a dev run")
    expect(page).to_have_url(f"{base}/teams/studio/gallery/?model=fal-ai%2Fflux%2Fdev")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing wider than it
    expect(cards.first.locator(".g-card__author")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_viewer_is_offered_only_what_they_may_do(studio):
    page, base, team, alice, vera = studio
    finished(alice, "alice's lighthouse", team=team, visibility="team")
    finished(vera, "vera's harbour", team=team, visibility="team")
    page.goto(f"{base}/teams/studio/gallery/")
    bulk = page.get_by_role("form", name="Selected generations")
    page.get_by_label("Select: vera's harbour").check()
    expect(bulk.get_by_role("button", name="Delete")).to_be_visible()
    page.get_by_label("Select: alice's lighthouse").check()
    expect(bulk.get_by_role("button", name="Delete")).to_be_hidden()
    expect(bulk.get_by_role("button", name="Move")).to_be_hidden()
    expect(bulk.get_by_text("Only your own generations can be moved or deleted")).to_be_visible()
    expect(bulk.get_by_role("button", name="Download zip")).to_be_visible()
    page.get_by_label("Select: alice's lighthouse").uncheck()
    expect(bulk.get_by_role("button", name="Delete")).to_be_visible()


def test_a_refused_bulk_delete_is_a_styled_page_that_changes_nothing(studio):
    page, base, team, alice, _vera = studio
    theirs = finished(alice, "alice's lighthouse", team=team, visibility="team")
    page.goto(f"{base}/teams/studio/gallery/")
    page.get_by_label("Select: alice's lighthouse").check()
    # A page left open while the person's rights changed still offers the button.
    page.locator("[data-needs-edit]").evaluate_all("els => els.forEach(e => e.hidden = false)")
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", name="You can't do that here")).to_be_visible()
    expect(page.get_by_text("1 of the 1 selected is a teammate's")).to_be_visible()
    expect(page.get_by_role("link", name="Go back")).to_be_visible()
    expect(page.locator("header").first).to_be_visible()  # the site's own page
    theirs.refresh_from_db()
    assert theirs.deleted_at is None


def test_an_htmx_refusal_shows_in_the_page(studio):
    page, base, team, alice, _vera = studio
    theirs = finished(alice, "alice's lighthouse", team=team, visibility="team")
    page.goto(f"{base}/teams/studio/gallery/")
    url = f"/generations/{theirs.code}/favorite"
    page.evaluate("url => htmx.ajax('POST', url, {target: '[data-card]', swap: 'outerHTML'})", url)
    alert = page.locator(".messages .alert--error")
    expect(alert).to_contain_text("You may look at this generation but not change it.")
    expect(page.locator("[data-card]")).to_have_count(1)  # the card is still there
    alert.get_by_role("button", name="Dismiss").click()
    expect(alert).to_have_count(0)


def test_a_viewer_watching_a_teammates_run_is_not_offered_cancel(studio):
    from tests.jobs.conftest import submit

    page, base, team, alice, _vera = studio
    running = submit(alice, data={"prompt": "still waiting"})
    type(running).objects.filter(pk=running.pk).update(team=team, visibility="team")
    page.goto(f"{base}{running.get_absolute_url()}")
    expect(page.locator(".gen-status")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel")).to_be_hidden()
