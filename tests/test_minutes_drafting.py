"""Drafting the minutes: golden files per template, what the draft must contain, and its evidence."""
import datetime
import os
import re
from pathlib import Path

import pytest

import draft_check
import minutes_scripted
from server import deadlines
from server import rules
from server.db import db
from server.minutes import drafting
from server.minutes.render import md_unescape
from server.models import Event
from server.models import Meeting

GOLDEN = Path(__file__).parent / "data" / "minutes" / "golden"
TODAY = datetime.date(2026, 12, 1)
EVIDENCE = re.compile(r" \[(\+?\d\d:\d\d:\d\d) · ((?:\\.|[^·\\])+?)(?: · “(.*)”)?\]$")
STATEMENT = re.compile(r"^(?:- |\d+\. )")
# lines that state what is on record from preparation, or that nothing was captured: no evidence to give
NO_EVIDENCE = (
    "Not reached in the meeting.", "No actions were recorded.", "No attendees were recorded.",
    "No targets were on record", "Everyone present agreed to the meeting being recorded.",
    "Not discussed in the meeting (status on record",
)
EVIDENCE_SECTIONS = ("## 3.", "## 4.", "## 5.", "## 6.")


def load_meeting(app, parent, name=None):
    script = minutes_scripted.variant(name) if name else None
    return minutes_scripted.load(app, parent.email, script=script)


def draft_for(app, meeting_id, today=TODAY):
    with app.app_context():
        return drafting.draft(db.session.get(Meeting, meeting_id), today=today)


def statement_lines(markdown):
    """Yield (section heading, line) for each statement line in the sections that need evidence."""
    section = None
    for line in markdown.splitlines():
        if line.startswith("## "):
            section = line
            continue
        if section and section.startswith(EVIDENCE_SECTIONS) and STATEMENT.match(line):
            yield section, line


TEMPLATES = ["england_default", "england_ehcp_annual_review", "us_iep", "us_default"]


@pytest.mark.parametrize("capture", ["markers", "taps", "recording"])
@pytest.mark.parametrize("name", TEMPLATES)
def test_golden_file_per_template(app, parent, name, capture):
    """Three ways a meeting is captured (taps and markers; taps only; the recording alone), per template."""
    meeting_id = minutes_scripted.load(app, parent.email, script=minutes_scripted.variant(name, capture))
    with app.app_context():
        assert drafting.template_name(db.session.get(Meeting, meeting_id)) == f"{name}.md.j2"
    text = draft_for(app, meeting_id)
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        capture_ = drafting.Capture(meeting)
        problems, _ = draft_check.check(text, drafting.Clock(meeting), capture_.segments, capture_.events,
                                        {a.id: drafting.person(a, capture_.jurisdiction) for a in meeting.attendees})
    assert problems == []
    golden = GOLDEN / (f"{name}.md" if capture == "markers" else f"{name}.{capture}.md")
    if os.environ.get("MINUTED_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text)
    # test that the draft is exactly the reviewed golden file (deterministic for the same capture and day)
    assert text == golden.read_text()
    assert draft_for(app, meeting_id) == text


def test_draft_contains_what_was_captured(app, parent):
    meeting_id = load_meeting(app, parent)
    text = draft_for(app, meeting_id)
    script = minutes_scripted.SCRIPT
    # test that every attendee appears with their role and attendance
    for a in script["attendees"]:
        role = rules.role_label("england", a["role"])
        assert re.search(rf"^- {re.escape(a['name'])}, {re.escape(role)}", text, re.MULTILINE), a["name"]
    assert "Dr Tom Patel, Educational psychologist (EP), Northshire EP Service: sent apologies" in text
    # test that every agenda item appears in the parent's order (parked items last)
    titles = re.findall(r"^### 4\.(\d+) (.*)$", text, re.MULTILINE)
    assert [t for _, t in titles] == [
        "Daily 1:1 reading support", "Speech and language therapy", "Transport to school",
        "After-school club (any other business)",
    ]
    assert [int(n) for n, _ in titles] == [1, 2, 3, 4]
    # test that every agreed / refused / action marker is there, with its time
    lines = text.splitlines()
    for e in script["events"]:
        if e["kind"] in ("agreed", "refused", "action") and not e.get("deleted"):
            found = [line for line in lines if e["payload"]["text"].rstrip(".") in md_unescape(line)]
            assert found, e
            assert all(draft_check.TIME.search(line) for line in found), found
    refused = [line for line in lines if line.startswith("- Refused, Mr David Lee (Head teacher / principal)")]
    assert any("Daily 1:1 reading with a TA. Reason given: No budget for a one-to-one TA this year" in md_unescape(x)
               for x in refused), refused
    # test that actions carry the owner (name and role) and an absolute date
    assert re.search(r"^\d\. Ms Rachel Green \(LA SEN officer / EHC co-ordinator\): Request a SALT assessment\. "
                     r"Due: Friday 18 December 2026[ .]", text, re.MULTILINE)
    # test that targets appear with their status (reviewed in the meeting, or as on record)
    assert "Reviewed in the meeting as being worked towards; 28 words a minute in the November assessment [" in text
    assert "Not discussed in the meeting (status on record before the meeting: being worked towards)" in text
    # test that what was deleted, and private bookmarks, stay out
    assert "a note the parent deleted" not in text
    assert "check this bit" not in text
    # test that the statutory steps appear with dates computed from the meeting date
    for step in deadlines.timeline("ehcp_annual_review", "england", datetime.date(2026, 12, 1)):
        if step.who.startswith("you"):
            # test that the parent's own to-do (sending this record) is not in the record itself
            assert step.label not in md_unescape(text), step.label
        elif step.due > datetime.date(2026, 12, 1):
            assert f"{step.label}: by {step.due.strftime('%A %-d %B %Y')}" in md_unescape(text), step.label
    assert "- Next review: Tuesday 30 November 2027" in text
    # test that the closing asks for corrections within N working days (an absolute date)
    assert "by Tuesday 8 December 2026 (5 working days)" in text
    # test that the vague provision wording is flagged
    assert re.search(r"Item 4\.1: Sam would benefit from regular reading support\. The parent notes that this "
                     r"wording is not yet specific: .*Describes a need, not a commitment", text)
    # test that vague wording in what the school agreed is flagged too, with its evidence
    assert ("- Agreed: Sam will have access to support from a TA when needed [09:42:45]. The parent notes that this "
            "wording is not yet specific: “access to”: Access is not the same as receiving it; “when needed”") in text


def test_correction_days_come_from_config(tmp_path, migrated_db):
    import shutil

    from conftest import Parent
    from conftest import make_app

    data = tmp_path / "d"
    data.mkdir()
    shutil.copyfile(migrated_db, data / "minuted.sqlite3")
    app = make_app(data, CORRECTION_WORKING_DAYS=10)
    parent = Parent(app, app.test_client()).create()
    text = draft_for(app, load_meeting(app, parent))
    assert "by Tuesday 15 December 2026 (10 working days)" in text
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("name", ["england_default", "england_ehcp_annual_review", "us_iep"])
def test_every_point_holds_against_what_was_captured(app, parent, name):
    meeting_id = load_meeting(app, parent, name)
    text = draft_for(app, meeting_id)
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        capture = drafting.Capture(meeting)
        problems, checked = draft_check.check(text, drafting.Clock(meeting), capture.segments, capture.events,
                                              {a.id: drafting.person(a, capture.jurisdiction) for a in meeting.attendees})
    assert problems == []
    assert checked >= 8


def test_transcript_speaker_comes_from_taps_when_the_segment_has_none(app, parent):
    script = minutes_scripted.variant("england_ehcp_annual_review")
    for seg in script["segments"]:
        seg["speaker_id"] = None
    meeting_id = minutes_scripted.load(app, parent.email, script=script)
    text = draft_for(app, meeting_id)
    # the refusal's words were said after Mr Lee's speaker tap at 2:00
    refused = [line for line in text.splitlines() if line.startswith("- Refused, Mr David Lee")]
    assert refused and all("[09:34:" in line for line in refused)


def test_draft_without_transcript_cites_the_markers(app, parent):
    script = minutes_scripted.variant("england_ehcp_annual_review")
    script["segments"] = []
    text = draft_for(app, minutes_scripted.load(app, parent.email, script=script))
    assert "- Refused, Mr David Lee (Head teacher / principal): Daily 1:1 reading with a TA. Reason given: No budget " \
        "for a one-to-one TA this year. [09:34:30]" in md_unescape(text)
    assert "The meeting was not recorded" not in text  # a recording row exists


# --- versions and merging ---


def test_merge_keeps_the_parents_edits_and_reports_conflicts():
    base = "# T\n\nintro\n\n## 1. A\n\n- a\n\n## 2. B\n\n- b\n\n## 3. C\n\n- c\n"
    mine = "# T\n\nintro\n\n## 1. A\n\n- a, as I remember it\n\n## 2. B\n\n- b edited\n\n## 2a. Mine\n\n- x\n\n## 3. C\n\n- c\n"
    new = "# T\n\nintro\n\n## 1. A\n\n- a\n\n## 2. B\n\n- b\n- b2 (new)\n\n## 3. C\n\n- c\n- c2 (new)\n"
    merged, conflicts, replaced = drafting.merge(base, mine, new)
    # test that an untouched section takes the new draft, and an edited one keeps the edit
    assert "- c2 (new)" in merged
    assert "- a, as I remember it" in merged
    # test that a section both changed is kept as the parent wrote it and reported
    assert "- b edited" in merged and "b2 (new)" not in merged
    assert conflicts == ["2. B"] and replaced == []
    # test that the parent's own section stays where they put it
    assert merged.index("## 2a. Mine") > merged.index("## 2. B") and merged.index("## 2a. Mine") < merged.index("## 3. C")
    merged, conflicts, replaced = drafting.merge(base, mine, new, replace=["2. B"])
    assert "b2 (new)" in merged and "b edited" not in merged
    assert conflicts == [] and replaced == ["2. B"]


def _script():
    script = minutes_scripted.variant("england_ehcp_annual_review")
    script["meeting"]["consent_status"] = None
    return script


def test_attendance_comes_from_what_was_captured(app, parent):
    script = _script()
    for a in script["attendees"]:
        if a["id"] in ("a3", "a4"):
            a["attendance"] = "expected"  # the list before the meeting; a3 spoke, a4 was never heard or tapped
    script["segments"] = [s for s in script["segments"] if s["speaker_id"] != "a4"]
    script["events"] = [e for e in script["events"] if e["payload"].get("attendee_id") != "a4"]
    text = md_unescape(draft_for(app, minutes_scripted.load(app, parent.email, script=script)))
    assert "- Mr David Lee, Head teacher / principal, Oak Primary: present" in text
    assert "- Ms Rachel Green, LA SEN officer / EHC co-ordinator, Northshire Council: invited (attendance not " \
           "recorded)" in text
    assert "expected" not in text


@pytest.mark.parametrize("answers, expected", [
    ({"a1": True, "a2": True, "a3": True, "a4": True}, "- Everyone present agreed to the meeting being recorded."),
    ({"a1": True, "a2": True, "a3": False}, "- Recording was not agreed by everyone present."),
    ({"a1": True, "a2": True}, "- The meeting was recorded; the answers to the request to record are below."),
    ({}, "- The meeting was recorded; consent was not recorded in the app."),
])
def test_consent_comes_from_the_answers_captured(app, parent, answers, expected):
    script = _script()
    script["events"] = [e for e in script["events"] if e["kind"] != "consent"] + [
        {"id": f"00000000-0000-4000-8000-0000000001{i:02d}", "kind": "consent", "at_ms": 20000 + i,
         "payload": {"attendee_id": who, "given": given}} for i, (who, given) in enumerate(answers.items())]
    text = draft_for(app, minutes_scripted.load(app, parent.email, script=script))
    section = text.split("## 3. Recording")[1].split("## 4.")[0]
    assert expected in section
    if expected.startswith("- Everyone"):
        assert "agreed to the recording" not in section  # no list of six lines under "everyone agreed"
    elif answers:
        assert section.count("to the recording") == len(answers)
