"""Attributing segments to speakers and agenda items from the tap timeline."""

from __future__ import annotations

from transcribe.align import agenda_item_for, attribute, speaker_for
from transcribe.engines import FakeTranscriber
from transcribe.types import Segment


def seg(start, end, text="x"):
    return Segment(start, end, text)


def test_two_speakers_with_a_scripted_tap_timeline():
    # Parent (1) taps herself at 0 s, the SENCO (2) at 10 s, the parent again at 21 s.
    taps = [(0, 1), (10_000, 2), (21_000, 1)]
    agenda = [(0, "intro"), (15_000, "outcomes")]
    script = [
        seg(500, 4_000, "Thanks for meeting me."),
        seg(4_500, 9_000, "I wanted to talk about speech therapy."),
        seg(9_800, 14_000, "Yes, the EHCP says weekly sessions."),  # tap lands 200 ms in
        seg(14_200, 20_500, "They start after half term."),
        seg(20_500, 22_000, "Can I have that in writing?"),  # 0.5 s SENCO, 1 s parent
        seg(30_000, 31_000, "Of course."),
    ]
    segments = FakeTranscriber(script).transcribe([0.0] * 16000 * 32)
    out = attribute(segments, taps, agenda)
    assert [(s.speaker, s.agenda_item) for s in out] == [
        (1, "intro"),
        (1, "intro"),
        (2, "intro"),
        (2, "intro"),
        (1, "outcomes"),
        (1, "outcomes"),
    ]
    # Inputs are left alone; texts and times carried over.
    assert segments[0].speaker is None
    assert [(s.start_ms, s.end_ms, s.text) for s in out] == [(s.start_ms, s.end_ms, s.text) for s in segments]


def test_majority_coverage_wins_over_last_tap():
    taps = [(0, "a"), (1_000, "b"), (8_000, "a")]
    assert speaker_for(500, 9_000, taps) == "b"  # b covers 7 s of 8.5
    assert speaker_for(7_000, 12_000, taps) == "a"


def test_tie_goes_to_whoever_spoke_first_in_the_segment():
    assert speaker_for(0, 2_000, [(0, "a"), (1_000, "b")]) == "a"


def test_no_taps_before_the_segment_gives_none():
    assert speaker_for(0, 1_000, []) is None
    assert speaker_for(0, 1_000, [(1_000, "a")]) is None  # tap at the very end covers nothing
    assert speaker_for(0, 1_000, [(500, "a")]) == "a"  # starts part-way through: still the best cover


def test_zero_length_segment_uses_last_tap_before():
    taps = [(0, "a"), (5_000, "b")]
    assert speaker_for(5_000, 5_000, taps) == "b"
    assert speaker_for(4_000, 4_000, taps) == "a"


def test_agenda_item_is_last_event_at_or_before_start():
    agenda = [(1_000, 10), (5_000, 11)]
    assert agenda_item_for(999, agenda) is None
    assert agenda_item_for(1_000, agenda) == 10
    assert agenda_item_for(4_999, agenda) == 10
    assert agenda_item_for(60_000, agenda) == 11


def test_unsorted_events_and_empty_timelines():
    out = attribute([seg(6_000, 7_000)], [(5_000, "b"), (0, "a")], [(5_500, 2), (0, 1)])
    assert (out[0].speaker, out[0].agenda_item) == ("b", 2)
    bare = attribute([seg(0, 10)])
    assert (bare[0].speaker, bare[0].agenda_item) == (None, None)
