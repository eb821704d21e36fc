"""Load the scripted meeting (tests/data/minutes/scripted_meeting.json) straight into the database.

Used by the minutes tests and the review browser test. Ids in the file are
short names; they become real ids scoped by a prefix so one database can hold
the meeting more than once (for two accounts).
"""
import copy
import datetime
import hashlib
import io
import json
import uuid
import wave
from pathlib import Path

DATA = Path(__file__).parent / "data" / "minutes"
SCRIPT = json.loads((DATA / "scripted_meeting.json").read_text())


def wav_bytes(seconds, rate=4000):
    """A quiet WAV of the given length (a tone every 10 s so playback is audible)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(rate)
        frames = bytearray(b"\x80" * (rate * seconds))
        for start in range(0, seconds, 10):
            for i in range(rate // 5):
                frames[start * rate + i] = 0x80 + (24 if (i // 5) % 2 else -24)
        w.writeframes(bytes(frames))
    return buffer.getvalue()


def load(app, email, prefix="x", script=None, audio_seconds=None):
    """Insert the scripted meeting for the account `email`; return the meeting id."""
    from server import audio_store
    from server.db import db
    from server.models import AgendaItem, Attendee, Child, Chunk, Event, Meeting, Provision, Recording, Target
    from server.models import SpeakerEdit, TranscriptSegment, User

    s = copy.deepcopy(script or SCRIPT)

    def rid(short):
        return None if short is None else f"{prefix}-{short}"

    def day(text):
        return datetime.date.fromisoformat(text) if text else None

    def moment(text):
        return datetime.datetime.fromisoformat(text) if text else None

    with app.app_context():
        user = db.session.execute(db.select(User).where(User.email == email)).scalar_one()
        c = s["child"]
        child = Child(id=rid(c["id"])[:32], user_id=user.id, name=c["name"], school=c["school"],
                      jurisdiction=c["jurisdiction"], plan_type=c["plan_type"], plan_date=day(c.get("plan_date")))
        db.session.add(child)
        for i, p in enumerate(s["provision"]):
            db.session.add(Provision(id=rid(p["id"]), child_id=child.id, position=i, text=p["text"]))
        for i, t in enumerate(s["targets"]):
            db.session.add(Target(id=rid(t["id"]), child_id=child.id, position=i, text=t["text"], status=t["status"],
                                  evidence=t.get("evidence")))
        m = s["meeting"]
        meeting = Meeting(
            id=rid(m["id"])[:32], child_id=child.id, kind=m["kind"], starts_at=moment(m["starts_at"]),
            started_at=moment(m.get("started_at")), ended_at=moment(m.get("ended_at")), timezone=m["timezone"],
            venue=m.get("venue"), chair=m.get("chair"), plan_date=day(m.get("plan_date")),
            consent_status=m.get("consent_status"), next_review=day(m.get("next_review")), status=m.get("status", "ended"),
        )
        db.session.add(meeting)
        db.session.flush()
        for i, a in enumerate(s["attendees"]):
            db.session.add(Attendee(id=rid(a["id"]), meeting_id=meeting.id, position=i, name=a["name"], role=a["role"],
                                    organisation=a.get("organisation"), attendance=a["attendance"], email=a.get("email")))
        for i, item in enumerate(s["agenda"]):
            db.session.add(AgendaItem(id=rid(item["id"]), meeting_id=meeting.id, position=i, title=item["title"],
                                      parked=item.get("parked", False), provision_id=rid(item.get("provision_id"))))
        db.session.flush()
        refs = ("attendee_id", "by", "owner", "agenda_item_id", "target_id")
        for e in s["events"]:
            payload = {k: (rid(v) if k in refs else v) for k, v in e["payload"].items()}
            event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{prefix}:{e['id']}"))
            db.session.add(Event(id=event_id, meeting_id=meeting.id, kind=e["kind"], at_ms=e["at_ms"], payload=payload,
                                 author_id=user.id, deleted=e.get("deleted", False), device_id="scripted"))
        r = s["recording"]
        recording_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{prefix}:{r['id']}"))
        recording = Recording(id=recording_id, meeting_id=meeting.id, mime=r["mime"], at_ms=r["at_ms"],
                              status="finished")
        db.session.add(recording)
        db.session.flush()
        if audio_seconds:
            folder = audio_store.recording_dir(recording)
            folder.mkdir(parents=True, exist_ok=True)
            data = wav_bytes(audio_seconds)
            half = len(data) // 2
            for seq, part in enumerate((data[:half], data[half:])):
                path = folder / f"{seq:06d}.chunk"
                path.write_bytes(part)
                db.session.add(Chunk(recording_id=recording.id, seq=seq, size=len(part),
                                     sha256=hashlib.sha256(part).hexdigest(), path=str(path)))
        for seg in s["segments"]:
            db.session.add(TranscriptSegment(
                meeting_id=meeting.id, recording_id=recording.id, start_ms=seg["start_ms"], end_ms=seg["end_ms"],
                text=seg["text"],
            ))
            # the script says who spoke each line: as if the parent had checked every line
            if seg.get("speaker_id"):
                db.session.add(SpeakerEdit(meeting_id=meeting.id, start_ms=seg["start_ms"], end_ms=seg["end_ms"],
                                           attendee_id=rid(seg["speaker_id"])))
        db.session.commit()
        return meeting.id


US_ROLES = {"parent": "parent", "senco": "sped_teacher", "head_teacher": "principal", "la_sen_officer": "lea_rep",
            "educational_psychologist": "evaluator"}


MARKERS = ("note", "agreed", "refused", "action", "question", "quote", "bookmark", "target")


def variant(name, capture="markers"):
    """The scripted meeting as another template sees it: england_default, england_ehcp_annual_review, us_iep
    or us_default; captured with speaker and agenda taps and markers ("markers"), taps but no markers ("taps"),
    or the recording alone: no taps at all and no speakers but what the parent corrected ("recording").
    """
    s = copy.deepcopy(SCRIPT)
    if capture in ("taps", "recording"):
        s["events"] = [e for e in s["events"] if e["kind"] not in MARKERS]
    if capture == "recording":
        s["events"] = [e for e in s["events"] if e["kind"] == "consent"]
        for seg in s["segments"]:
            seg["speaker_id"] = None
    us_default = name == "us_default"
    if us_default:
        name = "us_iep"
    if name == "england_default":
        s["meeting"]["kind"] = "sen_support_review"
        s["child"]["plan_type"] = "sen_support"
    elif name == "us_iep":
        s["child"].update(jurisdiction="us", plan_type="iep", school="Oak Elementary")
        s["meeting"].update(kind="iep_annual", timezone="America/New_York", starts_at="2026-12-01T14:30:00+00:00",
                            started_at="2026-12-01T14:32:00+00:00", ended_at="2026-12-01T15:00:00+00:00",
                            venue="Oak Elementary, room 2", chair="Ms Priya Khan (special education teacher)")
        for a in s["attendees"]:
            a["role"] = US_ROLES[a["role"]]
            if a.get("organisation") == "Northshire Council":
                a["organisation"] = "Northshire School District"
    if us_default:
        s["meeting"]["kind"] = "complaint_meeting"
    return s
