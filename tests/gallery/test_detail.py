"""A generation's page and its actions: favorite, notes and tags, delete and undo,
re-run, downloads (original, PNG with parameters, JSON sidecar, zip)."""

from __future__ import annotations

import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from playground.jobs.models import Generation
from playground.usage.models import Price
from playground.usage.prices import forget
from tests.gallery.conftest import finished
from tests.jobs.conftest import submit
from tests.support import body

pytestmark = pytest.mark.django_db


def test_the_page_shows_every_parameter_seed_timings_and_actions(client_alice, alice):
    generation = finished(alice, "a lighthouse", metrics={"inference_time": 1.25})
    page = client_alice.get(generation.get_absolute_url())
    text = page.text
    assert f"gen-{generation.code}-status" in text  # the live panel is still there
    assert "a lighthouse" in text and ">prompt<" in text and ">seed<" in text
    assert "Inference time" in text and "1.25 s" in text
    # No units from fal on this run: the estimate from its input at the bundled price.
    assert "≈ $0.003" in text and "1 megapixel at $0.003 per megapixel" in text
    assert f"?from={generation.code}" in text  # Reuse parameters
    assert reverse("gallery:rerun", args=[generation.code]) in text
    assert "Re-run, new seed" in text
    assert reverse("gallery:metadata", args=[generation.code]) in text
    assert generation.assets.get().file.url + "?download=1" in text
    assert reverse("gallery:delete", args=[generation.code]) in text


def test_a_cost_the_model_reports_is_shown(client_alice, alice):
    generation = finished(alice, "hi", output={"output": "hello", "usage": {"cost": 0.0021}})
    text = client_alice.get(generation.get_absolute_url()).text
    assert '$0.0021 <span class="muted small">(reported by the model)' in text


def test_what_fal_billed_is_shown_as_the_cost(client_alice, alice):
    generation = finished(alice, "hi", billable_units=2.0, cost=Decimal("0.006"))
    text = client_alice.get(generation.get_absolute_url()).text
    assert "<dt>Cost</dt><dd>$0.006" in text and "2 megapixels billed by fal" in text


def test_a_model_without_a_price_says_so(client_alice, alice):
    Price.objects.filter(endpoint_id="fal-ai/flux/schnell").delete()
    forget()
    generation = finished(alice, "a lighthouse")
    assert "Not available for this model" in client_alice.get(generation.get_absolute_url()).text


def test_a_failed_run_costs_nothing(client_alice, alice):
    generation = finished(alice, "a lighthouse", status="failed", error={"message": "boom"})
    text = client_alice.get(generation.get_absolute_url()).text
    assert "$0.00" in text and "fal bills successful outputs only" in text


def test_viewers_see_no_write_controls(client, alice, team, vera):
    generation = finished(alice, "posted", team=team, visibility="team", notes="by alice")
    client.force_login(vera)
    text = client.get(generation.get_absolute_url()).text
    assert reverse("gallery:delete", args=[generation.code]) not in text
    assert reverse("gallery:notes", args=[generation.code]) not in text
    assert "by alice" in text  # read-only notes
    assert f"?from={generation.code}" in text  # reuse is for everyone who sees it


def test_favorite_toggles_and_answers_htmx_with_the_button(client_alice, alice):
    generation = finished(alice)
    url = reverse("gallery:favorite", args=[generation.code])
    response = client_alice.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'aria-pressed="true"' in response.text
    assert Generation.objects.get(pk=generation.pk).favorite
    client_alice.post(url, {"favorite": "0"})
    assert not Generation.objects.get(pk=generation.pk).favorite


def test_notes_and_tags_are_saved_and_searchable(client_alice, alice):
    generation = finished(alice)
    response = client_alice.post(
        reverse("gallery:notes", args=[generation.code]),
        {"notes": "Client liked it", "tags": "Portrait, v2 ,portrait"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and "Saved" in response.text
    generation.refresh_from_db()
    assert generation.tags == ["portrait", "v2"] and generation.notes == "Client liked it"
    assert "client liked it" in generation.search_text
    assert str(generation.code) in client_alice.get("/gallery/", {"q": "v2"}).text


def test_overlong_notes_are_a_field_error(client_alice, alice):
    generation = finished(alice)
    response = client_alice.post(
        reverse("gallery:notes", args=[generation.code]),
        {"notes": "x" * 5001},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422 and "5,000" in response.text
    assert 'aria-invalid="true"' in response.text


def test_delete_then_undo(client_alice, alice):
    generation = finished(alice)
    response = client_alice.post(reverse("gallery:delete", args=[generation.code]))
    assert response.status_code == 302 and f"deleted={generation.code}" in response["Location"]
    assert Generation.objects.get(pk=generation.pk).deleted_at is not None
    gallery = client_alice.get(response["Location"])
    assert "Deleted 1 generation" in gallery.text and "Undo" in gallery.text
    assert client_alice.get(generation.get_absolute_url()).status_code == 404
    client_alice.post(reverse("gallery:bulk"), {"action": "restore", "g": str(generation.code)})
    assert Generation.objects.get(pk=generation.pk).deleted_at is None
    assert client_alice.get(generation.get_absolute_url()).status_code == 200


def test_deleting_a_running_generation_cancels_it(client_alice, alice):
    generation = submit(alice)
    client_alice.post(reverse("gallery:delete", args=[generation.code]))
    generation.refresh_from_db()
    assert generation.cancel_requested and generation.deleted_at


def test_undo_offers_only_my_own_deletions(client, alice, charlie):
    generation = finished(alice, deleted_at=timezone.now())
    client.force_login(charlie)
    assert "Undo" not in client.get("/gallery/", {"deleted": str(generation.code)}).text
    assert client.get("/gallery/", {"deleted": "not-a-uuid"}).status_code == 200


def test_rerun_with_a_new_seed(client_alice, alice):
    generation = finished(alice, "again")
    response = client_alice.post(reverse("gallery:rerun", args=[generation.code]))
    new = Generation.objects.exclude(pk=generation.pk).get()
    assert response["Location"] == new.get_absolute_url()
    assert new.input["prompt"] == "again" and new.status == "pending"
    assert new.input["seed"] != 7 and isinstance(new.input["seed"], int)


def test_the_png_download_carries_the_parameters(client_alice, alice):
    from PIL import Image

    generation = finished(alice, "a lighthouse")
    asset = generation.assets.get()
    stored = asset.file.read()
    asset.file.close()
    response = client_alice.get(asset.file.url + "?download=1")
    assert response["Content-Disposition"].startswith("attachment")
    image = Image.open(io.BytesIO(response.content))
    assert image.text["parameters"] == (
        "a lighthouse\nSeed: 7, Size: 8x6, Model: fal-ai/flux/schnell"
    )  # AUTOMATIC1111's format, which other tools read
    assert json.loads(image.text["input"]) == {"prompt": "a lighthouse", "seed": 7}
    assert image.text["generation"] == str(generation.code)
    assert response["Content-Disposition"] == (
        'attachment; filename="flux-schnell_a-lighthouse_seed7.png"'
    )
    with asset.file.open("rb") as again:
        assert again.read() == stored  # the stored file is never changed
    inline = client_alice.get(asset.file.url)
    assert body(inline) == stored


def test_a_broken_png_is_downloaded_as_stored(client_alice, alice):
    from tests.jobs.conftest import stored_image

    generation = finished(alice, image=False)
    asset = stored_image(generation)  # b"png": not a real PNG
    response = client_alice.get(asset.file.url + "?download=1")
    assert response.status_code == 200 and response.content == b"png"


def test_the_json_sidecar_has_all_metadata(client_alice, alice):
    generation = finished(
        alice, "a lighthouse", tags=["x"], billable_units=1.0, cost=Decimal("0.003")
    )
    response = client_alice.get(reverse("gallery:metadata", args=[generation.code]))
    data = json.loads(response.content)
    assert (data["billable_units"], data["cost_usd"]) == (1.0, "0.003")
    assert response["Content-Disposition"] == f'attachment; filename="{generation.code}.json"'
    assert data["input"] == {"prompt": "a lighthouse", "seed": 7}
    assert data["seed"] == 7 and data["tags"] == ["x"] and data["status"] == "completed"
    assert data["files"][0]["name"] == "00-images-0.png"


def test_bulk_download_is_a_zip_with_files_and_metadata(client_alice, alice):
    one, two = finished(alice, "one"), finished(alice, "two")
    response = client_alice.post(
        reverse("gallery:bulk"), {"action": "download", "g": [str(one.code), str(two.code)]}
    )
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="generations.zip"'
    assert response.streaming and response.is_async  # written as it is sent
    archive = zipfile.ZipFile(io.BytesIO(body(response)))
    assert archive.testzip() is None
    names = archive.namelist()
    assert len([n for n in names if n.endswith("metadata.json")]) == 2
    assert len([n for n in names if n.endswith(".png")]) == 2
    folder = next(n for n in names if str(one.code) in n).split("/")[0]
    assert json.loads(archive.read(f"{folder}/metadata.json"))["input"]["prompt"] == "one"
    assert f"{folder}/flux-schnell_one_seed7.png" in names  # named as a single download


def test_a_zip_is_written_one_file_at_a_time_while_it_is_sent(alice, monkeypatch):
    from playground.gallery import exports

    generations = [finished(alice, f"fox {n}") for n in range(3)]
    opened = []
    read_content = exports._content_chunks

    def spy(content):
        opened.append(content)
        return read_content(content)

    monkeypatch.setattr(exports, "_content_chunks", spy)
    monkeypatch.setattr(exports, "ZIP_CHUNK_BYTES", 1)
    response = exports.zip_response(generations)
    assert opened == []  # nothing is read before the response starts
    pieces = []
    for piece in exports._zip_chunks([e for g in generations for e in exports._zip_entries(g)]):
        pieces.append((piece, len(opened)))
    assert pieces[0] == (pieces[0][0], 1)  # the first file went out before the second was read
    assert pieces[0][0].startswith(b"PK\x03\x04")
    names = zipfile.ZipFile(io.BytesIO(b"".join(p for p, _ in pieces))).namelist()
    assert len(names) == 6
    assert zipfile.ZipFile(io.BytesIO(body(response))).namelist() == names


def test_a_zip_over_the_size_limit_is_refused_before_it_starts(client_alice, alice, settings):
    one, two = finished(alice, "one"), finished(alice, "two")
    size = sum(a.bytes for g in (one, two) for a in g.assets.all())
    settings.EXPORT_MAX_BYTES = size - 1
    response = client_alice.post(
        reverse("gallery:bulk"),
        {"action": "download", "g": [str(one.code), str(two.code)], "back": "/gallery/"},
        follow=True,
    )
    assert response["Content-Type"].startswith("text/html")
    assert "These 2 generations hold" in response.text
    assert "Select fewer and download them in parts." in response.text


def test_bulk_delete_and_move(client_alice, alice, team):
    one, two = finished(alice, "one"), finished(alice, "two")
    codes = [str(one.code), str(two.code)]
    client_alice.post(reverse("gallery:bulk"), {"action": "move", "g": codes, "team": team.pk})
    assert set(Generation.objects.values_list("team", "visibility")) == {(team.pk, "team")}
    response = client_alice.post(reverse("gallery:bulk"), {"action": "delete", "g": codes})
    assert "deleted=" in response["Location"]
    assert Generation.objects.filter(deleted_at__isnull=True).count() == 0


def test_bulk_move_to_a_team_without_the_post_right_is_refused(client, alice, team, vera):
    mine = finished(vera, "vera's")
    client.force_login(vera)
    client.post(reverse("gallery:bulk"), {"action": "move", "g": [str(mine.code)], "team": team.pk})
    assert Generation.objects.get(pk=mine.pk).team is None


def test_bulk_with_nothing_or_junk(client_alice, alice):
    assert client_alice.post(reverse("gallery:bulk"), {"action": "delete"}).status_code == 302
    junk = client_alice.post(reverse("gallery:bulk"), {"action": "delete", "g": "nope"})
    assert junk.status_code == 404


def test_bulk_compare_redirects_to_the_compare_page(client_alice, alice):
    one, two = finished(alice, "one"), finished(alice, "two")
    response = client_alice.post(
        reverse("gallery:bulk"), {"action": "compare", "g": [str(one.code), str(two.code)]}
    )
    assert response["Location"].startswith(reverse("gallery:compare"))


def test_compare_shows_a_diff_and_a_slider_for_two_images(client_alice, alice):
    one = finished(alice, "a red fox")
    two = finished(alice, "a blue fox")
    page = client_alice.get(reverse("gallery:compare"), {"g": [one.code, two.code]})
    assert page.status_code == 200
    assert "data-slider" in page.text and "data-slider-range" in page.text
    assert page.text.count("g-diff__differs") == 1  # the prompt; model and seed are equal
    assert "a red fox" in page.text and "a blue fox" in page.text


def test_compare_needs_two_to_four(client_alice, alice):
    one = finished(alice)
    assert client_alice.get(reverse("gallery:compare"), {"g": [one.code]}).status_code == 400
    assert client_alice.get(reverse("gallery:compare"), {"g": ["x", "y"]}).status_code == 404


def test_purge_deleted_removes_old_rows_and_their_files(alice):
    old = finished(alice, "old", deleted_at=timezone.now() - timezone.timedelta(days=40))
    recent = finished(alice, "recent", deleted_at=timezone.now() - timezone.timedelta(days=2))
    kept = finished(alice, "kept")
    storage = old.assets.get().file.storage
    path = old.assets.get().file.name
    out = io.StringIO()
    call_command("purge_deleted", stdout=out)
    assert "Purged 1 generation(s) and 2 file(s)" in out.getvalue()
    assert not storage.exists(path)
    assert set(Generation.objects.values_list("pk", flat=True)) == {recent.pk, kept.pk}
    call_command("purge_deleted", "--days", "1", stdout=out)
    assert set(Generation.objects.values_list("pk", flat=True)) == {kept.pk}
