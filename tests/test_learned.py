"""The learned second opinion on refusals and commitments (server/minutes/learned.py) and the data it learns from."""
import datetime
import json
import sys
import types
from pathlib import Path

import pytest

from server.minutes import findings, learned

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tools/ is the repository's, not the installed package's
from tools import train_findings  # noqa: E402

DAY = datetime.date(2027, 3, 10)  # a Wednesday in term
ATTENDEES = {
    "senco": types.SimpleNamespace(id="senco", name="Kerry Walsh", role="senco"),
    "mum": types.SimpleNamespace(id="mum", name="Ann Lee", role="parent"),
}


def said(text, speaker="senco", start_ms=0):
    return types.SimpleNamespace(start_ms=start_ms, end_ms=start_ms + 5000, text=text, speaker_id=speaker,
                                 speaker=ATTENDEES[speaker].name, unsure=(), agenda_item_id=None, id=start_ms)


def found(*segments, second_opinion=True):
    return findings.find(list(segments), ATTENDEES, "england", DAY, "Ollie", second_opinion=second_opinion)


def test_features_are_words_pairs_and_triples_each_once():
    feats = learned.features("we can't, we can't do 12 hours")
    assert feats == sorted(set(feats))
    assert {"w:we", "w:can't", "w:<n>", "b:<s> we", "b:hours </s>", "t:can't do <n>"} <= set(feats)
    assert "q:?" not in feats
    assert "q:?" in learned.features("where would the money come from?")


# Worded in ways no phrase rule lists: the rules alone find nothing in them
UNLISTED_REFUSALS = [
    "Honestly, where would I even find a second TA for that, with the budget how it is?",
    "we can't stretch to that, not with the cuts",
]


@pytest.mark.parametrize("text", UNLISTED_REFUSALS)
def test_the_model_finds_a_refusal_the_rules_miss(text):
    assert not [f for f in found(said(text), second_opinion=False) if f.kind == "refusal"]
    refusals = [f for f in found(said(text)) if f.kind == "refusal"]
    assert len(refusals) == 1
    f = refusals[0]
    assert f.who == "senco" and f.rule["id"] == "learned"
    assert f.quote in text


@pytest.mark.parametrize("text", UNLISTED_REFUSALS)
def test_the_parent_side_refuses_nothing_even_to_the_model(text):
    assert not [f for f in found(said(text, "mum")) if f.kind == "refusal"]


def test_a_promise_the_transcription_garbled_is_a_commitment_of_the_speaker():
    text = "I'll mention it to her tomorrow and fall."  # "…and Paul", as tiny.en heard it
    assert not found(said(text), second_opinion=False)
    (f,) = [f for f in found(said(text)) if f.kind == "commitment"]
    assert f.who == "senco" and f.rule["id"] == "learned"
    assert f.due is not None and f.due.iso() == "2027-03-11"


def test_plain_talk_stays_plain():
    for text in ("We looked at the reading scores last week and he's made some progress.",
                 "He finds the lunch hall really noisy, so he eats in the library.",
                 "Thank you all for coming, shall we start with introductions?"):
        assert not found(said(text)), text


def test_a_long_sentence_quotes_the_refusing_clause():
    text = ("So we've talked about the reading group and the spelling programme and how he is getting on in maths, "
            "and the other thing is the one-to-one, which we can't stretch to, not with the cuts this year")
    (f,) = [f for f in found(said(text)) if f.kind == "refusal"]
    assert len(f.quote) < len(text) and "stretch" in f.quote


def test_the_model_file_is_what_the_trainer_writes():
    """server/data/findings_model.json is tools/train_findings.py's output for today's data (run it after a change)."""
    shipped = learned.model()
    fresh = train_findings.train()
    assert set(fresh["kinds"]) == set(shipped["kinds"]) == {"refusal", "commitment", "offer", "agreement"}
    for kind, mine in fresh["kinds"].items():
        theirs = shipped["kinds"][kind]
        assert (mine["sentences"], mine["positives"], mine["threshold"]) == \
            (theirs["sentences"], theirs["positives"], theirs["threshold"])
        assert abs(mine["bias"] - theirs["bias"]) < 0.01
        keys = mine["weights"].keys() | theirs["weights"].keys()
        assert max(abs(mine["weights"].get(k, 0) - theirs["weights"].get(k, 0)) for k in keys) < 0.02


def test_the_labelled_sentences_are_sound():
    for path in (ROOT / "bench" / "sentences" / "refusals.json", ROOT / "bench" / "sentences" / "commitments.json"):
        items = json.loads(path.read_text(encoding="utf-8"))["items"]
        assert len({i["text"].lower() for i in items}) == len(items), path.name
        for item in items:
            assert item["label"] in ("none", path.stem.rstrip("s")), item
            assert item["side"] in ("school", "parent") and item["place"] in ("england", "us"), item
            assert 3 <= len(item["text"].split()) <= 60, item


def test_the_heard_sentences_are_labelled_from_the_truth_files():
    items = json.loads((ROOT / "bench" / "sentences" / "heard.json").read_text(encoding="utf-8"))["items"]
    meetings = {p.stem for p in (ROOT / "bench" / "minutes_truth").glob("*.json")}
    assert {i["meeting"] for i in items} <= meetings
    kinds = {"refusal", "commitment", "offer", "agreement"}
    assert all(set(i["kinds"]) <= kinds and set(i["also_ok"]) <= kinds and i["side"] in ("school", "parent")
               for i in items)
    assert {k for i in items for k in i["kinds"]} == kinds


def test_the_truth_files_are_sound():
    """Every point of every evaluation meeting quotes its turn and names someone who can be named."""
    for path in sorted((ROOT / "bench" / "minutes_truth").glob("*.json")):
        truth = json.loads(path.read_text(encoding="utf-8"))
        meeting = json.loads((ROOT / "bench" / "meetings" / path.name).read_text(encoding="utf-8"))
        keys = {a["key"] for a in meeting["attendees"]}
        datetime.date.fromisoformat(truth["date"])
        for p in truth["points"]:
            assert p["kind"] in ("refusal", "commitment", "offer", "agreement"), (path.name, p)
            assert p["quote"] in meeting["turns"][p["turn"]][1], (path.name, p)
            for who in (p["who"], p.get("said_by")):
                assert who is None or who in keys or who.startswith(("named:", "org:")), (path.name, p)
            if p.get("due"):
                datetime.date.fromisoformat(p["due"])
