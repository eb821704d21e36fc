"""The attribution bench's meeting generator and scorer (bench/meetings.py, bench/attribution.py)."""
import importlib.util
import shutil
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load(name):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


attribution = _load("attribution")
meetings = attribution.meeting_files

TINY = {
    "name": "tiny",
    "seed": 7,
    "attendees": [
        {"key": "parent", "name": "Sarah Okafor", "role": "Parent", "voice": "en+f3", "speed": 170, "pitch": 62,
         "level_db": 2},
        {"key": "senco", "name": "Tom Reid", "role": "SENCO", "voice": "en-gb-scotland+m3", "speed": 150,
         "pitch": 36, "level_db": -4},
    ],
    "agenda": [{"title": "Welcome", "turn": 0}, {"title": "Provision", "turn": 4}],
    "markers": [{"kind": "refused", "turn": 5}],
    "turns": [
        ["senco", "Thank you for coming in. This is the annual review for Maya.", "normal"],
        ["parent", "Thank you. I'd like to talk about her support in the afternoons.", "normal"],
        ["senco", "Of course. She has a teaching assistant every morning.", "normal"],
        ["parent", "Yes.", "normal"],
        ["senco", "Let's look at the provision in section F.", "normal"],
        ["parent", "I'd like fifteen hours a week of one-to-one support.", "normal"],
        ["senco", "I'm afraid that isn't something we can fund from the school's budget.", "overlap"],
        ["parent", "Then I'll ask the local authority.", "normal"],
    ],
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        pytest.skip("espeak-ng and sox are needed to render a meeting")
    out = tmp_path_factory.mktemp("meetings")
    path = meetings.render(TINY, out)
    with wave.open(str(out / "tiny.wav"), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
        samples = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
    return meetings.load(path), samples


def test_tiny_meeting_shape(tiny):
    meeting, samples = tiny
    turns = meeting["turns"]
    assert [t["speaker"] for t in turns] == [t[0] for t in TINY["turns"]]
    assert [t["text"] for t in turns] == [t[1] for t in TINY["turns"]]
    assert 15_000 < meeting["duration_ms"] < 45_000
    assert abs(len(samples) / 16 - meeting["duration_ms"]) <= 1
    assert turns[6]["start_ms"] < turns[5]["end_ms"]  # the overlap
    assert [a["start_ms"] for a in meeting["agenda"]] == [turns[0]["start_ms"], turns[4]["start_ms"]]
    assert meeting["markers"] == [{"kind": "refused", "turn": 5}]


def test_truth_timings_match_the_audio(tiny):
    meeting, samples = tiny
    db = meetings.frame_db(samples)  # 10-ms frames
    floor = np.median(db[5:90])  # the lead-in: noise only
    turns = meeting["turns"]
    for t in turns:
        inside = db[t["start_ms"] // 10:t["end_ms"] // 10]
        assert np.median(inside) > floor + 15, t["text"]
        # speech right at both ends of the turn: no silence was left in the truth
        assert db[t["start_ms"] // 10:t["start_ms"] // 10 + 15].max() > floor + 12, t["text"]
        assert db[t["end_ms"] // 10 - 15:t["end_ms"] // 10].max() > floor + 12, t["text"]
    for a, b in zip(turns, turns[1:]):
        if b["start_ms"] - a["end_ms"] < 400:
            continue
        # the gap is silent, after the reverb tail of the words before it
        gap = db[(a["end_ms"] + 150) // 10:(b["start_ms"] - 10) // 10]
        assert gap.max() < floor + 8, (a["text"], b["text"])


def test_an_ignored_voice_variant_is_refused():
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        pytest.skip("espeak-ng and sox are needed")
    meetings.check_variant("en+f3")
    with pytest.raises(ValueError, match="ignores the variant"):
        meetings.check_variant("en-gb+f3")


def test_rendering_is_deterministic(tiny, tmp_path):
    meeting, samples = tiny
    again = meetings.load(meetings.render(TINY, tmp_path))
    assert again["turns"] == meeting["turns"]
    with wave.open(str(tmp_path / "tiny.wav"), "rb") as w:
        assert np.array_equal(np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768, samples)


# --- the scorer, on hand-made hypotheses ---

TURNS = [
    {"speaker": "a", "start_ms": 0, "end_ms": 1000, "text": "one"},
    {"speaker": "b", "start_ms": 1000, "end_ms": 2000, "text": "two"},
    {"speaker": "a", "start_ms": 3000, "end_ms": 4000, "text": "three"},
    {"speaker": "b", "start_ms": 3500, "end_ms": 4500, "text": "four"},  # overlaps the last 500 ms of "three"
]
Span = attribution.Span


def test_perfect_hypothesis_is_all_right():
    spans = [Span(t["start_ms"], t["end_ms"], t["speaker"]) for t in TURNS]
    s = attribution.speaker_scores(TURNS, spans)
    assert s == {"speech": 350, "right": 350, "wrong": 0, "none": 0, "uncovered": 0}
    assert attribution.span_stats(TURNS, spans) == {"spans": 4, "mean_ms": 1000, "mixed": 0}


def test_not_identified_is_never_right():
    spans = [Span(0, 2000, None), Span(3000, 4500, None)]
    assert attribution.speaker_scores(TURNS, spans) == {"speech": 350, "right": 0, "wrong": 0, "none": 350,
                                                        "uncovered": 0}


def test_wrong_and_uncovered_are_counted_apart():
    spans = [Span(0, 1000, "b"), Span(1000, 2000, "b")]  # the second half of the meeting uncovered
    assert attribution.speaker_scores(TURNS, spans) == {"speech": 350, "right": 100, "wrong": 100, "none": 0,
                                                        "uncovered": 150}


def test_either_speaker_counts_in_an_overlap():
    for who in ("a", "b"):
        spans = [Span(3000, 3500, "a"), Span(3500, 4000, who), Span(4000, 4500, "b")]
        assert attribution.speaker_scores(TURNS, spans)["right"] == 150
    # one span over the whole overlapping pair, named a: a's 100 frames are right, b's sole 50 are not
    s = attribution.speaker_scores(TURNS, [Span(3000, 4500, "a")])
    assert (s["right"], s["wrong"]) == (100, 50)


def test_mixed_spans():
    spans = [Span(0, 2000, "a"), Span(3000, 4500, "a")]  # the second: a 500 ms alone, b 500 ms alone
    assert attribution.span_stats(TURNS, spans)["mixed"] == 2
    assert attribution.span_stats(TURNS, [Span(900, 2000, "b")])["mixed"] == 0  # a's 100 ms is too little


def test_diarization_maps_voice_numbers_one_to_one():
    spans = [Span(0, 1000, None, voice=7), Span(1000, 2000, None, voice=3), Span(3000, 3500, None, voice=7),
             Span(3500, 4500, None, voice=3)]
    d = attribution.diarization_scores(TURNS, spans)
    assert (d["right"], d["speech"], d["mapping"]) == (350, 350, {"3": "b", "7": "a"})
    # one voice for everybody: only its best speaker's frames are right
    d = attribution.diarization_scores(TURNS, [Span(0, 4000, None, voice=1)])
    assert d["right"] == 200 and d["mapping"] == {"1": "a"}


def test_best_mapping_is_exact():
    overlap = np.array([[5, 4], [4, 0]])  # greedy would take (0, 0) and leave row 1 with nothing
    assert attribution.best_mapping(overlap) == {0: 1, 1: 0}


def test_agenda_and_markers():
    meeting = {
        "turns": TURNS,
        "agenda": [{"key": "item1", "start_ms": 0}, {"key": "item2", "start_ms": 3000}],
        "markers": [{"kind": "refused", "turn": 1}, {"kind": "quote", "turn": 2}],
    }
    spans = [Span(0, 2000, "a", "item1"), Span(3000, 4500, "b", "item1")]
    assert attribution.agenda_scores(meeting, spans) == {"speech": 350, "right": 200}
    picks = [(0, "b"), (1, "b")]  # right person and words for the first; the second span covers "three" but names b
    assert attribution.marker_scores(meeting, spans, picks) == {"markers": 2, "person": 1, "words": 2}
    assert attribution.marker_scores(meeting, spans, [(None, None), (None, "a")]) == {"markers": 2, "person": 1,
                                                                                      "words": 0}


def test_inserted_vocabulary():
    found = attribution.inserted_vocabulary("The SENCO said yes.", "The SENCo said EHCP yes, SENCO.",
                                            ["SENCO", "EHCP", "SALT"])
    assert found == {"SENCO": 1, "EHCP": 1}


def test_taps_are_seeded_and_late():
    meeting = {"name": "m", "turns": TURNS, "agenda": [{"key": "item1", "start_ms": 0}],
               "markers": [{"kind": "agreed", "turn": 1}]}
    a = attribution.simulate_taps(meeting, "a")
    assert a == attribution.simulate_taps(meeting, "a")
    assert [who for _, who in a["speaker"]] == ["a", "b", "a", "b"]
    assert all(200 <= at - t["start_ms"] <= 400 for (at, _), t in zip(a["speaker"], TURNS))
    assert len(attribution.simulate_taps(meeting, "b")["speaker"]) == 1
    assert attribution.simulate_taps(meeting, "c")["speaker"] == []
    assert 1000 <= a["agenda"][0][0] <= 3000 and 4000 <= a["markers"][0][0] <= 7000
