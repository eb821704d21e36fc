"""Incremental (windowed) transcription with the fake engine, plus the engine factory."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from transcribe import FakeTranscriber, FasterWhisperTranscriber, IncrementalTranscriber, get_transcriber, transcribe_file
from transcribe.audio import encode
from transcribe.types import Segment, Word
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


@pytest.mark.parametrize("batch_size", [1, 4])
@pytest.mark.parametrize("make", [speech_with_pauses, continuous_speech])
@pytest.mark.parametrize(("window_s", "search_s", "piece_s"), [(30, 5, 5), (10, 3, 1.3), (7, 2, 9)])
def test_windowed_words_equal_whole_file_words(make, window_s, search_s, piece_s, batch_size):
    audio = make(95)
    whole = words(FakeTranscriber().transcribe(audio))
    engine = FakeTranscriber()
    windowed = words(transcribe_windowed(
        engine, audio, window_s=window_s, search_s=search_s, piece_s=piece_s, batch_size=batch_size
    ))
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
        assert inc._buffered <= (10 + 1 + 1) * SR  # one window plus one piece plus the overlap
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
    assert min(offset for offset, _ in engine.calls) >= state["committed_ms"] - resumed.overlap_ms


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
    with pytest.raises(ValueError):
        IncrementalTranscriber(FakeTranscriber(), batch_size=0)


class Batching(FakeTranscriber):
    """The fake engine with a ``transcribe_batch`` method, recording each batch."""

    def __init__(self):
        super().__init__()
        self.batches: list[list[tuple[int, int, bool]]] = []

    def transcribe_batch(self, windows, *, vocabulary=None, beam_size=5):
        self.batches.append([(offset, samples.size // 16, final) for samples, offset, final in windows])
        return [self.transcribe(samples, offset_ms=offset, vocabulary=vocabulary, beam_size=beam_size)
                for samples, offset, _final in windows]


def test_piled_up_audio_goes_to_the_engine_in_batches_split_at_pauses():
    audio = speech_with_pauses(200)
    engine = Batching()
    segments = transcribe_windowed(engine, audio, window_s=10, search_s=3, piece_s=200, batch_size=4)
    assert words(segments) == words(FakeTranscriber().transcribe(audio))
    assert max(len(b) for b in engine.batches) == 4
    assert len(engine.batches) < len(engine.calls) / 2  # most rounds share one engine call
    # each region is cut in a pause (its next region's first window starts a guard's width
    # before the cut), and its last window ("final") reaches past the cut, into what follows
    cuts = [offset + 1000 for offset, _ms, _final in engine.batches[0][1:]]
    finals = [(offset, offset + ms) for batch in engine.batches for offset, ms, final in batch if final]
    assert len(cuts) >= 3 and max(end for _start, end in finals) == 200_000
    for cut in cuts:
        assert cut % 2700 >= 1950, f"region cut at {cut} ms is inside a burst"
        assert any(start < cut and cut + 1000 < end <= cut + 4000 for start, end in finals)


def test_a_batching_transcriber_gathers_audio_and_drain_takes_what_is_there():
    audio = speech_with_pauses(200)
    engine = Batching()
    inc = IncrementalTranscriber(engine, window_s=10, search_s=3, batch_size=4)
    assert inc.append(audio[: 25 * SR]) == []  # under a batch's worth (4 x 4 windows): it waits
    assert engine.calls == [] and inc.drain() != []  # ...unless asked: the complete windows now
    drained = inc.committed_ms
    assert 10_000 <= drained <= 25_000 and max(len(b) for b in engine.batches) == 1  # the live edge: one at a time
    assert inc.drain() == [] or inc.committed_ms > drained
    new = inc.append(audio[25 * SR :])  # 175 s more: a whole batch's worth is transcribed at once
    assert new and max(len(b) for b in engine.batches) == 4
    inc.finish()
    assert words(inc.segments) == words(FakeTranscriber().transcribe(audio))


class Lanes(Batching):
    """The fake engine as faster-whisper on 2 cores: two batches at once, each called from its own thread."""

    parallel_batches = 2

    def __init__(self, fail_from_ms=None):
        super().__init__()
        self.threads: set[str] = set()
        self.fail_from_ms = fail_from_ms

    def transcribe_batch(self, windows, *, vocabulary=None, beam_size=5, workers=None):
        assert workers == 1 or len(windows) == 1  # a lane's batch stays on the lane's thread
        self.threads.add(threading.current_thread().name)
        if self.fail_from_ms is not None and any(offset >= self.fail_from_ms for _a, offset, _f in windows):
            raise RuntimeError("the engine failed")
        return super().transcribe_batch(windows, vocabulary=vocabulary, beam_size=beam_size)


def test_regions_go_to_lanes_when_the_engine_decodes_batches_side_by_side():
    from transcribe.engines import parallel_batches

    audio = speech_with_pauses(200)
    settings = {"window_s": 10, "search_s": 3, "piece_s": 200, "batch_size": 4}
    plain = Batching()
    expected = transcribe_windowed(plain, audio, **settings)
    assert parallel_batches(plain) == 1 and parallel_batches(FakeTranscriber()) == 1
    engine = Lanes()
    assert parallel_batches(engine) == 2
    assert words(transcribe_windowed(engine, audio, **settings)) == words(expected)
    assert {"lane_0", "lane_1"} <= engine.threads and max(len(b) for b in engine.batches) == 2  # two regions a lane
    # The same windows, each once, whichever lane took them and whatever shared their batch.
    assert sorted(w for b in engine.batches for w in b) == sorted(w for b in plain.batches for w in b)


@pytest.mark.parametrize(
    ("ready", "lanes", "busy", "last", "taken"),
    [
        (4, 2, 0, False, 2),  # a gather starts: an even split
        (2, 2, 1, False, 2),  # a lane back while the other is busy keeps its batch whole
        (3, 2, 1, False, 2),  # ...but never more than an even split of the streams
        (1, 2, 1, False, 1),
        (2, 2, 1, True, 1),  # the streams' last windows: one to a lane, the busy one gets the other
        (3, 2, 0, True, 2),
        (4, 4, 3, False, 1),  # four lanes of one stream each
    ],
)
def test_a_free_lane_takes_its_share_of_the_ready_streams(ready, lanes, busy, last, taken):
    from transcribe.windows import _batch_share

    assert _batch_share(ready, lanes, busy, most=max(1, 4 // lanes), last=last) == taken


def test_a_failing_lane_fails_the_run():
    audio = speech_with_pauses(200)
    with pytest.raises(RuntimeError, match="the engine failed"):
        transcribe_windowed(Lanes(fail_from_ms=120_000), audio, window_s=10, search_s=3, piece_s=200, batch_size=4)


def test_silence_and_faint_hiss_never_reach_the_model():
    from transcribe.engines import _audible

    rng = np.random.default_rng(0)
    assert not _audible(np.zeros(5 * SR, dtype=np.float32))
    assert not _audible(rng.normal(0, 0.0005, 5 * SR).astype(np.float32))  # -66 dBFS hiss
    assert not _audible(rng.normal(0, 0.3, SR // 20).astype(np.float32))  # 50 ms: too short to hold a word
    quiet_word = np.zeros(5 * SR, dtype=np.float32)
    quiet_word[SR : SR + SR // 5] = rng.normal(0, 0.01, SR // 5)  # a 200-ms murmur at -40 dBFS
    assert _audible(quiet_word)


def test_segments_without_words_are_dropped():
    from types import SimpleNamespace

    from transcribe.engines import _segments

    raw = [SimpleNamespace(text=" . . . .", start=0.0, end=2.0, words=[]),
           SimpleNamespace(text=" Yes.", start=2.0, end=2.5, words=[])]
    assert [s.text for s in _segments(raw, 1000, 3 * SR)] == ["Yes."]


def test_short_windows_are_padded_with_silence_as_whisper_was_trained():
    from types import SimpleNamespace

    from faster_whisper.feature_extractor import FeatureExtractor

    from transcribe.engines import _features

    model = SimpleNamespace(feature_extractor=FeatureExtractor())
    tone = (0.1 * np.sin(2 * np.pi * 440 * np.arange(5 * SR) / SR)).astype(np.float32)
    features = _features(model, tone)
    assert features.shape == (80, 3000)
    # after 5 s the spectrogram sits at its floor (its loudest less 8 log10 units,
    # i.e. less 2 once scaled), not at faster-whisper's zero, which reads as faint sound
    assert np.allclose(features[:, 520:], features.max() - 2.0)
    assert not np.allclose(features[:, :490], features.max() - 2.0)
    assert _features(model, np.tile(tone, 7)).shape == (80, 3000)  # longer audio: the first 30 s


def test_engines_without_a_batch_method_take_windows_one_at_a_time():
    from transcribe.engines import transcribe_batch

    engine = FakeTranscriber()
    a, b = speech_with_pauses(8), speech_with_pauses(8, seed=3)
    out = transcribe_batch(engine, [(a, 0, True), (b, 60_000, False)], vocabulary=["SENCO"], beam_size=1)
    assert out == [engine.transcribe(a), engine.transcribe(b, offset_ms=60_000)]
    assert engine.calls[:2] == [(0, 8000), (60_000, 8000)] and engine.vocabularies[:2] == [["SENCO"]] * 2


def test_get_transcriber():
    assert isinstance(get_transcriber(), FasterWhisperTranscriber)
    assert get_transcriber(model="/nowhere", compute_type="float32").compute_type == "float32"
    assert isinstance(get_transcriber("fake"), FakeTranscriber)
    with pytest.raises(ValueError, match="unknown transcription engine 'whisperx'"):
        get_transcriber("whisperx")


@pytest.mark.parametrize(("device", "cores", "asked", "expected"), [
    ("cpu", 2, (0, 0), (2, 1)),  # windows side by side, one thread each
    ("cpu", 1, (0, 0), (1, 1)),
    ("cpu", 16, (0, 0), (4, 4)),
    ("cpu", 16, (2, 0), (2, 8)),
    ("cpu", 2, (1, 2), (1, 2)),  # asked for: kept
    ("cuda", 8, (0, 0), (1, 0)),  # one batch at a time on the GPU, CTranslate2's own threads
])
def test_engine_parallelism(monkeypatch, device, cores, asked, expected):
    from transcribe.engines import _parallelism

    monkeypatch.setattr("transcribe.engines._cores", lambda: cores)
    assert _parallelism(device, *asked) == expected


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


class Skipping(FakeTranscriber):
    """The fake engine, but like Whisper it jumps over a stretch of speech in the middle of a window.

    Words in 40-44 s are not heard by a window that starts more than 2 s before them.
    """

    heard_from_ms = 38_001  # a window starting here or later hears the lost words
    lost_ms = (40_000, 44_000)

    def transcribe(self, audio, *, offset_ms=0, vocabulary=None, beam_size=5):
        segments = super().transcribe(audio, offset_ms=offset_ms, vocabulary=vocabulary, beam_size=beam_size)
        if offset_ms >= self.heard_from_ms:
            return segments
        out = []
        for s in segments:
            words = tuple(w for w in s.words if not self.lost_ms[0] <= w.start_ms < self.lost_ms[1])
            if words:
                out.append(Segment(words[0].start_ms, words[-1].end_ms, " ".join(w.text for w in words), words))
        return out


@pytest.mark.parametrize("batch_size", [1, 4])
def test_speech_the_model_skipped_inside_a_window_is_transcribed_by_the_next(batch_size):
    audio = speech_with_pauses(90)
    expected = words(FakeTranscriber().transcribe(audio))
    assert words(Skipping().transcribe(audio)) != expected  # the engine alone loses 40-44 s
    got = words(transcribe_windowed(Skipping(), audio, window_s=30, piece_s=5, batch_size=batch_size))
    assert got == expected


class Stretching(FakeTranscriber):
    """The fake engine, but like Whisper it stops early in a window, stretching its last word.

    A window of 10 s or more that starts before 20 s says nothing of its last 4 s, and the last
    word it does say "lasts" until 1.5 s before the window's end: its end
    timestamp jumps over words it never wrote ("it is of the ⟨first
    importance that⟩").
    """

    def transcribe(self, audio, *, offset_ms=0, vocabulary=None, beam_size=5):
        segments = super().transcribe(audio, offset_ms=offset_ms, vocabulary=vocabulary, beam_size=beam_size)
        end = offset_ms + audio.size * 1000 // SR
        said = [w for s in segments for w in s.words if w.end_ms <= end - 4000]
        if offset_ms >= 20_000 or audio.size < 10 * SR or not said:
            return segments
        said[-1] = Word(said[-1].start_ms, end - 1500, said[-1].text, said[-1].probability)
        return [Segment(said[0].start_ms, said[-1].end_ms, " ".join(w.text for w in said), tuple(said))]


@pytest.mark.parametrize("batch_size", [1, 4])
@pytest.mark.parametrize("make", [speech_with_pauses, continuous_speech])
def test_a_last_word_stretched_over_speech_is_heard_again_by_the_next_window(make, batch_size):
    audio = make(90)
    expected = words(FakeTranscriber().transcribe(audio))
    got = words(transcribe_windowed(Stretching(), audio, window_s=30, piece_s=5, batch_size=batch_size))
    assert got == expected


class Cold(FakeTranscriber):
    """The fake engine, but like Whisper heard cold it once skips the first sentence of a window.

    The first window that starts after 40 s says nothing of its first 5 s.
    """

    def __init__(self):
        super().__init__()
        self.skipped = False

    def transcribe(self, audio, *, offset_ms=0, vocabulary=None, beam_size=5):
        segments = super().transcribe(audio, offset_ms=offset_ms, vocabulary=vocabulary, beam_size=beam_size)
        if offset_ms < 40_000 or self.skipped:
            return segments
        self.skipped = True
        said = [w for s in segments for w in s.words if w.start_ms >= offset_ms + 5000]
        return [Segment(said[0].start_ms, said[-1].end_ms, " ".join(w.text for w in said), tuple(said))]


@pytest.mark.parametrize("batch_size", [1, 4])
def test_a_window_that_skipped_its_first_sentence_is_tried_again(batch_size):
    audio = speech_with_pauses(90)
    expected = words(FakeTranscriber().transcribe(audio))
    engine = Cold()
    got = words(transcribe_windowed(engine, audio, window_s=30, piece_s=5, batch_size=batch_size))
    assert engine.skipped
    assert got == expected


class RunOn(Skipping):
    """The fake engine, but like Whisper it runs a sentence's end on into the next ones and skips them.

    A window that starts before 39.8 s, where the sentence at 37.8 s ends,
    says nothing of the two sentences after it (40.5-45.2 s). The first two
    tries at the window after it start in that sentence's words, a second
    apart; only one that starts in the pause after them reads on.
    """

    def __init__(self):
        super().__init__()
        self.offsets: list[int] = []

    heard_from_ms = 39_800
    lost_ms = (40_000, 46_000)

    def transcribe(self, audio, *, offset_ms=0, vocabulary=None, beam_size=5):
        self.offsets.append(offset_ms)
        return super().transcribe(audio, offset_ms=offset_ms, vocabulary=vocabulary, beam_size=beam_size)


@pytest.mark.parametrize("batch_size", [1, 4])
def test_a_window_that_runs_on_past_a_sentence_is_tried_from_the_pause_after_the_words_kept(batch_size):
    audio = speech_with_pauses(90)
    engine = RunOn()
    got = words(transcribe_windowed(engine, audio, window_s=30, piece_s=5, batch_size=batch_size))
    assert got == words(FakeTranscriber().transcribe(audio))
    assert sum(37_800 <= offset < 39_800 for offset in engine.offsets) >= 2  # two tries in the sentence's words
    assert any(39_800 <= offset < 40_500 for offset in engine.offsets)  # then one from the pause


class Prompted(FakeTranscriber):
    """The fake engine, but the vocabulary prompt makes it skip the first sentence of every window after 40 s."""

    def transcribe(self, audio, *, offset_ms=0, vocabulary=None, beam_size=5):
        segments = super().transcribe(audio, offset_ms=offset_ms, vocabulary=vocabulary, beam_size=beam_size)
        if offset_ms < 40_000 or not vocabulary:
            return segments
        said = [w for s in segments for w in s.words if w.start_ms >= offset_ms + 5000]
        return [Segment(said[0].start_ms, said[-1].end_ms, " ".join(w.text for w in said), tuple(said))] if said else []


@pytest.mark.parametrize("batch_size", [1, 4])
def test_the_second_try_at_a_window_goes_without_the_vocabulary_prompt(batch_size):
    audio = speech_with_pauses(90)
    engine = Prompted()
    got = words(transcribe_windowed(engine, audio, window_s=30, piece_s=5, batch_size=batch_size,
                                    vocabulary=["SENCO", "EHCP"]))
    assert got == words(FakeTranscriber().transcribe(audio))  # nothing the prompted windows skipped is lost
    assert None in engine.vocabularies and ["SENCO", "EHCP"] in engine.vocabularies
    assert engine.vocabularies.count(None) < engine.vocabularies.count(["SENCO", "EHCP"])  # only retries
