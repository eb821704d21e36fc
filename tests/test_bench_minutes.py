"""The minutes bench: its second readings (bench/second_reading/), well formed and scored as the finder is; who is
the right person."""
import json
import types
from pathlib import Path

import pytest

from bench import check_truth
from bench import minutes as bench

ROOT = Path(__file__).resolve().parent.parent
READINGS = sorted((ROOT / "bench" / "second_reading").glob("*.json"))


def script(name):
    """The meeting's script with each turn at ten seconds (the words alone: no rendering)."""
    raw = json.loads((ROOT / "bench" / "meetings" / f"{name}.json").read_text())
    turns = [{"speaker": t[0], "text": t[1], "start_ms": i * 10_000, "end_ms": i * 10_000 + 9_000}
             for i, t in enumerate(raw["turns"])]
    return {**raw, "turns": turns}


def test_there_are_second_readings():
    assert len(READINGS) >= 12


def test_every_second_reading_is_of_a_meeting_with_a_truth_file():
    # (its points' quotes, kinds and people: test_every_truth_file_and_second_reading_is_well_formed)
    assert [p.name for p in READINGS if not (bench.TRUTH / p.name).exists()] == []


def test_the_truth_read_as_a_second_reading_agrees_with_itself():
    """The plumbing: the truth's own points, scored as a reading, are every point, with nothing false."""
    name = READINGS[0].stem
    meeting, truth = script(name), json.loads((bench.TRUTH / f"{name}.json").read_text())
    # (a restated action is one point, said twice: the date is the first saying's; left out here)
    truth["points"] = [p for p in truth["points"] if not p.get("restated")]
    scores = bench.score(meeting, truth, bench.reader_findings(meeting, truth["points"]))
    for kind in bench.KINDS:
        assert scores[kind]["found"] == scores[kind]["truth"] > 0
        assert scores[kind]["person"] == scores[kind]["found"]
        assert scores[kind]["false"] == []
    assert scores["commitment"]["due_right"] == scores["commitment"]["due_total"] > 0


def test_a_second_reading_that_misses_and_invents_is_scored_so():
    name = READINGS[0].stem
    meeting, truth = script(name), json.loads((bench.TRUTH / f"{name}.json").read_text())
    refusals = [p for p in truth["points"] if p["kind"] == "refusal"]
    # a refusal alone on its turn and said once: no other refusal's words to be found by
    alone = next(p for p in refusals if sum(q["turn"] == p["turn"] for q in refusals) == 1 and
                 not p.get("restated") and not any(q.get("same_as") == p["turn"] for q in refusals))
    # one refusal left out, and a promise nobody made on a turn with no point and no also_ok
    taken = {p["turn"] for p in truth["points"]} | {a["turn"] for a in truth.get("also_ok", [])}
    empty = next(i for i, t in enumerate(meeting["turns"]) if i not in taken)
    invented = {"turn": empty, "kind": "commitment", "who": meeting["turns"][empty]["speaker"],
                "quote": meeting["turns"][empty]["text"]}
    points = [p for p in truth["points"] if p is not alone] + [invented]
    scores = bench.score(meeting, truth, bench.reader_findings(meeting, points))
    assert scores["refusal"]["found"] == scores["refusal"]["truth"] - 1
    assert len(scores["commitment"]["false"]) == 1


def test_a_person_the_words_name_by_first_name_alone_is_the_right_person():
    # "I'll let Gil know, and he'll call you": the meeting never says his surname; the truth names Gil Navarro
    def said(label):
        return types.SimpleNamespace(who=None, who_label=label, said_by="s")
    assert bench.right_person(said("Gil"), {"who": "named:Gil Navarro"})
    assert bench.right_person(said("Navarro"), {"who": "named:Gil Navarro"})
    assert not bench.right_person(said("Gail"), {"who": "named:Gil Navarro"})
    assert not bench.right_person(said("Gil Smith"), {"who": "named:Gil Navarro"})


TRUTHS = sorted(bench.TRUTH.glob("*.json"))


@pytest.mark.parametrize("path", TRUTHS + READINGS, ids=lambda p: f"{p.parent.name[:6]}-{p.stem[:40]}")
def test_every_truth_file_and_second_reading_is_well_formed(path):
    """Each reading's points quote their turn's words, name someone who is there (or a named person or body), and
    give dates that are dates (bench/check_truth.py, which the writers of new meetings run)."""
    meeting = json.loads((ROOT / "bench" / "meetings" / path.name).read_text())
    assert check_truth.problems(meeting, json.loads(path.read_text())) == []


def test_the_checker_finds_a_misquote_and_a_stranger():
    meeting = {"name": "m", "title": "t", "seed": 1, "agenda": [], "markers": [],
               "attendees": [{"key": "senco"}], "turns": [["senco", "I'll ring you on Friday."]]}
    reading = {"date": "2027-10-14", "points": [
        {"turn": 0, "kind": "commitment", "who": "senco", "quote": "I'll ring you Friday.", "due": "2027-10-15",
         "due_type": "by"},
        {"turn": 0, "kind": "commitment", "who": "head", "quote": "I'll ring you", "due": "Friday",
         "due_type": "on"}]}
    assert check_truth.problems(meeting, reading) == [
        "point 0 (turn 0): the quote is not the turn's words",
        "point 1 (turn 0): who 'head' is no attendee, named: person or org: body",
        "point 1 (turn 0): due 'Friday' is no date"]
