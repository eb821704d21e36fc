"""Transcript writers: timestamps, speakers, escaping."""

from __future__ import annotations

import json

import pytest

from transcribe.formats import format_timestamp, render, to_json, to_srt, to_txt, to_vtt
from transcribe.types import Segment, Word

NAMES = {7: "Ms Khan (SENCO)", 3: "Parent"}
SEGMENTS = [
    Segment(1500, 4250, "We will review the EHCP in March.", (Word(1500, 1800, "We", 0.9),), speaker=7, agenda_item=2),
    Segment(4250, 3_723_004, "OK & thanks.", speaker=3),
    Segment(3_723_004, 3_725_000, "No speaker here."),
]


@pytest.mark.parametrize(
    ("ms", "separator", "expected"),
    [
        (0, ".", "00:00:00.000"),
        (1500, ".", "00:00:01.500"),
        (1500, ",", "00:00:01,500"),
        (61_001, ".", "00:01:01.001"),
        (3_723_004, ",", "01:02:03,004"),
        (3_723_004, "", "01:02:03"),
        (-5, ".", "00:00:00.000"),
    ],
)
def test_format_timestamp(ms, separator, expected):
    assert format_timestamp(ms, separator=separator) == expected


def test_txt_lines_with_names():
    assert to_txt(SEGMENTS, NAMES).splitlines() == [
        "[00:00:01] Ms Khan (SENCO): We will review the EHCP in March.",
        "[00:00:04] Parent: OK & thanks.",
        "[01:02:03] No speaker here.",
    ]


def test_unnamed_speaker_id_is_shown_as_is():
    assert to_txt([Segment(0, 10, "Hi.", speaker="a1")]) == "[00:00:00] a1: Hi.\n"


def test_vtt_document():
    vtt = to_vtt(SEGMENTS, NAMES)
    assert vtt.startswith("WEBVTT\n\n1\n00:00:01.500 --> 00:00:04.250\n<v Ms Khan (SENCO)>We will review the EHCP in March.</v>\n\n")
    assert "2\n00:00:04.250 --> 01:02:03.004\n<v Parent>OK &amp; thanks.</v>\n" in vtt
    assert "3\n01:02:03.004 --> 01:02:05.000\nNo speaker here.\n" in vtt


def test_vtt_escapes_markup_and_arrows():
    vtt = to_vtt([Segment(0, 1000, "a <b>c</b> --> d &\n\nnew line", speaker=1)], {1: "<Dr> A&B"})
    cue_text = vtt.split("\n")[4]
    assert cue_text == "<v &lt;Dr&gt; A&amp;B>a &lt;b&gt;c&lt;/b&gt; --&gt; d &amp; new line</v>"
    # Exactly one arrow (the timing line) and no blank line inside the cue.
    assert vtt.count("-->") == 1
    assert vtt.split("\n\n")[1].strip().count("\n") == 2


def test_srt_document():
    srt = to_srt(SEGMENTS, NAMES)
    blocks = srt.strip().split("\n\n")
    assert blocks[0] == "1\n00:00:01,500 --> 00:00:04,250\nMs Khan (SENCO): We will review the EHCP in March."
    assert blocks[2] == "3\n01:02:03,004 --> 01:02:05,000\nNo speaker here."


def test_srt_text_cannot_break_cues():
    srt = to_srt([Segment(0, 1000, "a --> b\n\nc")])
    assert srt == "1\n00:00:00,000 --> 00:00:01,000\na -> b c\n"


def test_json_has_the_api_segment_shape():
    data = json.loads(to_json(SEGMENTS, NAMES))
    assert data["segments"][0] == {
        "start_ms": 1500,
        "end_ms": 4250,
        "text": "We will review the EHCP in March.",
        "speaker": 7,
        "agenda_item": 2,
        "speaker_name": "Ms Khan (SENCO)",
    }
    assert data["segments"][2]["speaker"] is None and data["segments"][2]["speaker_name"] is None
    with_words = json.loads(to_json(SEGMENTS, words=True))
    assert with_words["segments"][0]["words"] == [{"start_ms": 1500, "end_ms": 1800, "text": "We", "probability": 0.9}]


def test_segment_round_trips_through_dict():
    assert Segment.from_dict(SEGMENTS[0].to_dict(words=True)) == SEGMENTS[0]


def test_empty_transcripts():
    assert to_txt([]) == ""
    assert to_vtt([]) == "WEBVTT\n"
    assert to_srt([]) == ""
    assert json.loads(to_json([])) == {"segments": []}


def test_render_by_name_and_unknown_format():
    assert render(SEGMENTS, "srt", NAMES) == to_srt(SEGMENTS, NAMES)
    with pytest.raises(ValueError, match="unknown transcript format 'docx'"):
        render(SEGMENTS, "docx")
