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


def test_the_reader_reads_each_kind_and_plain_talk_as_none():
    """The encoder's four outputs, on sentences of each kind it was never given word for word."""
    def read(text):
        p = learned.probabilities(findings.normalise(text), learned.KINDS)
        return {k for k, v in p.items() if v >= learned.threshold(k)}

    assert read("I'm not sure we'd be able to justify that, to be honest with you.") == {"refusal"}
    assert read("I'll ring the speech therapist tomorrow.") == {"commitment"}
    assert read("Thank you all for coming, shall we start with introductions?") == set()
    assert learned.probability("refusal", "we can't stretch to that") == \
        learned.probabilities("we can't stretch to that", ("refusal", "offer"))["refusal"]
    assert learned.probabilities("anything", ("no such kind",)) == {"no such kind": 0.0}


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
            "and the other thing is the one-to-one, and we can't stretch to that, not with the cuts")
    (f,) = [f for f in found(said(text)) if f.kind == "refusal"]
    assert f.rule["id"] == "learned" and f.quote == "we can't stretch to that, not with the cuts"


def test_the_reader_is_what_its_record_says():
    """server/data/findings_model.json records the reader tools/train_findings.py wrote: its file (checked by
    sha256), its base, what it was trained on and its thresholds (retrain after a change to what it learns from)."""
    import hashlib
    from importlib import resources

    shipped = learned.model()
    data = resources.files("server.data")
    assert hashlib.sha256(data.joinpath(shipped["file"]).read_bytes()).hexdigest() == shipped["sha256"]
    assert data.joinpath(shipped["tokenizer"]).is_file()
    assert shipped == train_findings.record(shipped["held_out"], sha256=shipped["sha256"])
    meetings = {p.stem for p in (ROOT / "bench" / "minutes_truth").glob("*.json")}
    assert set(shipped["held_out"]) <= meetings  # the meetings it has not seen, which measure it honestly
    assert list(learned.KINDS) == list(train_findings.KINDS)


def test_the_trainer_learns_each_sentence_once_with_a_label_per_kind():
    rows = train_findings.examples()
    assert all(len(labels) == len(train_findings.KINDS) and set(labels) <= {-1, 0, 1} for _, labels in rows)
    # a parent's sentence teaches the refusal output nothing (the finder never asks it there): some sentences
    # are labelled for commitments and not for refusals
    assert any(labels[0] == -1 and labels[1] >= 0 for _, labels in rows)
    for i, kind in enumerate(train_findings.KINDS):
        assert sum(labels[i] == 1 for _, labels in rows) > 100, kind


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
