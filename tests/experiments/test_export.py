"""The experiment zip: streamed in bounded chunks, valid, with safe and unique names."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from decimal import Decimal

import pytest

from playground.experiments.export import (
    CHUNK_BYTES,
    ExportFile,
    UnsafeArcname,
    safe_arcname,
    stream_export_zip,
    unique_arcnames,
)

SHEET = b"\x89PNG\r\n\x1a\n pretend sheet"


def unzip(chunks) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(chunks)))


def test_the_zip_holds_the_sheet_the_metadata_and_every_file(tmp_path):
    (tmp_path / "a.png").write_bytes(b"png bytes")
    (tmp_path / "b.json").write_bytes(b'{"text": "hello"}')
    files = [
        ExportFile("files/x1_y1.png", tmp_path / "a.png"),
        ExportFile("files/x2_y1.json", tmp_path / "b.json"),
    ]
    metadata = {"title": "Guidance x steps", "cost_usd": Decimal("0.003")}

    archive = unzip(stream_export_zip(sheet_png=SHEET, files=files, metadata=metadata))

    assert archive.testzip() is None
    assert archive.namelist() == [
        "contact-sheet.png",
        "metadata.json",
        "files/x1_y1.png",
        "files/x2_y1.json",
    ]
    assert archive.read("contact-sheet.png") == SHEET
    assert archive.read("files/x1_y1.png") == b"png bytes"
    assert archive.read("files/x2_y1.json") == b'{"text": "hello"}'
    document = archive.read("metadata.json").decode()
    assert json.loads(document) == {"title": "Guidance x steps", "cost_usd": "0.003"}
    assert '\n  "title"' in document  # indented for people reading it


def test_media_is_stored_and_text_is_deflated(tmp_path):
    (tmp_path / "a.png").write_bytes(b"x" * 5000)
    (tmp_path / "a.txt").write_bytes(b"x" * 5000)
    files = [ExportFile("a.png", tmp_path / "a.png"), ExportFile("a.txt", tmp_path / "a.txt")]

    archive = unzip(stream_export_zip(sheet_png=SHEET, files=files, metadata={}))

    kinds = {info.filename: info.compress_type for info in archive.infolist()}
    assert kinds == {
        "contact-sheet.png": zipfile.ZIP_STORED,
        "metadata.json": zipfile.ZIP_DEFLATED,
        "a.png": zipfile.ZIP_STORED,
        "a.txt": zipfile.ZIP_DEFLATED,
    }


def test_a_large_file_streams_in_bounded_chunks(tmp_path):
    # Random bytes: stored as they are, so the zip is as large as the file.
    video = tmp_path / "big.mp4"
    with video.open("wb") as out:
        for _ in range(20):
            out.write(hashlib.sha256(out.tell().to_bytes(8)).digest() * 32768)
    expected = hashlib.sha256(video.read_bytes()).hexdigest()

    chunks = list(
        stream_export_zip(sheet_png=SHEET, files=[ExportFile("files/big.mp4", video)], metadata={})
    )

    assert max(len(chunk) for chunk in chunks) <= CHUNK_BYTES
    assert len(chunks) > 20 * 1024 * 1024 // CHUNK_BYTES
    assert hashlib.sha256(unzip(chunks).read("files/big.mp4")).hexdigest() == expected


def test_nothing_is_read_before_the_first_chunk_is_asked_for(tmp_path):
    stream = stream_export_zip(
        sheet_png=SHEET, files=[ExportFile("late.png", tmp_path / "late.png")], metadata={}
    )
    (tmp_path / "late.png").write_bytes(b"written after the call")

    assert unzip(stream).read("late.png") == b"written after the call"


def test_a_file_gone_from_disk_is_left_out_and_the_zip_stays_valid(tmp_path):
    (tmp_path / "kept.png").write_bytes(b"kept")
    files = [
        ExportFile("gone.png", tmp_path / "gone.png"),
        ExportFile("kept.png", tmp_path / "kept.png"),
    ]

    archive = unzip(stream_export_zip(sheet_png=SHEET, files=files, metadata={}))

    assert archive.testzip() is None
    assert archive.namelist() == ["contact-sheet.png", "metadata.json", "kept.png"]


@pytest.mark.parametrize(
    "name",
    ["/etc/passwd", "\\\\server\\share\\a.png", "C:\\Windows\\a.png", "c:a.png"],
)
def test_absolute_names_are_refused(name):
    with pytest.raises(UnsafeArcname, match="absolute"):
        safe_arcname(name)


@pytest.mark.parametrize("name", ["../a.png", "files/../../a.png", "files\\..\\a.png"])
def test_names_climbing_out_are_refused(name):
    with pytest.raises(UnsafeArcname, match="climbs out"):
        safe_arcname(name)


@pytest.mark.parametrize("name", ["", ".", "./", "a\x00.png", "a\n.png"])
def test_empty_names_and_control_characters_are_refused(name):
    with pytest.raises(UnsafeArcname):
        safe_arcname(name)


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("files\\x1.png", "files/x1.png"),
        ("./files//x1.png", "files/x1.png"),
        ("files/./x1.png", "files/x1.png"),
        ("files/x1..png", "files/x1..png"),
    ],
)
def test_names_are_normalised_to_forward_slashes(name, safe):
    assert safe_arcname(name) == safe


def test_an_unsafe_name_is_refused_before_anything_streams(tmp_path):
    files = [ExportFile("../escape.png", tmp_path / "a.png")]

    with pytest.raises(UnsafeArcname):
        stream_export_zip(sheet_png=SHEET, files=files, metadata={})


def test_repeated_names_get_numbered_before_their_extension():
    names = ["a.png", "a.png", "A.PNG", "files/b", "files/b", "metadata.json"]

    assert unique_arcnames(names) == [
        "a.png",
        "a-2.png",
        "A-3.PNG",
        "files/b",
        "files/b-2",
        "metadata-2.json",
    ]


def test_duplicate_files_all_reach_the_zip(tmp_path):
    (tmp_path / "one").write_bytes(b"one")
    (tmp_path / "two").write_bytes(b"two")
    files = [
        ExportFile("files\\x.png", tmp_path / "one"),
        ExportFile("files/x.png", tmp_path / "two"),
        ExportFile("contact-sheet.png", tmp_path / "two"),
    ]

    archive = unzip(stream_export_zip(sheet_png=SHEET, files=files, metadata={}))

    assert archive.read("files/x.png") == b"one"
    assert archive.read("files/x-2.png") == b"two"
    assert archive.read("contact-sheet.png") == SHEET
    assert archive.read("contact-sheet-2.png") == b"two"
