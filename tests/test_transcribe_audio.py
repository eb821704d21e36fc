"""Decoding every upload format, chunked MediaRecorder streams and bad input."""

from __future__ import annotations

import io
import random
from pathlib import Path

import numpy as np
import pytest

from transcribe.audio import AudioDecodeError, ChunkStream, decode, decode_chunks, duration_ms, encode

AUDIO = Path(__file__).parent / "data" / "audio"
CLIP = AUDIO / "jfk.flac"  # 11.00 s, 44.1 kHz

# name: (container, encoder, output rate, muxer options, encoder options)
FORMATS = {
    "wav": ("wav", "pcm_s16le", 16000, None, None),
    "flac": ("flac", "flac", 22050, None, None),
    "mp3": ("mp3", "libmp3lame", 44100, None, None),
    "m4a": ("ipod", "aac", 44100, None, None),
    "mp4": ("mp4", "aac", 48000, None, None),
    "fmp4": ("mp4", "aac", 48000, {"movflags": "frag_keyframe+empty_moov+default_base_moof"}, None),
    "ogg-opus": ("ogg", "libopus", 48000, None, None),
    "ogg-vorbis": ("ogg", "vorbis", 44100, None, {"strict": "experimental"}),
    "webm": ("webm", "libopus", 48000, None, None),
}


@pytest.fixture(scope="session")
def clip() -> np.ndarray:
    return decode(CLIP)


@pytest.fixture(scope="session")
def encoded(clip, tmp_path_factory) -> dict[str, Path]:
    """Encode the clip into every format (once per session), skipping missing encoders."""
    folder = tmp_path_factory.mktemp("formats")
    paths: dict[str, Path] = {}
    for name, (container, codec, rate, options, codec_options) in FORMATS.items():
        path = folder / f"clip.{name}"
        try:
            encode(clip, str(path), container=container, codec=codec, rate=rate, options=options, codec_options=codec_options)
        except Exception as exc:  # an encoder missing from PyAV's FFmpeg build
            paths[name] = Path(f"unavailable: {type(exc).__name__}: {exc}")
            continue
        paths[name] = path
    return paths


def _get(encoded: dict[str, Path], name: str) -> Path:
    path = encoded[name]
    if str(path).startswith("unavailable:"):
        pytest.skip(f"PyAV's FFmpeg cannot encode {name} here ({path})")
    return path


def test_decode_shared_clip_is_16k_mono_float32(clip):
    assert clip.dtype == np.float32 and clip.ndim == 1
    assert clip.size == 11 * 16000
    assert 0.01 < float(np.abs(clip).max()) < 1.5  # resampling may overshoot 1.0 a little


@pytest.mark.parametrize("name", list(FORMATS))
def test_decode_every_format(encoded, clip, name):
    path = _get(encoded, name)
    audio = decode(path)
    assert audio.dtype == np.float32 and audio.ndim == 1
    # Codec priming/padding adds at most a few tens of milliseconds.
    assert abs(duration_ms(audio) - 11000) <= 100
    assert duration_ms(path) == duration_ms(audio)
    # Same sound: correlate the envelopes (robust to lossy coding and small delays).
    n = min(audio.size, clip.size) // 800  # 50-ms frames
    env_a = np.abs(audio[: n * 800]).reshape(n, 800).mean(axis=1)
    env_b = np.abs(clip[: n * 800]).reshape(n, 800).mean(axis=1)
    assert np.corrcoef(env_a, env_b)[0, 1] > 0.9


@pytest.mark.parametrize("name", ["wav", "webm", "fmp4"])
def test_decode_accepts_bytes_and_file_objects(encoded, name):
    path = _get(encoded, name)
    data = path.read_bytes()
    expected = decode(path)
    np.testing.assert_array_equal(decode(data), expected)
    with open(path, "rb") as handle:
        np.testing.assert_array_equal(decode(handle), expected)


def _split(data: bytes, pieces: int, seed: int) -> list[bytes]:
    cuts = sorted(random.Random(seed).sample(range(1, len(data)), pieces - 1))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


@pytest.mark.parametrize("name", ["webm", "fmp4"])
@pytest.mark.parametrize("seed", [1, 2])
def test_decode_chunks_at_arbitrary_byte_offsets(encoded, name, seed):
    """MediaRecorder chunks: only the first holds the header; cut anywhere."""
    data = _get(encoded, name).read_bytes()
    whole = duration_ms(data)
    chunks = _split(data, 12, seed)
    assert abs(duration_ms(decode_chunks(chunks)) - whole) <= 50


def test_decode_chunks_from_files_and_tiny_chunks(encoded, tmp_path):
    data = _get(encoded, "webm").read_bytes()
    chunks = [data[:1], data[1:7], *_split(data[7:], 5, 3)]
    paths = []
    for seq, chunk in enumerate(chunks):
        path = tmp_path / f"{seq:05d}.webm"
        path.write_bytes(chunk)
        paths.append(str(path))
    np.testing.assert_array_equal(decode_chunks(paths), decode(data))


def test_chunk_stream_reads_and_seeks_like_one_file():
    chunks = [b"abc", b"", b"defg", b"h"]
    with ChunkStream(chunks) as stream:
        assert stream.read() == b"abcdefgh"
        stream.seek(2)
        assert stream.read(3) == b"cde"
        stream.seek(-2, io.SEEK_END)
        assert stream.read() == b"gh"


def test_cut_off_recording_keeps_what_was_decoded(encoded):
    data = _get(encoded, "webm").read_bytes()
    audio = decode(data[: len(data) // 2])
    assert 3000 < duration_ms(audio) < 8000


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"Minutes of the annual review meeting\n" * 40, id="text"),
        pytest.param(bytes(random.Random(0).randbytes(4096)), id="random-bytes"),
        pytest.param((AUDIO / "jfk.flac").read_bytes()[:60], id="truncated-flac-header"),
        pytest.param(b"\x1aE\xdf\xa3" + b"\x00" * 20, id="truncated-webm"),
    ],
)
def test_bad_input_raises_audio_decode_error(data):
    with pytest.raises(AudioDecodeError, match=r"^The file could not be read as audio \(.+\)\.$"):
        decode(data)


def test_header_only_wav_has_no_sound(clip):
    buffer = io.BytesIO()
    encode(clip[:1600], buffer, container="wav", codec="pcm_s16le", rate=16000)
    header = buffer.getvalue()[:44]  # a RIFF/WAVE header and no samples
    with pytest.raises(AudioDecodeError):
        decode(header)


def test_empty_file_and_no_chunks(tmp_path):
    empty = tmp_path / "empty.webm"
    empty.write_bytes(b"")
    with pytest.raises(AudioDecodeError, match="empty"):
        decode(empty)
    with pytest.raises(AudioDecodeError, match="empty"):
        decode_chunks([b"", b""])


def test_audio_decode_error_is_a_value_error_and_missing_file_is_not(tmp_path):
    assert issubclass(AudioDecodeError, ValueError)
    with pytest.raises(FileNotFoundError):
        decode(tmp_path / "missing.wav")
