"""The experiment's zip: a contact sheet of its grid, every file its runs made, and the
metadata of every cell; only for those who may see the experiment."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image

from playground.jobs.models import MediaAsset
from tests.experiments.conftest import finish, start
from tests.support import body

pytestmark = pytest.mark.django_db


def export_url(experiment) -> str:
    return reverse("experiments:export", args=[experiment.code])


def made_picture(generation, colour=(200, 40, 40)) -> MediaAsset:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, format="PNG")
    asset = MediaAsset(
        generation=generation, kind="image", source_url="https://v3.fal.media/files/out.png",
        content_type="image/png", bytes=len(buffer.getvalue()), sha256="0" * 64, width=64,
        height=48,
    )  # fmt: skip
    asset.file.save("00-images-0.png", ContentFile(buffer.getvalue()), save=True)
    return asset


def test_the_zip_has_the_contact_sheet_every_file_and_each_cells_metadata(
    client_alice, alice, flux_dev
):
    experiment = start(alice, flux_dev)  # 3 guidance values x 2 step counts
    done = experiment.generations.order_by("pk").first()
    made_picture(done)
    finish(done)

    response = client_alice.get(export_url(experiment))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(body(response)))
    assert archive.testzip() is None
    names = archive.namelist()
    assert names[:2] == ["contact-sheet.png", "metadata.json"]
    [picture] = [n for n in names if n.startswith("files/")]
    assert "2.5" in picture and "4" in picture  # named after its cell's values
    sheet = Image.open(io.BytesIO(archive.read("contact-sheet.png")))
    assert sheet.width > 3 * 64 and sheet.height > 2 * 64  # three columns, two rows
    metadata = json.loads(archive.read("metadata.json"))
    assert metadata["experiment"] == str(experiment.code)
    assert len(metadata["cells"]) == 6
    finished = [c for c in metadata["cells"] if c["generation"] == str(done.code)]
    assert finished[0]["status"] == "completed" and finished[0]["coords"] == [0, 0]


@pytest.mark.parametrize(
    ("who", "status"), [("alice", 200), ("bob", 200), ("charlie", 404), ("anonymous", 302)]
)
def test_who_may_download(client, request, alice, bob, charlie, team, flux_dev, who, status):
    experiment = start(alice, flux_dev, spec={"kind": "seeds", "count": 1}, team=team)
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))

    assert client.get(export_url(experiment)).status_code == status


def test_the_grid_page_offers_the_download(client_alice, alice, flux_dev):
    experiment = start(alice, flux_dev, spec={"kind": "seeds", "count": 1})

    page = client_alice.get(reverse("experiments:grid", args=[experiment.code])).text

    assert f'href="{export_url(experiment)}"' in page
