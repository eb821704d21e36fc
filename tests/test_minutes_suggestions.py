"""Suggestions: the phrase rules (data files with examples), and accepting or dismissing one."""
import json
import re
from importlib.resources import files

import pytest

import minutes_scripted
from server import rules
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
    assert bool(re.search(rule["pattern"], text, re.IGNORECASE)) is expected


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
    kinds = {r["kind"] for r in rules.load(f"{jurisdiction}/suggestions.json")["rules"]}
    assert kinds == {"refusal", "commitment", "date", "amount"}


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
    assert [(s["kind"], s["text"][:30], s["speaker"]) for s in found] == [
        ("commitment", "We'll get the speech therapist", "Ms Priya Khan (SENCO / SENDCo)"),
        ("refusal", "We can't offer speech therapy ", "Mr David Lee (Head teacher / principal)"),
    ]
    for s in found:
        assert set(s) >= {"kind", "text", "start_ms", "end_ms", "speaker"}


def test_accept_makes_a_marker_and_the_draft_includes_it(app, parent):
    meeting_id = minutes_scripted.load(app, parent.email)
    refusal = parent.api("GET", f"/meetings/{meeting_id}/suggestions").json["suggestions"][1]
    response = parent.api("POST", f"/meetings/{meeting_id}/suggestions/{refusal['id']}/accept", {})
    assert response.status_code == 200, response.json
    event = response.json["event"]
    assert event["kind"] == "refused" and event["payload"]["text"] == refusal["text"]
    # the marker points at the words themselves: its person is whoever the transcript says said them
    assert "by" not in event["payload"] and event["payload"]["utterance_ms"] == refusal["start_ms"]
    # test that it is a normal event on the timeline
    timeline = parent.api("GET", f"/meetings/{meeting_id}/events").json["events"]
    assert any(e["id"] == event["id"] and not e["deleted"] for e in timeline)
    # test that accepting twice is one event, and the suggestion is gone
    again = parent.api("POST", f"/meetings/{meeting_id}/suggestions/{refusal['id']}/accept", {})
    assert again.status_code == 200
    assert len([e for e in parent.api("GET", f"/meetings/{meeting_id}/events").json["events"]
                if e["id"] == event["id"]]) == 1
    left = parent.api("GET", f"/meetings/{meeting_id}/suggestions").json["suggestions"]
    assert [s["kind"] for s in left] == ["commitment"]
    # test that the redraft carries the refusal with the transcript as evidence
    markdown = parent.api("POST", f"/meetings/{meeting_id}/minutes", {}).json["markdown"]
    assert ("- REFUSED by Mr David Lee (Head teacher / principal): We can't offer speech therapy at home, I'm "
            "afraid that's not possible. Reason given: none recorded [09:45:20 · Mr David Lee") in markdown


def test_dismiss_hides_it_for_good(app, parent):
    meeting_id = minutes_scripted.load(app, parent.email)
    first = parent.api("GET", f"/meetings/{meeting_id}/suggestions").json["suggestions"][0]
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
