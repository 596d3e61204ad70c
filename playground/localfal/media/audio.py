"""Melodies, espeak-ng speech, and WAV/MP3 files."""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from collections.abc import Iterator

import av
import lameenc
import numpy as np

from playground.localfal.media.common import (
    MAX_SECONDS,
    MAX_SPEECH_CHARS,
    MIN_SECONDS,
    SPEECH_TIMEOUT,
    MediaError,
    clamp_seconds,
    seeded_rng,
)

# -- audio --------------------------------------------------------------------------------
_PENTATONIC = np.array([0, 2, 4, 7, 9, 12, 14, 16, 19, 21])


def tone_audio(prompt: str, seed: int, seconds: float, sample_rate: int = 44100) -> np.ndarray:
    """A short mono melody (int16) on a pentatonic scale chosen from the prompt hash."""
    sample_rate = min(max(int(sample_rate), 8000), 96000)
    total = max(1, int(clamp_seconds(seconds) * sample_rate))
    rng = seeded_rng("tone", prompt, seed)
    root = 196.0 * 2 ** (int(rng.integers(0, 12)) / 12)
    note = max(1, int(sample_rate * float(rng.choice([0.18, 0.25, 0.3, 0.4]))))
    steps = np.clip(np.cumsum(rng.integers(-2, 3, total // note + 1)) + 4, 0, len(_PENTATONIC) - 1)
    freqs = np.repeat(root * 2 ** (_PENTATONIC[steps] / 12), note)[:total]
    phase = np.cumsum(2 * np.pi * freqs / sample_rate)  # continuous phase: no clicks between notes
    voice = np.sin(phase) + 0.3 * np.sin(2 * phase) + 0.12 * np.sin(3 * phase)
    local = (np.arange(total) % note) / note
    envelope = np.minimum(1.0, local / 0.04) * np.exp(-3.0 * local)
    drone = 0.25 * np.sin(2 * np.pi * root / 2 * np.arange(total) / sample_rate)
    signal = (voice * envelope + drone) * _fades(total, sample_rate)
    peak = float(np.abs(signal).max()) or 1.0
    return (signal / peak * 0.5 * 32767).astype(np.int16)


def _fades(total: int, sample_rate: int) -> np.ndarray:
    ramp = min(total // 2, sample_rate // 100)
    envelope = np.ones(total)
    if ramp:
        envelope[:ramp] = np.linspace(0, 1, ramp)
        envelope[-ramp:] = np.linspace(1, 0, ramp)
    return envelope


def speech_audio(text: str, seconds_hint: float | None = None) -> tuple[np.ndarray, int]:
    """(int16 samples, rate): espeak-ng speaking `text`, or a melody when it isn't installed.

    Speech longer than MAX_SECONDS is cut; `seconds_hint` sets the fallback melody's length.
    """
    text = " ".join((text or "").split())[:MAX_SPEECH_CHARS] or "Hello from the local fal emulator."
    espeak = shutil.which("espeak-ng")
    if espeak:
        try:
            samples, rate = _espeak(espeak, text)
            return samples[: int(MAX_SECONDS * rate)], rate
        except (OSError, subprocess.SubprocessError, MediaError):
            pass  # a broken espeak install must not fail the request: fall back to tones
    seconds = seconds_hint if seconds_hint else 0.4 * len(text.split())
    return tone_audio(text, 0, clamp_seconds(seconds), 22050), 22050


def _espeak(executable: str, text: str) -> tuple[np.ndarray, int]:
    # Text goes through stdin so a text starting with "-" is never read as an option.
    result = subprocess.run(
        [executable, "--stdout", "-b", "1"],
        input=text.encode(),
        capture_output=True,
        timeout=SPEECH_TIMEOUT,
        check=True,
    )
    samples, rate = read_wav(result.stdout)
    if not samples.size:
        raise MediaError("espeak-ng produced no audio")
    return samples, rate


def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    """Mono int16 samples of a 16-bit PCM WAV; tolerates streamed WAVs with bogus sizes."""
    try:
        with wave.open(io.BytesIO(data), "rb") as reader:
            if reader.getsampwidth() != 2:
                raise MediaError("only 16-bit WAV is supported")
            channels, rate = reader.getnchannels(), reader.getframerate()
            raw = reader.readframes(reader.getnframes())
    except (wave.Error, EOFError) as exc:
        raise MediaError(f"could not read WAV audio: {exc}") from exc
    usable = len(raw) - len(raw) % (2 * channels)
    samples = np.frombuffer(raw[:usable], dtype="<i2").reshape(-1, channels)
    return samples.mean(axis=1).astype(np.int16), rate


def decode_audio(data: bytes, max_seconds: float = MAX_SECONDS) -> tuple[np.ndarray, int]:
    """Mono int16 samples of any audio (or a video's audio track) PyAV can decode."""
    try:
        with av.open(io.BytesIO(data)) as container:
            stream = next((s for s in container.streams if s.type == "audio"), None)
            if stream is None:
                raise MediaError("the input has no audio track")
            rate = min(max(int(stream.rate or 44100), 8000), 48000)
            resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
            chunks = list(_resampled(container.decode(stream), resampler, int(max_seconds * rate)))
    except av.FFmpegError as exc:
        raise MediaError(f"could not decode the input audio: {exc}") from exc
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
    return samples[: int(max_seconds * rate)], rate


def _resampled(
    frames: Iterator[av.AudioFrame], resampler: av.AudioResampler, limit: int
) -> Iterator[np.ndarray]:
    count = 0
    for frame in _with_flush(frames):
        for out in resampler.resample(frame):
            chunk = out.to_ndarray().reshape(-1).astype(np.int16)
            count += chunk.size
            yield chunk
        if count >= limit:
            return


def _with_flush(frames: Iterator[av.AudioFrame]) -> Iterator[av.AudioFrame | None]:
    yield from frames
    yield None  # flushes the resampler's buffered tail


def soften_audio(samples: np.ndarray) -> np.ndarray:
    """The input lightly smoothed and normalised: what "isolation" or voice changes give here."""
    signal = np.asarray(samples, np.float64).reshape(-1)
    if not signal.size:
        return np.zeros(int(MIN_SECONDS * 8000), np.int16)  # silence rather than an empty file
    smoothed = np.convolve(signal, np.ones(3) / 3, mode="same")
    peak = float(np.abs(smoothed).max()) or 1.0
    return (smoothed / peak * 0.7 * 32767).astype(np.int16)


def encode_wav(samples: np.ndarray, rate: int) -> bytes:
    """16-bit PCM WAV; `samples` is (n,) mono or (n, channels)."""
    pcm = np.asarray(samples, dtype=np.int16)
    channels = 1 if pcm.ndim == 1 else pcm.shape[1]
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(int(rate))
        writer.writeframes(pcm.astype("<i2").tobytes())
    return buffer.getvalue()


def encode_mp3(samples: np.ndarray, rate: int) -> bytes:
    """128 kbit/s MP3 via LAME; `samples` is (n,) mono or (n, channels) int16."""
    pcm = np.asarray(samples, dtype=np.int16)
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(128)
    encoder.set_in_sample_rate(int(rate))
    encoder.set_channels(1 if pcm.ndim == 1 else pcm.shape[1])
    encoder.set_quality(5)
    return bytes(encoder.encode(pcm.astype("<i2").tobytes()) + encoder.flush())
