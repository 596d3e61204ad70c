"""What a person sees of audio and showcased generations: an audio card draws its sound's
real waveform and is titled by the words spoken; the showcase toggle and the sharing
controls stay in step when either changes."""

from __future__ import annotations

import io
import math
import struct
import wave

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from playground.accounts.models import Membership, Role, Team
from playground.jobs.models import Generation, MediaAsset
from tests.gallery.conftest import finished
from tests.support import use_media_of

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture
def signed_in(page, live_app, live_user, settings):
    use_media_of(live_app, settings)  # the live server's storage
    user = live_user("media-alice", "pw-alice-123")
    page.goto(f"{live_app.url}/accounts/login/")
    page.fill("#id_username", "media-alice")
    page.fill("#id_password", "pw-alice-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_app.url}/")
    return page, live_app.url, user


def loud_then_quiet_wav() -> bytes:
    """One second: half a second of a loud tone, then half a second almost silent."""
    rate = 8000
    frames = bytearray()
    for i in range(rate):
        amplitude = 0.9 if i < rate // 2 else 0.02
        sample = int(32767 * amplitude * math.sin(2 * math.pi * 440 * i / rate))
        frames += struct.pack("<h", sample)
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(bytes(frames))
    return out.getvalue()


def speech(user, text: str) -> Generation:
    generation = finished(user, image=False, input={"text": text}, media_kind="audio")
    data = loud_then_quiet_wav()
    asset = MediaAsset(
        generation=generation,
        kind="audio",
        source_url="https://v3.fal.media/files/speech.wav",
        content_type="audio/wav",
        duration=1.0,
        bytes=len(data),
        sha256="0" * 64,
    )
    asset.file.save("00-audio.wav", ContentFile(data), save=True)
    return generation


def test_an_audio_card_draws_its_waveform_and_shows_the_spoken_text(signed_in):
    page, base, user = signed_in
    speech(user, "Welcome aboard, the tide is turning.")
    page.goto(f"{base}/gallery/?kind=audio")
    card = page.locator("[data-card]")
    expect(card).to_have_count(1)
    expect(card.locator(".g-card__prompt")).to_have_text("Welcome aboard, the tide is turning.")
    wave_canvas = card.locator("canvas[data-waveform]")
    expect(wave_canvas).to_have_attribute("data-waveform-state", "drawn")
    # The tallest painted bar in the first 40% (loud) and the last 40% (quiet) of the canvas.
    heights = wave_canvas.evaluate(
        """canvas => {
          const ctx = canvas.getContext("2d");
          const {width, height} = canvas;
          const data = ctx.getImageData(0, 0, width, height).data;
          const column = x => {
            let painted = 0;
            for (let y = 0; y < height; y++) if (data[(y * width + x) * 4 + 3] > 0) painted++;
            return painted / height;
          };
          const half = (from, to) => {
            let best = 0;
            for (let x = from; x < to; x++) best = Math.max(best, column(x));
            return best;
          };
          return [half(0, width * 0.4 | 0), half(width * 0.6 | 0, width)];
        }"""
    )
    loud, quiet = heights
    assert loud > 0.8 and quiet < 0.2, heights


def test_the_showcase_toggle_follows_a_visibility_change(signed_in):
    page, base, user = signed_in
    team = Team.objects.create(name="Harbour", slug="harbour")
    Membership.objects.create(user=user, team=team, role=Role.OWNER)
    generation = finished(user, "a lighthouse", team=team, visibility="team")
    page.goto(f"{base}{generation.get_absolute_url()}")
    page.get_by_role("button", name="Add to team showcase").click()
    expect(page.get_by_role("button", name="Remove from showcase")).to_be_visible()
    expect(page.locator("[data-showcase-state]")).to_contain_text("On Harbour's showcase.")
    sharing = page.locator(".g-sharing")
    expect(sharing.get_by_label("Who can see it")).to_have_value("public")  # showcased: public
    expect(sharing.get_by_label("Share link")).to_be_visible()

    sharing.get_by_label("Who can see it").select_option("private")
    sharing.get_by_role("button", name="Save").click()
    # Private takes it off the showcase: the toggle says so without a reload.
    expect(page.get_by_role("button", name="Add to team showcase")).to_be_visible()
    expect(page.locator("[data-showcase-state]")).not_to_contain_text("On Harbour's showcase.")
    generation.refresh_from_db()
    assert not generation.in_showcase and generation.visibility == "private"
