"""Suggestions: the phrase rules (data files with examples), and accepting or dismissing one."""
import json
import re
from importlib.resources import files

import pytest

import minutes_scripted
from server import rules
from server.minutes import findings
from server.minutes import suggestions

JURISDICTIONS = ("england", "us")


def rule_cases():
    for j in JURISDICTIONS:
        for rule in rules.load(f"{j}/suggestions.json")["rules"]:
            for text in rule["examples"]["match"]:
                yield pytest.param(j, rule, text, True, id=f"{j}-{rule['id']}-match")
            for text in rule["examples"]["no_match"]:
                yield pytest.param(j, rule, text, False, id=f"{j}-{rule['id']}-no")


@pytest.mark.parametrize("jurisdiction, rule, text, expected", list(rule_cases()))
def test_each_rule_matches_its_own_examples(jurisdiction, rule, text, expected):
    assert bool(re.search(rule["pattern"], findings.normalise(text), re.IGNORECASE)) is expected


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
def test_data_files_carry_sources_and_verification(jurisdiction):
    for name in ("suggestions.json", "letters.json"):
        data = json.loads(files("server.data").joinpath(f"{jurisdiction}/{name}").read_text())
        assert data["jurisdiction"] == jurisdiction and data["version"] and data["sources"]
        items = data.get("rules") or data.get("letters")
        assert len({i["id"] for i in items}) == len(items)
        for item in items:
            assert item["source"] and item["verified"] in ("P", "2", "U")
            # every [KEY] a rule cites is in the file's sources
            for key in re.findall(r"\[([A-Z]+\d+(?:\.\d+)?)\]", item["source"]):
                assert key in data["sources"], (name, item["id"], key)
    data = rules.load(f"{jurisdiction}/suggestions.json")
    kinds = {r["kind"] for r in data["rules"]}
    assert kinds == {"refusal", "commitment", "offer", "agreement", "request", "date", "amount"}
    assert kinds <= set(data["kinds"]) and set(data["order"]) == kinds


@pytest.mark.parametrize(
    "text, kind",
    [
        ("We haven't got the budget for that, I'm afraid.", "refusal"),
        ("That's not something we can offer.", "refusal"),
        ("We'll get the SALT in before half term.", "commitment"),
        ("The review will be on 12 March 2027.", "date"),
        ("She'll have 30 minutes a week with the TA.", "amount"),
        ("Lovely to see everyone this morning.", None),
    ],
)
def test_strongest_kind_first(text, kind):
    found = suggestions.match(text, "england")
    assert (found[0][0]["kind"] if found else None) == kind


def test_suggestions_from_the_transcript(app, parent):
    meeting_id = minutes_scripted.load(app, parent.email)
    response = parent.api("GET", f"/meetings/{meeting_id}/suggestions")
    assert response.status_code == 200
    found = response.json["suggestions"]
    # test that words the parent already marked are not suggested again (the refusal at 2:20–2:29)
    assert [(s["kind"], s["text"][:30], s["who"]) for s in found] == [
        ("refusal", "I have to be honest, we haven'", "Mr David Lee (Head teacher / principal)"),
        ("commitment", "On speech and language, the lo", "Ms Rachel Green (LA SEN officer / EHC co-ordinator)"),
        ("commitment", "We'll get the speech therapist", "Ms Priya Khan (SENCO / SENDCo)"),
        ("commitment", "We'll get the speech therapist", "Ms Priya Khan (SENCO / SENDCo)"),
        ("refusal", "We can't offer speech therapy ", "Mr David Lee (Head teacher / principal)"),
    ]
    # test that an action's due date is worked out from the words ("before half term", about: term dates vary)
    assert found[2]["due"] == "2027-02-12" and found[2]["due_approx"] and found[2]["due_phrase"] == "before half term"
    for s in found:
        assert set(s) >= {"kind", "text", "start_ms", "end_ms", "speaker", "who", "due", "reason", "check"}
        # the text is the sentence that matched, not the whole utterance
        assert s["text"] in s["utterance"]


def _one(parent, meeting_id, kind, words):
    return next(s for s in parent.api("GET", f"/meetings/{meeting_id}/suggestions").json["suggestions"]
                if s["kind"] == kind and words in s["text"])


def test_accept_makes_a_marker_and_the_draft_includes_it(app, parent):
    meeting_id = minutes_scripted.load(app, parent.email)
    refusal = _one(parent, meeting_id, "refusal", "speech therapy at home")
    neighbours = {s["id"] for s in parent.api("GET", f"/meetings/{meeting_id}/suggestions").json["suggestions"]}
    response = parent.api("POST", f"/meetings/{meeting_id}/suggestions/{refusal['id']}/accept", {})
    assert response.status_code == 200, response.json
    event = response.json["event"]
    assert event["kind"] == "refused" and event["payload"]["text"] == refusal["text"]
    # the marker points at the words themselves: its person is whoever the transcript says said them
    assert "by" not in event["payload"] and event["payload"]["utterance_ms"] == refusal["start_ms"]
    # test that it is a normal event on the timeline
    timeline = parent.api("GET", f"/meetings/{meeting_id}/events").json["events"]
    assert any(e["id"] == event["id"] and not e["deleted"] for e in timeline)
    # test that accepting twice is one event, and only that suggestion is gone (its neighbours stay)
    again = parent.api("POST", f"/meetings/{meeting_id}/suggestions/{refusal['id']}/accept", {})
    assert again.status_code == 200
    assert len([e for e in parent.api("GET", f"/meetings/{meeting_id}/events").json["events"]
                if e["id"] == event["id"]]) == 1
    left = {s["id"] for s in parent.api("GET", f"/meetings/{meeting_id}/suggestions").json["suggestions"]}
    assert left == neighbours - {refusal["id"]}
    # test that the redraft carries the refusal as confirmed, with the words and the time
    markdown = parent.api("POST", f"/meetings/{meeting_id}/minutes", {}).json["markdown"]
    line = next(x for x in markdown.splitlines() if "speech therapy at home" in x)
    assert line == ("- Refused, Mr David Lee (Head teacher / principal): “We can't offer speech therapy at home, I'm "
                    "afraid that's not possible.” [09:45:20]")


def test_accepting_every_suggestion_in_turn_never_loses_one(app, parent):
    meeting_id = minutes_scripted.load(app, parent.email)
    first = parent.api("GET", f"/meetings/{meeting_id}/suggestions").json["suggestions"]
    for s in first:
        response = parent.api("POST", f"/meetings/{meeting_id}/suggestions/{s['id']}/accept", {})
        assert response.status_code == 200, (s["id"], response.json)
    assert parent.api("GET", f"/meetings/{meeting_id}/suggestions").json["suggestions"] == []
    markdown = parent.api("POST", f"/meetings/{meeting_id}/minutes", {}).json["markdown"]
    assert "(from the recording: check)" not in markdown


def test_accept_with_the_parents_fixes(app, parent):
    meeting_id = minutes_scripted.load(app, parent.email)
    action = _one(parent, meeting_id, "commitment", "fresh assessment")
    people = {a["name"]: a["id"] for a in parent.api("GET", f"/meetings/{meeting_id}").json["attendees"]}
    response = parent.api("POST", f"/meetings/{meeting_id}/suggestions/{action['id']}/accept",
                          {"who": people["Ms Priya Khan"], "due": "2026-12-11", "text": "Ask for a SALT assessment"})
    assert response.status_code == 200, response.json
    payload = response.json["event"]["payload"]
    assert payload["owner"] == people["Ms Priya Khan"] and payload["due"] == "2026-12-11"
    markdown = parent.api("POST", f"/meetings/{meeting_id}/minutes", {}).json["markdown"]
    assert re.search(r"^\d\. Ms Priya Khan \(SENCO / SENDCo\) \(said by Ms Rachel Green \(LA SEN officer / EHC "
                     r"co-ordinator\)\): Ask for a SALT assessment\. Due: Friday 11 December 2026\. \[", markdown, re.M)
    # test that bad fixes are refused whole
    other = _one(parent, meeting_id, "refusal", "speech therapy at home")
    for bad in ({"who": "nobody"}, {"due": "next week"}, {"who": 7}, {"due": 20261211}):
        r = parent.api("POST", f"/meetings/{meeting_id}/suggestions/{other['id']}/accept", bad)
        assert r.status_code == 422, bad
    assert other["id"] in {s["id"] for s in parent.api("GET", f"/meetings/{meeting_id}/suggestions").json["suggestions"]}


def test_dismiss_hides_it_for_good(app, parent):
    meeting_id = minutes_scripted.load(app, parent.email)
    first = _one(parent, meeting_id, "commitment", "twice a week")
    response = parent.api("POST", f"/meetings/{meeting_id}/suggestions/{first['id']}/dismiss")
    assert response.status_code == 200 and response.json["event"]["deleted"] is True
    left = parent.api("GET", f"/meetings/{meeting_id}/suggestions").json["suggestions"]
    assert first["id"] not in {s["id"] for s in left}
    markdown = parent.api("POST", f"/meetings/{meeting_id}/minutes", {}).json["markdown"]
    assert "she'll see him twice a week" not in markdown


def test_unknown_suggestion_or_decision(app, parent):
    meeting_id = minutes_scripted.load(app, parent.email)
    assert parent.api("POST", f"/meetings/{meeting_id}/suggestions/999:refusal/accept", {}).status_code == 404
    assert parent.api("POST", f"/meetings/{meeting_id}/suggestions/7:commitment/maybe", {}).status_code == 404
