"""Draft the minutes deterministically from what was captured.

The draft is a Jinja2 Markdown template (``templates/minutes/``) filled from
the meeting's preparation (attendees, agenda, plan), its timeline of events
and its transcript. Nothing is invented: every statement line carries its
evidence, ``[HH:MM:SS · who · “short quote”]``, pointing at a transcript
segment or a marker on the timeline (``evidence_for`` says which). Captured
values are Markdown-escaped by the template environment's ``finalize`` so a
note cannot add links, headings or HTML to the minutes.

Versions: every draft and every saved edit is a MinutesVersion. Regenerating
merges per section (``##``/``###`` heading): sections the parent has not
touched take the new draft, sections only the parent changed keep the
parent's text, and sections both changed are reported as conflicts and keep
the parent's text unless the caller asks to replace them.
"""
import dataclasses
import datetime
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
from flask import current_app

from .. import attribution
from .. import checker
from .. import deadlines
from .. import rules
from ..db import db
from ..deadlines import readable_source
from ..models import Event
from ..models import MinutesVersion
from .render import Md
from .render import clean_text
from .render import md_escape

MARKER_KINDS = ("note", "agreed", "refused", "action", "question", "quote")
QUOTE_WORDS = 18
TARGET_STATUS = {
    "current": "current",
    "working_towards": "being worked towards",
    "achieved": "achieved",
    "obsolete": "obsolete",
}
ATTENDANCE = {
    "present": "present",
    "remote": "joined remotely",
    "expected": "invited (attendance not recorded)",
    "apologies": "sent apologies",
    "absent": "absent",
    "excused_in_writing": "excused in writing",
}
OUTCOME = {
    "agreed": "agreed",
    "proposed": "proposed, to be considered",
    "refused": "refused",
    "parked": "deferred (parked)",
    "not_reached": "not reached",
}
DATE_FORMATS = {"england": "%A %-d %B %Y", "us": "%A, %B %-d, %Y"}


def template_dir():
    return Path(current_app.jinja_loader.searchpath[0]) / "minutes"


def environment():
    """Return the Markdown template environment: every {{ value }} is Markdown-escaped."""
    env = current_app.extensions.get("minuted_minutes_env")
    if env is None:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(template_dir())),
            autoescape=False,
            finalize=md_escape,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined,
        )
        current_app.extensions["minuted_minutes_env"] = env
    return env


def template_name(meeting):
    """Pick the minutes template: jurisdiction + meeting type, then a family, then the default."""
    j = meeting.child.jurisdiction
    kind = meeting.kind
    names = [f"{j}_{kind}.md.j2"]
    if kind.startswith("iep"):
        names.append(f"{j}_iep.md.j2")
    names.append(f"{j}_default.md.j2")
    available = set(environment().list_templates())
    return next(n for n in names if n in available)


# --- the people and the clock ---


def person(attendee, jurisdiction):
    """Return "Name (Role)" for an attendee."""
    if attendee is None:
        return None
    return f"{clean_text(attendee.name)} ({rules.role_label(jurisdiction, attendee.role)})"


class Clock:
    """Turns timeline milliseconds into the time of day in the meeting's zone (or time since the start)."""

    def __init__(self, meeting):
        self.zone = ZoneInfo(meeting.timezone)
        self.origin = meeting.started_at

    def __call__(self, ms):
        if self.origin is None:
            seconds = ms // 1000
            return f"+{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        at = self.origin + datetime.timedelta(milliseconds=ms)
        return at.astimezone(self.zone).strftime("%H:%M:%S")

    def to_ms(self, text):
        """The inverse, to the second: the tests use it to find the evidence."""
        if text.startswith("+"):
            h, m, s = (int(p) for p in text[1:].split(":"))
            return (h * 3600 + m * 60 + s) * 1000
        local0 = self.origin.astimezone(self.zone)
        h, m, s = (int(p) for p in text.split(":"))
        at = local0.replace(hour=h, minute=m, second=s, microsecond=0)
        if at < local0.replace(microsecond=0):
            at += datetime.timedelta(days=1)
        return int((at - local0.replace(microsecond=0)).total_seconds() * 1000)


def short(text, words=QUOTE_WORDS):
    """Return at most `words` words of text, with an ellipsis when cut."""
    parts = clean_text(text).split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


@dataclasses.dataclass
class Evidence:
    """Where a statement comes from: a transcript segment or a marker on the timeline."""

    at_ms: int
    who: str
    quote: str | None
    source: str  # segment | event
    ref: str
    check: tuple = ()  # words in the quote the transcription was unsure of (numbers, dates, names)

    def tag(self, clock):
        quote = f" · “{md_escape(self.quote)}”" if self.quote and self.source == "event" else ""
        check = ""
        if self.check:
            words = ", ".join(f"“{md_escape(w)}”" for w in self.check)
            check = f" · check {words} against the recording"
        return Md(f"[{clock(self.at_ms)} · {md_escape(self.who)}{quote}{check}]")


@dataclasses.dataclass
class Segment:
    """One utterance as the minutes see it (server/attribution.py decided its speaker)."""

    id: int
    start_ms: int
    end_ms: int
    text: str
    speaker_id: str | None
    speaker: str | None  # "Name (Role)", a name the parent typed, or None (not identified)
    agenda_item_id: str | None
    recording_id: str | None
    how: str = "unknown"
    words: tuple = ()
    unsure: tuple = ()  # the words to check against the recording (their text)


class Capture:
    """Everything captured in one meeting, with speakers and agenda items resolved.

    Speakers come from the one attribution (:mod:`server.attribution`): the
    same words have the same speaker here as on the transcript page and in
    every export. A marker's person and quote are the utterance it marks
    (:func:`transcribe.utterances.marker_target`), unless the parent chose
    the person in the marker itself.
    """

    def __init__(self, meeting):
        self.meeting = meeting
        self.jurisdiction = meeting.child.jurisdiction
        self.attendees = {a.id: a for a in meeting.attendees}
        self.items = {i.id: i for i in meeting.agenda}
        self.targets = {t.id: t for t in meeting.child.targets}
        self.events = db.session.execute(
            db.select(Event)
            .where(Event.meeting_id == meeting.id, Event.deleted.is_(False))
            .order_by(Event.at_ms, Event.id)
        ).scalars().all()
        self.agenda_taps = [
            (e.at_ms, e.payload.get("agenda_item_id"), e) for e in self.events if e.kind == "agenda"
        ]
        self.rows = attribution.rows(meeting)  # the one attribution, as the API shows it
        self.segments = [self._segment(r) for r in self.rows]
        self._targets = {}

    def name(self, attendee_id):
        return person(self.attendees.get(attendee_id), self.jurisdiction)

    def on_family_side(self, attendee_id):
        """Whether the attendee is on the family's side of the table (a parent, the young person, a supporter)."""
        a = self.attendees.get(attendee_id)
        return a is not None and rules.on_family_side(self.jurisdiction, a.role)

    def agenda_at(self, ms):
        current = None
        for at, item_id, _ in self.agenda_taps:
            if at > ms:
                break
            current = item_id
        return current

    def _segment(self, row):
        speaker = clean_text(row["speaker_name"]) if row["speaker_name"] and not row["speaker"] else \
            self.name(row["speaker"])
        return Segment(
            id=row["id"], start_ms=row["start_ms"], end_ms=row["end_ms"], text=row["text"],
            speaker_id=row["speaker"], speaker=speaker, agenda_item_id=row["agenda_item"],
            recording_id=row["recording_id"], how=row["how"], words=tuple(row["words"] or ()),
            unsure=tuple(u["text"] for u in row["unsure"]),
        )

    def marked(self, event):
        """Return the utterance a marker points at (the words being said, or just said), or None."""
        if event.id not in self._targets:
            self._targets[event.id] = attribution.marker_segment(self.segments, event, self.jurisdiction)
        return self._targets[event.id]

    def event_speaker(self, event):
        """Who a marker is about: the person the parent chose in it, else the speaker of the words it marks."""
        p = event.payload
        chosen = p.get("attendee_id") or (p.get("by") if event.kind == "refused" else None)
        if chosen:
            return chosen
        if event.kind in ("note", "quote", "refused", "agreed"):
            seg = self.marked(event)
            return seg.speaker_id if seg is not None else None
        return None

    def evidence_for(self, event):
        """Return the evidence for a marker: the words it marks, or the marker itself."""
        seg = self.marked(event)
        if seg is not None:
            quote = short(attribution.quote(seg, event.at_ms))
            check = tuple(dict.fromkeys(w.strip(".,;:!?") for w in seg.unsure if w.strip(".,;:!?") in quote))
            return Evidence(seg.start_ms, seg.speaker or "speaker not identified", quote, "segment", str(seg.id),
                            check)
        text = event.payload.get("text")
        return Evidence(event.at_ms, "parent's note" if text else f"parent's tap: {event.kind}",
                        short(text) if text else None, "event", event.id)

    def item_of(self, event):
        return event.payload.get("agenda_item_id") or self.agenda_at(event.at_ms)


# --- the summary: points from the recording and the parent's markers ---

# a tapped marker's kind as a point of the summary
MARKER_POINT = {"refused": "refusal", "action": "commitment", "agreed": "agreement", "question": "question",
                "quote": "quote", "note": "note"}
_STOP = frozenset("""a an and the to of in on for it that this i we you she he they will i'll we'll be is are
with by at so as from have has her his its our your their can just then also up out about but yeah okay well""".split())


def content_words(text):
    """The words of a text that carry its content (for telling whether two sayings are the same action)."""
    return {w for w in re.findall(r"[a-z0-9']+", text.lower()) if w not in _STOP and len(w) > 2}


def _due_text(date, phrase, approx, fmt):
    if date is None:
        return None
    said = f" (said: “{md_escape(phrase)}”)" if phrase else ""
    return Md(f"{'about ' if approx else ''}{md_escape(fmt(date))}{said}")


def summary_points(meeting, cap, clock, fmt):
    """The points of the summary, in time order: what the words said (checked or not) and the parent's markers.

    Each point quotes its utterance's words (or the parent's own note), names the person (the speaker, or
    the owner named in the words, or the parent's correction) and cites the time. Dismissed findings are
    left out; the parent's values (who, text, due date) always win over what was found.
    """
    from . import findings
    from . import suggestions

    points, covered = [], set()

    def name(attendee_id, label=None):
        return cap.name(attendee_id) or (clean_text(label) if label else None)

    for f, state, event in suggestions.assess(meeting, cap):
        if state == "dismissed" or f.kind not in findings.IN_DRAFT:
            continue
        p = dict(event.payload or {}) if event is not None else {}
        if event is not None:
            covered.add(event.id)
        who_id = f.who
        label = f.who_label
        due = f.due
        due_date, phrase, approx = (due.date, due.phrase, due.approx) if due else (None, None, False)
        if f.kind == "commitment" and ("owner" in p or "owner_name" in p or state == "accepted"):
            who_id, label = p.get("owner"), p.get("owner_name")
        elif f.kind == "refusal" and p.get("by"):
            who_id, label = p["by"], None
        elif p.get("attendee_id"):
            who_id, label = p["attendee_id"], None
        if p.get("due") and p["due"] != (due.iso() if due else None):
            due_date, phrase, approx = datetime.date.fromisoformat(p["due"]), None, False
        elif state == "accepted" and f.kind == "commitment" and not p.get("due"):
            due_date = None
        typed = p.get("text") if p.get("text") and p.get("text") != f.quote else None
        reply = f.reply if f.kind == "question" else None
        points.append({
            "kind": f.kind,
            "label": findings.kind_label(f.kind, cap.jurisdiction),
            "who": name(who_id, label),
            "said_by": (f.segment.speaker or "a person not identified") if who_id != f.said_by or label else None,
            "text": clean_text(typed or f.quote),
            "quoted": typed is None,
            "reason": clean_text(p.get("reason") or (f.reason["label"] if f.reason else "")),
            "family": cap.on_family_side(who_id),
            "due": _due_text(due_date, phrase, approx, fmt),
            "recurring": clean_text(due.phrase) if due is not None and due.recurring else None,
            "answers": clean_text(f.reply) if f.kind == "agreement" and f.reply else None,
            "reply": {"who": reply.speaker or "someone not identified", "time": clock(reply.start_ms)}
            if reply is not None else None,
            "at_ms": f.start_ms,
            "time": clock(f.start_ms),
            "check": list(f.unsure),
            "confirmed": state != "open",
            "item": p.get("agenda_item_id") or f.segment.agenda_item_id,
            "restated": [],
        })
    for event in cap.events:
        if event.kind not in MARKER_POINT or event.id in covered:
            continue
        p = event.payload
        seg = cap.marked(event)
        speaker_id = cap.event_speaker(event)
        kind = p.get("finding") if p.get("finding") in findings.IN_DRAFT else MARKER_POINT[event.kind]
        words = short(attribution.quote(seg, event.at_ms)) if seg is not None else None
        typed = clean_text(p.get("text") or "")
        if event.kind == "action":
            who_id = p.get("owner")
            who = name(who_id, p.get("owner_name"))
        elif event.kind == "refused":
            who_id = p.get("by") if name(p.get("by")) else speaker_id
            who = name(who_id)
        else:
            who_id = speaker_id
            who = name(speaker_id)
        due_date = None
        if p.get("due"):
            try:
                due_date = datetime.date.fromisoformat(p["due"])
            except ValueError:
                due_date = None
        check = [w.strip(".,;:!?") for w in (seg.unsure if seg is not None else ())
                 if w.strip(".,;:!?") and words and w.strip(".,;:!?") in words]
        points.append({
            "kind": kind,
            "label": findings.kind_label(kind, cap.jurisdiction) if kind in findings.IN_DRAFT else kind,
            "who": who,
            "said_by": seg.speaker if seg is not None and event.kind == "action" and seg.speaker != who else None,
            "text": typed or words or "",
            "quoted": not typed and bool(words),
            "reason": clean_text(p.get("reason") or ""),
            "family": cap.on_family_side(who_id),
            "due": _due_text(due_date, None, False, fmt),
            "recurring": None,
            "answers": None,
            "reply": None,
            "at_ms": seg.start_ms if seg is not None else event.at_ms,
            "time": clock(seg.start_ms if seg is not None else event.at_ms),
            "check": list(dict.fromkeys(check)),
            "confirmed": True,
            "item": cap.item_of(event),
            "restated": [],
        })
    points.sort(key=lambda p: p["at_ms"])
    # an action said again (a summary at the end) is one action, said twice
    kept = []
    for p in points:
        if p["kind"] == "commitment" and p["quoted"]:
            words = content_words(p["text"])
            twin = next((k for k in kept if k["kind"] == "commitment" and k["who"] == p["who"] and k["quoted"]
                         and len(words & content_words(k["text"])) >= max(2, 0.3 * min(len(words), len(content_words(k["text"]))))),
                        None)
            if twin is not None:
                twin["restated"].append(p["time"])
                twin["due"] = twin["due"] or p["due"]
                twin["confirmed"] = twin["confirmed"] or p["confirmed"]
                continue
        kept.append(p)
    return kept


def differences(points):
    """[(request, refusal)]: each request of the parent's side whose first answer (before another request) is a refusal."""
    out = []
    for i, p in enumerate(points):
        if p["kind"] != "request":
            continue
        for q in points[i + 1:]:
            if q["kind"] == "request":
                break
            if q["kind"] in ("refusal", "agreement", "commitment", "offer"):
                if q["kind"] == "refusal" and not q.get("family"):
                    out.append((p, q))
                break
    return out


def attended(meeting, cap):
    """Each attendee's attendance as the minutes state it: recorded, or shown by what was captured.

    Someone who spoke (words attributed to them), was tapped as speaking, or gave or refused consent was
    there, whatever the list said before the meeting; "not recorded" only when nothing shows it.
    """
    shown = {s.speaker_id for s in cap.segments if s.speaker_id}
    shown |= {e.payload.get("attendee_id") for e in cap.events if e.kind in ("speaker", "consent")}
    out = {}
    for a in meeting.attendees:
        if a.attendance == "expected" and a.id in shown:
            out[a.id] = ATTENDANCE["present"]
        else:
            out[a.id] = ATTENDANCE.get(a.attendance, a.attendance)
    return out


def consent_status(meeting, consents, present_ids):
    """all | refused | partial | None, from the consent answers captured (else what the meeting says)."""
    if any(not c["given"] for c in consents):
        return "refused"
    if any(c["given"] and c["attendee_id"] is None for c in consents):
        return "all"
    agreed = {c["attendee_id"] for c in consents if c["given"]}
    if agreed and present_ids <= agreed:
        return "all"
    if agreed:
        return "partial"
    return {"all": "all", "given": "all", "refused": "refused"}.get(meeting.consent_status)


# --- the template context ---


def _date(value, jurisdiction):
    return value.strftime(DATE_FORMATS.get(jurisdiction, DATE_FORMATS["england"])) if value else None


def _due(text, jurisdiction):
    try:
        return _date(datetime.date.fromisoformat(text), jurisdiction)
    except (TypeError, ValueError):
        return None


def context(meeting, today=None):
    """Build the template context from the meeting (plain data; strings are escaped by the template)."""
    cap = Capture(meeting)
    j = cap.jurisdiction
    clock = Clock(meeting)
    zone = ZoneInfo(meeting.timezone)
    start_local = (meeting.started_at or meeting.starts_at).astimezone(zone)
    meeting_date = start_local.date()
    today = today or datetime.datetime.now(zone).date()
    if today < meeting_date:
        today = meeting_date
    fmt = lambda d: _date(d, j)  # noqa: E731

    points = summary_points(meeting, cap, clock, fmt)
    by_item = {}
    for p in points:
        by_item.setdefault(p["item"] if p["item"] in cap.items else None, []).append(p)
    tapped_items = {item_id for _, item_id, _ in cap.agenda_taps}
    spoken_items = {s.agenda_item_id for s in cap.segments}

    items, number = [], 0
    ordered = [i for i in meeting.agenda if not i.parked] + [i for i in meeting.agenda if i.parked]
    for item in ordered:
        number += 1
        item_points = by_item.get(item.id, [])
        reached = bool(item_points) or item.id in tapped_items or item.id in spoken_items
        outcome = item.outcome if item.outcome in OUTCOME else None
        items.append({
            "number": number,
            "id": item.id,
            "title": clean_text(item.title),
            "parked": item.parked,
            "reached": reached,
            "outcome": OUTCOME.get(outcome) if outcome and reached else None,
            "points": [p for p in item_points if p["kind"] != "commitment"],
            "actions": [p for p in item_points if p["kind"] == "commitment"],
            # the review report must record where views differ: the parent's side asked, and the answer was no
            "differ": differences(item_points),
        })
    general = [p for p in by_item.get(None, []) if p["kind"] != "commitment"]
    item_numbers = {i["id"]: i["number"] for i in items}
    actions = []
    for p in points:
        if p["kind"] == "commitment":
            p["number"] = len(actions) + 1
            actions.append(dict(p, item_number=item_numbers.get(p["item"])))

    reviewed = {}
    for event in cap.events:
        if event.kind == "target" and event.payload.get("target_id") in cap.targets:
            reviewed.setdefault(event.payload["target_id"], []).append({
                "status": TARGET_STATUS.get(event.payload.get("status"), event.payload.get("status")),
                "comment": clean_text(event.payload.get("text") or ""),
                "evidence": cap.evidence_for(event).tag(clock),
            })
    targets = [
        {
            "text": clean_text(t.text),
            "status": TARGET_STATUS.get(t.status, t.status),
            "evidence": clean_text(t.evidence or ""),
            "reviewed": reviewed.get(t.id, []),
        }
        for t in meeting.child.targets
    ]

    item_numbers = {i["id"]: i["number"] for i in items}
    provision = []
    for item in meeting.agenda:
        if item.provision is None:
            continue
        flags = checker.check(item.provision.text, "provision", j, child_name=meeting.child.name)
        provision.append({
            "text": clean_text(item.provision.text),
            "item": item_numbers.get(item.id),
            "reached": any(i["reached"] for i in items if i["id"] == item.id),
            "flags": sorted({clean_text(f.title) for f in flags}),
            "delivered": item.provision.delivered,
        })

    # what the school agreed or promised, in words that stay vague (the wording checker's phrase rules)
    vague = []
    for p in points:
        if p["kind"] not in ("agreement", "commitment") or not p["text"]:
            continue
        # only the high-severity phrases: an agreement is not a plan line, so missing elements are not flagged
        flags = [f for f in checker.check(p["text"], "provision", j, child_name=meeting.child.name)
                 if f.start is not None and f.severity == "high"]
        if flags:
            vague.append({**p, "flags": [f"“{clean_text(f.match)}”: {clean_text(f.title)}" for f in flags]})

    consents = []
    for event in cap.events:
        if event.kind == "consent":
            given = event.payload.get("given")
            who = cap.name(event.payload.get("attendee_id")) or "Everyone present"
            consents.append({
                "attendee_id": event.payload.get("attendee_id"), "who": who, "given": bool(given),
                "reason": clean_text(event.payload.get("text") or ""), "time": clock(event.at_ms),
            })
    attendance = attended(meeting, cap)
    attendees = [
        {
            "name": clean_text(a.name),
            "role": rules.role_label(j, a.role),
            "organisation": clean_text(a.organisation or ""),
            "attendance": attendance[a.id],
            "absent": a.attendance in ("apologies", "absent", "excused_in_writing"),
        }
        for a in meeting.attendees
    ]
    present_ids = {a.id for a in meeting.attendees if a.attendance not in ("apologies", "absent", "excused_in_writing")}

    steps = [
        {
            "label": s.label,
            "due": fmt(s.due) if s.relation != "after" else None,
            "relation": {"within": "by"}.get(s.relation, s.relation),
            "who": s.who,
            "source": readable_source(s.source, j),
            "condition": s.condition,
        }
        for s in deadlines.timeline(meeting.kind, j, meeting_date)
        # steps that are the parent's own to-do (e.g. sending this record) don't belong in it
        if (s.relation == "after" or s.due > meeting_date) and not (s.who or "").startswith("you")
    ]
    ended = meeting.ended_at.astimezone(zone) if meeting.ended_at else None
    days = int(current_app.config["CORRECTION_WORKING_DAYS"])
    type_label = (rules.meeting_type(meeting.kind) or {}).get("label", meeting.kind)
    return {
        "jurisdiction": j,
        "child": {"name": clean_text(meeting.child.name), "school": clean_text(meeting.child.school or "")},
        "meeting": {
            "title": clean_text(meeting.title or ""),
            "type": type_label,
            "date": fmt(meeting_date),
            "start": start_local.strftime("%H:%M"),
            "end": ended.strftime("%H:%M") if ended else None,
            "timezone": meeting.timezone,
            "venue": clean_text(meeting.venue or ""),
            "online": meeting.online,
            "chair": clean_text(meeting.chair or ""),
            "convener": clean_text(meeting.convener or ""),
            "plan_date": fmt(meeting.plan_date),
            "consent_status": consent_status(meeting, consents, present_ids),
            "recorded": bool(meeting.recordings),
            "deleted_recordings": [
                {"start": clock(r.get("at_ms") or 0),
                 "on": fmt(datetime.datetime.fromisoformat(r["deleted_at"].replace("Z", "+00:00")).astimezone(zone).date())}
                for r in meeting.recordings_deleted or [] if r.get("deleted_at")
            ],
        },
        "consents": consents,
        "present": [a for a in attendees if not a["absent"]],
        "absent": [a for a in attendees if a["absent"]],
        "items": items,
        "general": general,
        "actions": actions,
        "agenda_marked": bool(cap.agenda_taps),
        "unchecked": sum(1 for p in points if not p["confirmed"]),
        "targets": targets,
        "provision": provision,
        "vague": vague,
        "next_review": fmt(meeting.next_review),
        "steps": steps,
        "correction": {"days": days, "by": fmt(deadlines.add_working_days(today, days, j))},
        "today": fmt(today),
    }


def draft(meeting, today=None):
    """Return the draft minutes (Markdown) for a meeting: deterministic for the same capture and day."""
    env = environment()
    text = env.get_template(template_name(meeting)).render(**context(meeting, today))
    return tidy(text)


def tidy(text):
    """Put one blank line around each heading and collapse blank-line runs left by optional blocks."""
    text = re.sub(r"^(#{1,4} .*)$", r"\n\1\n", text, flags=re.MULTILINE)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


# --- versions and merging ---

_SECTION = re.compile(r"^#{1,3} ", re.MULTILINE)


def sections(text):
    """Split Markdown into [(key, block)] at each heading of level 1–3; the preamble has key ""."""
    out = []
    starts = [m.start() for m in _SECTION.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        block = text[start:end]
        first = block.split("\n", 1)[0]
        key = first.lstrip("#").strip() if _SECTION.match(block) else ""
        out.append((key, block))
    return [(k, b) for k, b in out if b.strip() or k]


def _norm(block):
    return "\n".join(line.rstrip() for line in block.strip().splitlines()) if block is not None else None


def merge(base, mine, new, replace=()):
    """Three-way merge per section. Return (markdown, conflicts, replaced).

    base: the draft the parent's text started from; mine: the parent's latest
    text; new: the fresh draft. A conflict is a section that both the parent
    and the new draft changed: the parent's text is kept unless its key is in
    replace. A key in replace always takes the new draft's text (listed in replaced).
    """
    base_s = dict(sections(base)) if base is not None else {}
    mine_list = sections(mine)
    mine_s = dict(mine_list)
    new_list = sections(new)
    new_keys = {k for k, _ in new_list}
    out, conflicts, replaced = [], [], []
    for key, new_block in new_list:
        b, m = base_s.get(key), mine_s.get(key)
        if m is None:
            # the parent deleted a section the draft had: keep it deleted unless the draft changed it
            if b is not None and _norm(b) == _norm(new_block):
                continue
            out.append((key, new_block))
            continue
        if _norm(m) == _norm(b) or _norm(m) == _norm(new_block):
            out.append((key, new_block))
        elif key in replace:
            # asked for by name: the new draft's text, even where an earlier conflict was kept
            out.append((key, new_block))
            replaced.append(key)
        elif _norm(b) == _norm(new_block):
            out.append((key, m))
        else:
            out.append((key, m))
            conflicts.append(key)
    # sections the parent added: after the section that preceded them in their text
    for index, (key, block) in enumerate(mine_list):
        if key in new_keys or key in base_s:
            continue
        prev = next((k for k, _ in reversed(mine_list[:index]) if k in {o[0] for o in out}), None)
        at = next((i + 1 for i, (k, _) in enumerate(out) if k == prev), 0 if prev is None else len(out))
        out.insert(at, (key, block))
    text = "".join(block if block.endswith("\n") else block + "\n" for _, block in out)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n", conflicts, replaced


def latest(meeting, source=None):
    query = db.select(MinutesVersion).where(MinutesVersion.meeting_id == meeting.id)
    if source:
        query = query.where(MinutesVersion.source == source)
    return db.session.execute(query.order_by(MinutesVersion.version.desc()).limit(1)).scalar_one_or_none()


def get_version(meeting, number):
    return db.session.execute(
        db.select(MinutesVersion).where(MinutesVersion.meeting_id == meeting.id, MinutesVersion.version == number)
    ).scalar_one_or_none()


def save(meeting, markdown, source, author_id=None):
    """Add a new version (the next number); the caller commits."""
    current = latest(meeting)
    row = MinutesVersion(
        meeting_id=meeting.id, version=(current.version + 1) if current else 1, source=source,
        markdown=markdown, author_id=author_id,
    )
    db.session.add(row)
    db.session.flush()
    return row


def regenerate(meeting, author_id=None, replace=(), dry_run=False, today=None):
    """Draft again and merge with the parent's edits; return (version or None, markdown, conflicts, replaced)."""
    fresh = draft(meeting, today=today)
    current = latest(meeting)
    if current is None:
        merged, conflicts, replaced = fresh, [], []
    else:
        base = latest(meeting, source="draft")
        merged, conflicts, replaced = merge(base.markdown if base else "", current.markdown, fresh, replace)
    if dry_run:
        return None, merged, conflicts, replaced
    # the draft row keeps the pure draft (the base of the next merge) unless the parent's edits are in it
    if current is not None and merged == current.markdown and fresh == (latest(meeting, "draft") or current).markdown:
        return current, merged, conflicts, replaced
    row = save(meeting, fresh, "draft", author_id)
    if merged != fresh:
        row = save(meeting, merged, "edit", author_id)
    return row, merged, conflicts, replaced
