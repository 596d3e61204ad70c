"""The one way stored files leave the server: inline only for pictures, audio and video."""

from __future__ import annotations

import io

import pytest
from django.test import RequestFactory

from playground.lib import serving
from tests.support import SANDBOX, body


def serve(content_type: str, data: bytes = b"0123456789", name: str = "f.bin", **headers):
    request = RequestFactory().get("/file", headers=headers)
    return serving.file_response(
        request, io.BytesIO(data), size=len(data), content_type=content_type, filename=name
    )


@pytest.mark.parametrize(
    "content_type", ["image/png", "image/jpeg", "image/webp", "audio/mpeg", "video/mp4"]
)
def test_pictures_sound_and_video_are_served_inline(content_type):
    response = serve(content_type)
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == SANDBOX


@pytest.mark.parametrize(
    "content_type",
    [
        "text/html",
        "text/html; charset=utf-8",
        "image/svg+xml",
        "application/xhtml+xml",
        "text/xml",
        "text/javascript",
        "text/css",
        "text/plain",
        "application/pdf",
        "",
    ],
)
def test_everything_else_is_a_download_no_browser_renders(content_type):
    response = serve(content_type, name="page.html")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="page.html"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == SANDBOX


def test_the_file_name_in_the_header_is_made_safe():
    response = serve("text/html", name='a"b\r\nSet-Cookie: x=1;.html')
    assert "\n" not in response["Content-Disposition"]
    assert response["Content-Disposition"] == 'attachment; filename="a_b_Set-Cookie_ x_1_.html"'


def test_a_picture_asked_as_download_keeps_its_type():
    request = RequestFactory().get("/file")
    picture = io.BytesIO(b"png")
    response = serving.file_response(
        request, picture, size=3, content_type="image/png", filename="x.png", download=True
    )
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="x.png"'


def test_the_body_is_streamed_in_full_with_its_length():
    response = serve("video/mp4")
    assert response.streaming and response.is_async  # never collected whole under ASGI
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == "10"
    assert body(response) == b"0123456789"


@pytest.mark.parametrize(
    ("asked", "content_range", "sent"),
    [
        ("bytes=2-5", "bytes 2-5/10", b"2345"),
        ("bytes=7-", "bytes 7-9/10", b"789"),
        ("bytes=-3", "bytes 7-9/10", b"789"),
        ("bytes=8-100", "bytes 8-9/10", b"89"),
    ],
)
def test_one_byte_range_is_served_partially_so_videos_can_seek(asked, content_range, sent):
    response = serve("video/mp4", Range=asked)
    assert response.status_code == 206
    assert response["Content-Range"] == content_range
    assert response["Content-Length"] == str(len(sent))
    assert body(response) == sent


def test_a_range_past_the_end_is_416():
    response = serve("video/mp4", Range="bytes=10-")
    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */10"


@pytest.mark.parametrize("asked", ["bytes=0-1,4-5", "items=0-1", "bytes=5-2x"])
def test_ranges_we_do_not_serve_get_the_whole_file(asked):
    response = serve("video/mp4", Range=asked)
    assert response.status_code == 200
    assert body(response) == b"0123456789"


def test_the_file_is_closed_once_sent():
    handle = io.BytesIO(b"abc")
    request = RequestFactory().get("/file")
    response = serving.file_response(
        request, handle, size=3, content_type="image/png", filename="x.png"
    )
    assert body(response) == b"abc"
    assert handle.closed


def test_bytes_made_on_the_way_out_follow_the_same_rules():
    response = serving.bytes_response(b"<svg/>", content_type="image/svg+xml", filename="x.svg")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Security-Policy"] == SANDBOX
