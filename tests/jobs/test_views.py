"""Starting, watching and cancelling generations over HTTP."""

from __future__ import annotations

import pytest
from django.urls import reverse

from playground.jobs.models import Generation, Status
from tests.jobs.conftest import stored_image, submit
from tests.support import body

pytestmark = pytest.mark.django_db

FLUX = "fal-ai/flux/schnell"


def run_url(endpoint_id: str = FLUX) -> str:
    return reverse("jobs:run", args=[endpoint_id])


def test_run_with_the_form_encoding_creates_a_pending_generation_and_shows_its_panel(client, alice):
    client.force_login(alice)
    response = client.post(
        run_url(),
        {"prompt": "a fox", "image_size:branch": "1", "image_size:1": "square"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 201
    generation = Generation.objects.get()
    assert generation.status == Status.PENDING
    assert generation.input["prompt"] == "a fox"
    assert generation.input["image_size"] == "square"
    assert "__mode" not in generation.input
    assert f'ws-connect="/ws/generations/{generation.code}/"' in response.text
    assert response["HX-Trigger"] == "generation-started"


def test_run_without_htmx_redirects_to_the_generation(client, alice):
    client.force_login(alice)
    response = client.post(run_url(), {"prompt": "a fox"})
    generation = Generation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == generation.get_absolute_url()


def test_invalid_input_never_reaches_fal(client, alice):
    client.force_login(alice)
    response = client.post(run_url(), {"num_inference_steps": "lots"})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert "prompt" in errors and "num_inference_steps" in errors
    assert not Generation.objects.exists()


def test_a_mode_the_endpoint_lacks_is_refused(client, alice):
    client.force_login(alice)
    response = client.post(run_url("fal-ai/fast-sdxl"), {"prompt": "x", "__mode": "realtime"})
    assert response.status_code == 422
    assert not Generation.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.post(run_url(), {"prompt": "x"})
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_the_owner_sees_the_detail_page_and_outsiders_get_404(client, alice, charlie):
    generation = submit(alice)
    client.force_login(alice)
    page = client.get(generation.get_absolute_url())
    assert page.status_code == 200
    assert f"gen-{generation.code}-status" in page.text
    client.force_login(charlie)
    assert client.get(generation.get_absolute_url()).status_code == 404
    assert client.post(reverse("jobs:cancel", args=[generation.code])).status_code == 404


def test_cancel_marks_the_request_for_the_runner(client, alice):
    generation = submit(alice)
    client.force_login(alice)
    response = client.post(
        reverse("jobs:cancel", args=[generation.code]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 204
    generation.refresh_from_db()
    assert generation.cancel_requested


def test_recent_lists_only_my_runs_of_that_model_in_few_queries(
    client, alice, charlie, django_assert_max_num_queries
):
    for _ in range(5):
        submit(alice)
    submit(charlie)
    submit(alice, "fal-ai/fast-sdxl", {"prompt": "other model"})
    client.force_login(alice)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("jobs:recent", args=[FLUX]))
    assert response.status_code == 200
    assert response.text.count('class="gen-recent__item"') == 5
    assert "other model" not in response.text


def test_stored_files_are_served_only_to_those_who_may_see_them(client, alice, charlie):
    generation = submit(alice)
    asset = stored_image(generation)
    client.force_login(alice)
    response = client.get(asset.file.url)
    assert response.status_code == 200
    assert body(response) == b"png"
    assert response["Content-Type"] == "image/png"
    download = client.get(asset.file.url + "?download=1")
    assert "attachment" in download["Content-Disposition"]
    client.force_login(charlie)
    assert client.get(asset.file.url).status_code == 404
    client.logout()
    assert client.get(asset.file.url).status_code == 302


def test_one_person_cannot_fill_the_queue(client, alice, charlie, settings):
    settings.RUNS_IN_FLIGHT_PER_USER = 2
    client.force_login(alice)
    codes = [
        client.post(run_url(), {"prompt": f"fox {n}"}, headers={"HX-Request": "true"}).status_code
        for n in range(3)
    ]
    assert codes == [201, 201, 429]
    refused = client.post(run_url(), {"prompt": "one more"}, headers={"HX-Request": "true"})
    assert "runs waiting or running" in refused.json()["errors"]["__all__"][0]
    assert Generation.objects.filter(owner=alice).count() == 2
    rerun = client.post(reverse("gallery:rerun", args=[Generation.objects.first().code]))
    assert rerun.status_code == 302
    assert Generation.objects.filter(owner=alice).count() == 2
    Generation.objects.filter(owner=alice).update(status=Status.COMPLETED)
    again = client.post(run_url(), {"prompt": "later"}, headers={"HX-Request": "true"})
    assert again.status_code == 201
    client.force_login(charlie)  # the limit is per person
    assert (
        client.post(run_url(), {"prompt": "mine"}, headers={"HX-Request": "true"}).status_code
        == 201
    )
