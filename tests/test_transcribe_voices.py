"""Voice embeddings: the bundled GE2E encoder in numpy, on real speech."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

from transcribe.audio import decode
from transcribe.voices import SAME_VOICE
from transcribe.voices import WEIGHTS_PATH
from transcribe.voices import VoiceEncoder
from transcribe.voices import VoiceFrames
from transcribe.voices import _openblas
from transcribe.voices import get_encoder
from transcribe.voices import similarity
from transcribe.voices import voice_frames

ROOT = Path(__file__).resolve().parent.parent
AUDIO = Path(__file__).resolve().parent / "data" / "audio"

# Real, different people (see data/audio/PROVENANCE.txt). AMI's headset clip
# holds two voices, so it is only ever someone else.
READERS = {
    "LJ Speech (a woman)": sorted(AUDIO.glob("LJ*.wav")),
    "LibriVox (a man)": sorted(AUDIO.glob("psphinx_sas_*.wav")),
}
OTHERS = [AUDIO / "jfk.flac", AUDIO / "libri_2412-153948-0000.flac", AUDIO / "ami_ES2011a_hs0_40-46.wav"]


@pytest.fixture(scope="module")
def means():
    """The mean voice of every clip, by path.

    The clips are laid end to end on the 1.6 s window grid, so that one call
    embeds them all (in full batches) and no window spans two clips.
    """
    paths = [p for clips in READERS.values() for p in clips] + OTHERS
    step = 25600  # 1.6 s of samples
    clips = [decode(p) for p in paths]
    starts = np.cumsum([0] + [-(-len(c) // step) * step for c in clips])
    recording = np.zeros(starts[-1], np.float32)
    for start, clip in zip(starts, clips):
        recording[start : start + len(clip)] = clip
    frames = voice_frames(recording, step_ms=1600)
    return {p: frames.between(a // 16, b // 16).mean() for p, a, b in zip(paths, starts, starts[1:])}


def unit_rows(n, seed=0):
    vectors = np.abs(np.random.default_rng(seed).standard_normal((n, 256))).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_bytes_round_trip():
    frames = VoiceFrames(np.array([800, 2400, 4000]) + 10**9, unit_rows(3))
    data = frames.to_bytes()
    back = VoiceFrames.from_bytes(data)
    # test that the encoding is compact (float16) and loses almost nothing
    assert len(data) < 3 * 530
    assert back.centers_ms.dtype == np.int64 and back.vectors.dtype == np.float32
    assert back.centers_ms.tolist() == frames.centers_ms.tolist()
    np.testing.assert_allclose(back.vectors, frames.vectors, atol=1e-3)
    np.testing.assert_allclose(np.linalg.norm(back.vectors, axis=1), 1, atol=1e-6)
    assert len(VoiceFrames.from_bytes(VoiceFrames.empty().to_bytes())) == 0


@pytest.mark.parametrize("data", [b"", b"MVF1", b"JUNK" + bytes(8), VoiceFrames.empty().to_bytes() + b"x"])
def test_from_bytes_rejects_other_data(data):
    with pytest.raises(ValueError):
        VoiceFrames.from_bytes(data)


def test_concat_orders_by_time_and_between_selects():
    late = VoiceFrames([5_000, 6_600], unit_rows(2, 1))
    early = VoiceFrames([800], unit_rows(1, 2))
    joined = VoiceFrames.concat([late, early])
    assert joined.centers_ms.tolist() == [800, 5_000, 6_600]
    np.testing.assert_array_equal(joined.vectors[0], early.vectors[0])
    assert joined.between(1_000, 6_600).centers_ms.tolist() == [5_000]
    assert len(VoiceFrames.concat([])) == 0


def test_silence_gives_no_frames():
    quiet_room = np.random.default_rng(0).standard_normal(16000 * 10).astype(np.float32) * 1e-4  # -80 dBFS
    assert len(voice_frames(np.zeros(16000 * 10, np.float32))) == 0
    assert len(voice_frames(quiet_room)) == 0
    assert len(voice_frames(np.zeros(100, np.float32))) == 0


def test_shapes_times_and_normalisation():
    jfk = decode(AUDIO / "jfk.flac")  # 11 s
    frames = voice_frames(jfk, offset_ms=60_000, step_ms=1600)
    # test that windows tile the clip, each centre on the recording's timeline
    assert len(frames) == 7
    assert frames.centers_ms.tolist() == [60_800 + 1600 * k for k in range(7)]
    assert frames.vectors.shape == (7, 256) and frames.vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(frames.vectors, axis=1), 1, atol=1e-5)
    assert len(voice_frames(jfk, step_ms=800)) == 13


def test_matches_the_reference_model():
    # Resemblyzer's torch model on librosa's mel of the same window (levelled to
    # -25 dBFS speech), computed once with tools/convert_ge2e.py's scratch venv:
    # its largest entries.
    reference = {203: 0.2992, 131: 0.2272, 212: 0.2028, 107: 0.1971, 82: 0.19, 16: 0.1806, 162: 0.1786, 13: 0.1764}
    window = decode(AUDIO / "jfk.flac")[16000 : 16000 + 25600]
    vector = get_encoder().embed(window[None])[0]
    assert {i: round(float(vector[i]), 4) for i in reference} == pytest.approx(reference, abs=5e-4)
    # test that a recording of exactly one window gives the same as embedding it alone
    np.testing.assert_allclose(voice_frames(window).vectors[0], vector, atol=1e-6)


def test_level_does_not_matter():
    clip = decode(AUDIO / "psphinx_sas_0870.wav")
    near, far = voice_frames(clip), voice_frames(clip * 0.05)  # 26 dB quieter
    assert near.centers_ms.tolist() == far.centers_ms.tolist()
    assert np.sum(near.vectors * far.vectors, axis=1).min() > 0.999


def test_threads_give_the_same_vectors():
    clip = decode(AUDIO / "libri_2412-153948-0000.flac")  # 7 windows: 4 batches of 2
    blas = _openblas()
    threads_before = blas[0]() if blas else None
    one = voice_frames(clip, encoder=VoiceEncoder(batch_size=2, threads=1))
    two = voice_frames(clip, encoder=VoiceEncoder(batch_size=2, threads=2))
    np.testing.assert_array_equal(one.vectors, two.vectors)
    # test that numpy's BLAS gets its thread count back afterwards
    assert (blas[0]() if blas else None) == threads_before


def test_same_reader_is_nearer_than_anyone_else(means):
    paths = list(means)
    reader_of = {p: name for name, clips in READERS.items() for p in clips}
    sims = similarity(np.array([means[p] for p in paths]), np.array([means[p] for p in paths]))
    for i, path in enumerate(paths):
        if path not in reader_of:
            continue
        same = [sims[i, j] for j, other in enumerate(paths) if other != path and reader_of.get(other) == reader_of[path]]
        different = [sims[i, j] for j, other in enumerate(paths) if reader_of.get(other) != reader_of[path]]
        # test that another clip of the same reader is nearer than every other voice
        assert max(same) > max(different), path.name
    # test that whole clips of different people fall below the "same voice" threshold
    for name, clips in READERS.items():
        voice = similarity(np.array([means[p] for p in clips]).mean(axis=0), np.array([means[p] for p in OTHERS]))
        assert voice.max() < SAME_VOICE, name


def test_weights_are_bundled_and_packaged():
    assert WEIGHTS_PATH.is_file() and WEIGHTS_PATH.stat().st_size < 4_000_000
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "data/*.npz" in package_data["transcribe"]


def test_similarity_is_cosine():
    a, b = unit_rows(3, 1), unit_rows(2, 2) * 5
    sims = similarity(a, b)
    assert sims.shape == (3, 2)
    np.testing.assert_allclose(sims, a @ (b / 5).T, atol=1e-6)
    np.testing.assert_allclose(np.diag(similarity(a, a)), 1, atol=1e-6)
