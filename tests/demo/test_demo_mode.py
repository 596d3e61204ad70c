"""Demo mode: visitors without an account run the demo models, see only their own runs,
and are counted per address; without it, nothing changes for them."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from playground.demo import visitors
from playground.jobs.models import Generation
from tests.catalog.test_uploads import png_bytes, upload
from tests.demo.conftest import DEMO, OTHER, start_run, visitor
from tests.jobs.conftest import stored_image, submit

pytestmark = pytest.mark.django_db


def detail_url(generation) -> str:
    return reverse("jobs:detail", args=[generation.code])


def asset_url(asset) -> str:
    return reverse("jobs:asset", args=[asset.generation.code, asset.file.name.rsplit("/", 1)[1]])


def visitors_run(client, endpoint_id: str = DEMO) -> Generation:
    response = start_run(client, endpoint_id)
    assert response.status_code == 201, response.content
    return Generation.objects.get(code=client.session[visitors.SESSION_KEY][0])


# -- off (the default) ---------------------------------------------------------------------
def test_demo_mode_is_off_by_default(settings):
    assert settings.DEMO_MODE is False


def test_without_demo_mode_a_visitor_is_sent_to_log_in_and_runs_nothing():
    client = visitor()

    response = start_run(client)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not Generation.objects.exists()


def test_without_demo_mode_the_model_page_and_a_run_page_ask_to_log_in(alice):
    generation = submit(alice)
    for url in (reverse("catalog:model", args=[DEMO]), detail_url(generation)):
        response = visitor().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_without_demo_mode_a_visitor_cannot_upload():
    response = visitor().post(reverse("catalog:upload") + "?media=image")
    assert response.status_code == 403


# -- running -------------------------------------------------------------------------------
def test_a_visitor_runs_a_demo_model_and_sees_its_panel(demo_mode):
    client = visitor()

    response = start_run(client)

    assert response.status_code == 201
    generation = Generation.objects.get()
    assert generation.owner.username == visitors.DEMO_USERNAME
    assert client.session[visitors.SESSION_KEY] == [str(generation.code)]
    assert f'ws-connect="/ws/generations/{generation.code}/"' in response.text
    assert response["HX-Trigger"] == "generation-started"


def test_the_demo_account_cannot_sign_in(demo_mode, client):
    owner = visitors_run(visitor()).owner
    assert not owner.is_active
    assert not owner.has_usable_password()
    client.post(reverse("login"), {"username": visitors.DEMO_USERNAME, "password": "x"})
    assert "_auth_user_id" not in client.session


def test_a_visitor_cannot_run_a_model_outside_the_demo_and_is_told_why(demo_mode):
    response = start_run(visitor(), OTHER)

    assert response.status_code == 403
    [message] = response.json()["errors"]["__all__"]
    assert f"Sign in to run {OTHER}" in message and DEMO in message
    assert not Generation.objects.exists()


def test_a_visitor_opening_a_model_outside_the_demo_is_sent_to_log_in_with_the_reason(demo_mode):
    response = visitor().get(reverse("catalog:model", args=[OTHER]), follow=True)

    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert f"Sign in to run {OTHER}" in response.text


def test_invalid_input_from_a_visitor_is_refused_and_not_stored(demo_mode):
    client = visitor()
    response = client.post(reverse("jobs:run", args=[DEMO]), {"num_inference_steps": "lots"})
    assert response.status_code == 422
    assert "prompt" in response.json()["errors"]
    assert not Generation.objects.exists()


def test_signed_in_people_run_every_model_as_before(demo_mode, client_alice, alice):
    response = start_run(client_alice, OTHER)
    assert response.status_code == 201
    assert Generation.objects.get().owner == alice


def test_a_visitors_runs_in_flight_are_bounded(demo_mode):
    demo_mode.RUNS_IN_FLIGHT_PER_USER = 1
    client = visitor()
    visitors_run(client)

    response = start_run(client)

    assert response.status_code == 429
    assert "1 runs waiting or running" in response.json()["errors"]["__all__"][0]


def test_a_budget_on_the_demo_account_caps_what_all_visitors_spend(demo_mode):
    from django.core.management import call_command

    call_command("set_budget", "--user", visitors.DEMO_USERNAME, "0")  # before any demo run

    response = start_run(visitor())

    assert response.status_code == 402
    assert "budget of $0.00 is reached" in response.json()["detail"]
    assert not Generation.objects.exists()


# -- the model page, the catalog, the welcome page ---------------------------------------------
def test_a_demo_models_page_offers_run_with_the_notice(demo_mode):
    response = visitor().get(reverse("catalog:model", args=[DEMO]))

    assert response.status_code == 200
    assert "data-run-url" in response.text
    assert "Demo: results are kept for a day." in response.text
    assert "Presets" not in response.text


def test_signed_in_people_see_no_demo_notice(demo_mode, client_alice):
    response = client_alice.get(reverse("catalog:model", args=[DEMO]))
    assert "data-demo-notice" not in response.text


def test_a_reload_shows_the_visitors_latest_run_and_never_another_visitors(demo_mode):
    mine, theirs = visitor(), visitor("198.51.100.9")
    generation = visitors_run(mine)
    page = reverse("catalog:model", args=[DEMO])

    assert str(generation.code) in mine.get(page).text
    assert str(generation.code) not in theirs.get(page).text


def test_the_recent_list_has_the_visitors_own_runs_only(demo_mode):
    mine, theirs = visitor(), visitor("198.51.100.9")
    generation = visitors_run(mine)
    url = reverse("jobs:recent", args=[DEMO])

    assert detail_url(generation) in mine.get(url).text
    assert detail_url(generation) not in theirs.get(url).text


def test_the_form_checks_a_visitors_input_for_demo_models_only(demo_mode):
    client = visitor()
    ok = client.post(reverse("catalog:payload", args=[DEMO]), {"prompt": "a fox"})
    refused = client.post(reverse("catalog:payload", args=[OTHER]), {"prompt": "a fox"})
    assert ok.status_code == 200 and ok.json()["input"]["prompt"] == "a fox"
    assert refused.status_code == 403


def test_the_catalog_marks_demo_models(demo_mode):
    response = visitor().get(reverse("catalog:browse"), {"q": "flux schnell"})
    assert response.text.count("data-demo-model") == 1


def test_the_catalog_marks_nothing_without_demo_mode():
    assert "data-demo-model" not in visitor().get(reverse("catalog:browse")).text


def test_the_welcome_page_lists_the_demo_models(demo_mode):
    response = visitor().get(reverse("home"))
    assert "data-demo-models" in response.text
    assert reverse("catalog:model", args=[DEMO]) in response.text


# -- whose runs ------------------------------------------------------------------------------
def test_a_visitor_sees_their_run_with_the_notice(demo_mode):
    client = visitor()
    generation = visitors_run(client)

    response = client.get(detail_url(generation))

    assert response.status_code == 200
    assert "Demo: results are kept for a day." in response.text
    assert reverse("gallery:delete", args=[generation.code]) not in response.text


def test_another_visitor_gets_404_for_the_run_its_files_and_its_cancel(demo_mode):
    generation = visitors_run(visitor())
    asset = stored_image(generation)
    other = visitor()  # the same address, another browser

    assert other.get(detail_url(generation)).status_code == 404
    assert other.get(asset_url(asset)).status_code == 404
    assert other.post(reverse("jobs:cancel", args=[generation.code])).status_code == 404


def test_the_visitor_gets_their_files_and_may_cancel(demo_mode):
    client = visitor()
    generation = visitors_run(client)
    asset = stored_image(generation)

    assert client.get(asset_url(asset)).status_code == 200
    assert client.post(reverse("jobs:cancel", args=[generation.code])).status_code == 302
    generation.refresh_from_db()
    assert generation.cancel_requested


def test_signed_in_people_get_404_for_a_visitors_run(demo_mode, client_alice):
    generation = visitors_run(visitor())
    assert client_alice.get(detail_url(generation)).status_code == 404


def test_a_visitor_gets_404_for_a_signed_in_persons_run(demo_mode, alice):
    generation = submit(alice)
    assert visitor().get(detail_url(generation)).status_code == 404


def test_a_visitor_cannot_claim_a_run_by_putting_its_code_in_a_request(demo_mode):
    generation = visitors_run(visitor())
    other = visitor()
    response = other.get(detail_url(generation), {visitors.SESSION_KEY: str(generation.code)})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "name", ["gallery:index", "jobs:runs", "usage:page", "teams:list", "gateway:tokens"]
)
def test_demo_mode_opens_nothing_else_to_visitors(demo_mode, name):
    response = visitor().get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


LCM = "fal-ai/lcm-sd15-i2i"  # takes an image_url


def image_run(client, asset):
    url = reverse("jobs:run", args=[LCM])
    return client.post(url, {"prompt": "x", "image_url": asset.file.url})


def test_a_visitor_cannot_feed_another_visitors_output_to_a_model(demo_mode):
    demo_mode.DEMO_MODELS = [DEMO, LCM]
    asset = stored_image(visitors_run(visitor()))
    other = visitor()

    response = image_run(other, asset)

    assert response.status_code == 422
    assert "not available to you" in response.json()["errors"]["__all__"][0]
    assert Generation.objects.count() == 1


def test_a_visitor_feeds_their_own_output_to_a_demo_model(demo_mode):
    demo_mode.DEMO_MODELS = [DEMO, LCM]
    client = visitor()
    asset = stored_image(visitors_run(client))

    assert image_run(client, asset).status_code == 302
    assert Generation.objects.filter(endpoint_id=LCM).exists()


def test_a_visitors_send_to_menu_offers_demo_models_only(demo_mode, client_alice):
    demo_mode.DEMO_MODELS = [DEMO, LCM]
    query = {"media": "image", "url": "/media/generations/x/a.png"}
    url = reverse("catalog:send_to")

    offered = visitor().get(url, query).text

    assert offered.count("data-send-to-item") == 1
    assert reverse("catalog:model", args=[LCM]) in offered
    assert client_alice.get(url, query).text.count("data-send-to-item") > 1


# -- rate limit ------------------------------------------------------------------------------
def test_a_visitor_over_the_anonymous_limit_gets_429_with_retry_after(demo_mode, rate_limits):
    client = visitor()
    assert start_run(client).status_code == 201

    response = start_run(client)

    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    body = response.json()
    assert body["retry_after"] == int(response["Retry-After"])
    assert body["detail"].startswith("Rate limit reached: 1 request a minute.")
    assert Generation.objects.count() == 1


def test_the_anonymous_limit_counts_each_address_apart(demo_mode, rate_limits):
    assert start_run(visitor("203.0.113.7")).status_code == 201
    assert start_run(visitor("203.0.113.7")).status_code == 429  # a new session, same address
    assert start_run(visitor("198.51.100.9")).status_code == 201


def test_ipv6_visitors_count_by_their_64(demo_mode, rate_limits):
    assert start_run(visitor("2001:db8:1:2::1")).status_code == 201
    assert start_run(visitor("2001:db8:1:2:ffff::9")).status_code == 429
    assert start_run(visitor("2001:db8:1:3::1")).status_code == 201


def test_behind_a_proxy_the_limit_counts_the_address_the_proxy_added(demo_mode, rate_limits):
    demo_mode.BEHIND_PROXY = True
    proxy = "10.0.0.2"
    first = start_run(visitor(proxy), X_FORWARDED_FOR="1.1.1.1, 203.0.113.7")
    forged = start_run(visitor(proxy), X_FORWARDED_FOR="9.9.9.9, 203.0.113.7")
    assert (first.status_code, forged.status_code) == (201, 429)


def test_the_visitors_limit_does_not_touch_signed_in_people(demo_mode, rate_limits, client_alice):
    assert start_run(visitor()).status_code == 201
    assert start_run(client_alice).status_code == 201


# -- uploads ------------------------------------------------------------------------------------
def test_a_visitor_uploads_a_picture_for_a_file_field(demo_mode, fake_storage):
    response = upload(visitor(), png_bytes(), "fox.png", "image/png", "?media=image")
    assert response.status_code == 200, response.content
    assert response.json()["content_type"] == "image/png"


@pytest.mark.parametrize(
    ("name", "content_type", "query"),
    [
        ("page.html", "text/html", ""),
        ("page.html", "text/html", "?media=file"),
        ("fake.mp3", "application/octet-stream", "?media=audio"),
        ("fake.png", "image/png", "?media=image"),
    ],
)
def test_a_visitor_uploads_nothing_but_media(demo_mode, fake_storage, name, content_type, query):
    response = upload(visitor(), b"<script>alert(1)</script>", name, content_type, query)
    assert response.status_code in (400, 403)
    assert not fake_storage


def test_a_visitors_uploads_are_counted_by_address(demo_mode, fake_storage):
    demo_mode.UPLOADS_PER_HOUR = 1
    from django.core.cache import cache

    cache.clear()
    assert upload(visitor(), png_bytes(), "a.png", "image/png", "?media=image").status_code == 200
    again = upload(visitor(), png_bytes(), "b.png", "image/png", "?media=image")
    assert again.status_code == 429


# -- settings ----------------------------------------------------------------------------------
def test_demo_models_must_be_endpoint_ids(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from playground.lib.env import envendpoints

    monkeypatch.setenv("DEMO_MODELS", " fal-ai/flux/schnell , fal-ai/fast-sdxl,fal-ai/flux/schnell")
    assert envendpoints("DEMO_MODELS") == [DEMO, OTHER]
    monkeypatch.setenv("DEMO_MODELS", "fal-ai/flux/schnell,not an id")
    with pytest.raises(ImproperlyConfigured, match="DEMO_MODELS"):
        envendpoints("DEMO_MODELS")


def test_the_demo_account_is_made_once(demo_mode):
    visitors_run(visitor())
    visitors_run(visitor("198.51.100.9"))
    assert get_user_model().objects.filter(username=visitors.DEMO_USERNAME).count() == 1


def test_check_warns_when_demo_runs_would_have_no_key(demo_mode):
    from playground.demo.checks import demo_runs_have_a_key

    demo_mode.FAL_MODE, demo_mode.FAL_KEY = "fal", "key-id:secret"
    assert demo_runs_have_a_key() == []
    demo_mode.SERVER_KEY_FALLBACK = False
    assert [message.id for message in demo_runs_have_a_key()] == ["demo.W001"]
    demo_mode.DEMO_MODE = False
    assert demo_runs_have_a_key() == []
