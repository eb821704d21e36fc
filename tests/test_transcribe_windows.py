"""Incremental (windowed) transcription with the fake engine, plus the engine factory."""

from __future__ import annotations

import json

import numpy as np
import pytest

from transcribe import FakeTranscriber, FasterWhisperTranscriber, IncrementalTranscriber, get_transcriber, transcribe_file
from transcribe.audio import encode
from transcribe.windows import transcribe_windowed

SR = 16000


def speech_with_pauses(seconds: int, seed: int = 0) -> np.ndarray:
    """Noise bursts of 2 s separated by 0.7-s pauses: 'sentences' the fake engine hears."""
    rng = np.random.default_rng(seed)
    audio = np.zeros(seconds * SR, dtype=np.float32)
    for start in range(0, (seconds - 2) * 1000, 2700):
        audio[start * 16 : (start + 2000) * 16] = rng.normal(0, 0.1, 2000 * 16)
    return audio


def continuous_speech(seconds: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 0.1, seconds * SR).astype(np.float32)


def words(segments) -> list[str]:
    return [w.text for s in segments for w in s.words]


@pytest.mark.parametrize("make", [speech_with_pauses, continuous_speech])
@pytest.mark.parametrize(("window_s", "search_s", "piece_s"), [(30, 5, 5), (10, 3, 1.3), (7, 2, 9)])
def test_windowed_words_equal_whole_file_words(make, window_s, search_s, piece_s):
    audio = make(95)
    whole = words(FakeTranscriber().transcribe(audio))
    engine = FakeTranscriber()
    windowed = words(transcribe_windowed(engine, audio, window_s=window_s, search_s=search_s, piece_s=piece_s))
    assert windowed == whole  # nothing lost, nothing doubled
    assert len(engine.calls) > 95 // window_s
    assert all(duration <= window_s * 1000 for _offset, duration in engine.calls)


def test_cuts_fall_in_pauses_when_there_are_pauses():
    engine = FakeTranscriber()
    transcribe_windowed(engine, speech_with_pauses(95), window_s=10, search_s=3, guard_s=1.0)
    for offset, duration in engine.calls[:-1]:
        cut = offset + duration
        assert cut % 2700 >= 1950, f"cut at {cut} ms is inside a burst"


def test_buffer_stays_small_and_segments_arrive_as_audio_does():
    inc = IncrementalTranscriber(FakeTranscriber(), window_s=10, search_s=3)
    audio = speech_with_pauses(120)
    committed = []
    for i in range(0, audio.size, SR):
        committed += inc.append(audio[i : i + SR])
        assert inc._buffer.size <= (10 + 1 + 1) * SR  # one window plus one piece plus the overlap
    assert inc.committed_ms > 100_000 and committed == inc.segments
    tail = inc.finish()
    assert inc.segments == committed + tail
    assert inc.finish() == []
    with pytest.raises(RuntimeError):
        inc.append(audio[:10])


def test_state_round_trips_through_json_and_resumes():
    audio = speech_with_pauses(80)
    expected = words(FakeTranscriber().transcribe(audio))

    first = IncrementalTranscriber(FakeTranscriber(), window_s=10, search_s=3)
    first.append(audio[: 47 * SR])
    state = json.loads(json.dumps(first.state()))
    assert set(state) == {"committed_ms", "segments"} and state["committed_ms"] == first.committed_ms

    # A new worker resumes: it re-decodes from the start and feeds everything;
    # audio before the resume point is skipped, not transcribed again.
    engine = FakeTranscriber()
    resumed = IncrementalTranscriber.from_state(engine, state, window_s=10, search_s=3)
    assert resumed.resume_from_ms <= state["committed_ms"]
    for i in range(0, audio.size, 5 * SR):
        resumed.append(audio[i : i + 5 * SR], start_ms=i // 16)
    resumed.finish()
    assert words(resumed.segments) == expected
    assert min(offset for offset, _ in engine.calls) >= state["committed_ms"] - 200


def test_gap_in_audio_is_filled_with_silence():
    inc = IncrementalTranscriber(FakeTranscriber(), window_s=10, search_s=3)
    inc.append(np.full(SR, 0.2, dtype=np.float32))
    inc.append(np.full(SR, 0.2, dtype=np.float32), start_ms=5000)
    inc.finish()
    times = [(w.start_ms, w.end_ms) for s in inc.segments for w in s.words]
    assert times[0][0] < 1000 and times[-1][0] >= 5000
    assert not any(1300 < start < 4700 for start, _ in times)


def test_vocabulary_and_beam_reach_the_engine():
    engine = FakeTranscriber()
    transcribe_windowed(engine, speech_with_pauses(25), window_s=10, search_s=3, vocabulary=["Ms Khan", "EHCP"])
    assert engine.vocabularies and all(v == ["Ms Khan", "EHCP"] for v in engine.vocabularies)


def test_invalid_window_settings():
    with pytest.raises(ValueError):
        IncrementalTranscriber(FakeTranscriber(), window_s=5, search_s=5)


def test_get_transcriber():
    assert isinstance(get_transcriber(), FasterWhisperTranscriber)
    assert get_transcriber(model="/nowhere", compute_type="float32").compute_type == "float32"
    assert isinstance(get_transcriber("fake"), FakeTranscriber)
    with pytest.raises(ValueError, match="unknown transcription engine 'whisperx'"):
        get_transcriber("whisperx")


def test_faster_whisper_engine_is_lazy():
    engine = FasterWhisperTranscriber()
    assert engine._model is None
    assert engine.transcribe(np.zeros(100, dtype=np.float32)) == []  # too short to load anything
    assert engine._model is None


def test_transcribe_file_with_the_fake_engine(tmp_path):
    path = tmp_path / "meeting.webm"
    encode(speech_with_pauses(8), str(path), container="webm", codec="libopus")
    out = transcribe_file(path, "srt", engine="fake")
    assert out.startswith("1\n00:00:00,")
    assert "word_" in out
    with pytest.raises(ValueError):
        transcribe_file(path, "pdf", engine="fake")
