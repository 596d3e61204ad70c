from __future__ import annotations

import re

import pytest
from django.test import RequestFactory
from django.urls import reverse

from playground.core.context_processors import backend

pytestmark = pytest.mark.django_db


def test_visitor_sees_the_product_overview_with_sign_up_and_log_in(client):
    response = client.get(reverse("home"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "core/welcome.html" in [t.name for t in response.templates]
    assert f'href="{reverse("signup")}"' in html
    assert f'href="{reverse("login")}"' in html
    for feature in ("Model catalog", "Forms from schemas", "Live runs", "Gallery", "Teams"):
        assert feature in html


@pytest.mark.parametrize("signed_in", [False, True])
def test_local_mode_shows_the_local_emulator_badge(client, settings, alice, signed_in):
    settings.FAL_MODE = "local"
    if signed_in:
        client.force_login(alice)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Local emulator" in html
    assert "FAL_KEY" in html


@pytest.mark.parametrize("signed_in", [False, True])
def test_fal_mode_shows_the_fal_badge_and_no_emulator_badge(client, settings, alice, signed_in):
    settings.FAL_MODE = "fal"
    if signed_in:
        client.force_login(alice)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="badge__long">fal.ai<' in html
    assert "Local emulator" not in html


def test_signed_in_user_sees_an_empty_state_that_leads_to_the_catalog(client, alice):
    client.force_login(alice)

    response = client.get(reverse("home"))

    html = response.content.decode()
    assert "core/dashboard.html" in [t.name for t in response.templates]
    assert "Your generations will appear here" in html
    link = rf'<a[^>]*href="{reverse("catalog:browse")}"[^>]*>(?:(?!</a>).)*Browse models'
    assert re.search(link, html, re.S)
    assert "coming soon" not in html


def test_signed_in_user_gets_a_user_menu_with_a_post_logout(client, alice):
    client.force_login(alice)

    html = client.get(reverse("home")).content.decode()

    assert "alice" in html
    assert f'href="{reverse("password_change")}"' in html
    assert re.search(rf'<form method="post" action="{reverse("logout")}">', html)
    assert f'href="{reverse("signup")}"' not in html


def test_layout_is_accessible_and_self_contained(client):
    html = client.get(reverse("home")).content.decode()

    assert 'href="#main"' in html
    assert '<main id="main"' in html
    assert 'aria-live="polite"' in html
    assert "data-theme-toggle" in html and 'aria-label="Toggle dark theme"' in html
    assert "django_htmx/htmx-2.min.js" in html
    assert "django_htmx/ext/hx-ws-2.min.js" in html
    # Works offline: no asset is loaded from another host.
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_csrf_token_is_set_once_on_body_for_htmx(client):
    response = client.get(reverse("home"))

    html = response.content.decode()
    token = re.search(r"<body hx-headers='\{\"x-csrftoken\": \"([^\"]+)\"\}'>", html)
    assert token is not None
    assert len(token.group(1)) >= 32


def test_home_only_answers_safe_methods(client):
    assert client.post(reverse("home")).status_code == 405


@pytest.mark.parametrize(("mode", "label"), [("local", "Local emulator"), ("fal", "fal.ai")])
def test_backend_context_follows_fal_mode(settings, mode, label):
    settings.FAL_MODE = mode

    context = backend(RequestFactory().get("/"))

    assert context == {"fal_backend": mode, "fal_backend_label": label}


def test_unknown_page_gets_the_styled_404(client, settings):
    settings.DEBUG = False

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "This page doesn't exist" in response.content.decode()


def test_the_dashboard_shows_my_latest_generations_in_few_queries(
    client, alice, django_user_model, django_assert_max_num_queries
):
    from playground.catalog.models import Endpoint
    from playground.jobs import actions

    endpoint = Endpoint.objects.get(endpoint_id="fal-ai/flux/schnell")
    for i in range(15):
        actions.submit_generation(user=alice, endpoint=endpoint, input={"prompt": f"mine {i}"})
    bob = django_user_model.objects.create_user("bob", password="pw-bob-12345")
    actions.submit_generation(user=bob, endpoint=endpoint, input={"prompt": "not mine"})
    client.force_login(alice)
    with django_assert_max_num_queries(8):
        html = client.get(reverse("home")).content.decode()
    assert html.count('class="dash-latest__item"') == 12
    assert "mine 14" in html and "not mine" not in html
    assert "Your generations will appear here" not in html


def test_home_page_describes_the_gateway_with_its_limits_and_budgets(client):
    html = client.get(reverse("home")).content.decode()

    gateway_card = html[html.index("Gateway") :][:500]
    assert "personal token" in gateway_card
    assert "charted by day, model and entrance" in gateway_card
    # Usage charts, rate limits and budgets are all here: nothing is "coming soon".
    assert "rate limits and monthly budgets" in gateway_card
    assert "Coming soon" not in gateway_card and "data-coming-soon" not in html


def test_readme_documents_the_gateway_usage_limits_and_budgets():
    from django.conf import settings

    readme = (settings.BASE_DIR / "README.md").read_text()

    assert "## Gateway" in readme and "/api/fal/proxy" in readme
    assert "## Usage" in readme and "/usage/export.csv" in readme
    assert "## Rate limits" in readme and "Retry-After" in readme
    assert "## Budgets" in readme and "set_budget --user NAME 25" in readme
    assert "monthly budgets (a warning at 80 %, a stop at 100 %)" in readme
    assert "Coming soon" not in readme and "not in this version yet" not in readme
    assert "yet: usage charts" not in readme and "yet: rate limits" not in readme


def test_signed_in_people_find_usage_in_the_top_bar(client, alice):
    client.force_login(alice)

    html = client.get(reverse("home")).content.decode()

    nav = html[html.index('id="main-nav"') :][:2000]
    assert f'href="{reverse("usage:page")}"' in nav and ">Usage</a>" in nav
