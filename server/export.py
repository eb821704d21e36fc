"""Everything an account holds, as one zip file: the parent's copy of their data.

data.json has the children, their plans and meetings (bundle, timeline,
transcript, minutes and letter versions, sends); audio/ holds each recording's chunks
joined in order (one playable file per recording); minutes/ the latest minutes
of each meeting as Markdown.
"""
import json
import tempfile
import zipfile
from datetime import datetime
from datetime import timezone

from . import attribution
from . import audio_store
from . import prep
from . import timeline
from .db import db
from .models import Child
from .models import SpeakerEdit

EXTENSIONS = {"audio/webm": "webm", "audio/mp4": "m4a", "video/mp4": "mp4", "video/webm": "webm",
              "audio/ogg": "ogg", "audio/mpeg": "mp3", "audio/wav": "wav", "audio/x-wav": "wav",
              "audio/flac": "flac", "audio/aac": "aac", "audio/x-m4a": "m4a", "audio/m4a": "m4a"}


def _meeting(meeting):
    out = prep.bundle(meeting)
    out["events"] = [timeline.event_dict(e) for e in timeline.events(meeting)]
    out["recordings"] = [audio_store.recording_dict(r) for r in meeting.recordings]
    # the transcript as every page shows it: utterances with their speakers and how each was decided
    out["transcript"] = [
        {k: u[k] for k in ("recording_id", "start_ms", "end_ms", "text", "speaker", "speaker_name", "how",
                           "confidence", "voice", "agenda_item", "unsure", "words")}
        for u in attribution.rows(meeting)
    ]
    out["speaker_edits"] = [
        {"start_ms": e.start_ms, "end_ms": e.end_ms, "attendee_id": e.attendee_id, "label": e.label}
        for e in db.session.execute(
            db.select(SpeakerEdit).where(SpeakerEdit.meeting_id == meeting.id).order_by(SpeakerEdit.start_ms)
        ).scalars()
    ]
    out["minutes"] = [
        {"version": m.version, "source": m.source, "created_at": prep.iso(m.created_at), "markdown": m.markdown}
        for m in meeting.minutes
    ]
    out["letters"] = [
        {"letter": v.letter_id, "version": v.version, "source": v.source, "created_at": prep.iso(v.created_at),
         "subject": v.subject, "markdown": v.markdown}
        for v in meeting.letters
    ]
    out["sent"] = [
        {"channel": r.channel, "kind": r.kind, "recipients": r.recipients, "subject": r.subject,
         "message_id": r.message_id, "sha256": r.sha256, "sent_at": prep.iso(r.sent_at)}
        for r in meeting.sent
    ]
    return out


def build(user):
    """Write the account's zip to a temporary file and return it (open, at position 0)."""
    children = db.session.execute(
        db.select(Child).where(Child.user_id == user.id).order_by(Child.created_at)
    ).scalars().all()
    data = {
        "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "account": {"email": user.email, "display_name": user.display_name, "signature": user.signature,
                    "created_at": prep.iso(user.created_at)},
        "children": [],
    }
    out = tempfile.TemporaryFile()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for child in children:
            entry = prep.child_dict(child)
            entry["provision"] = [prep.provision_dict(p) for p in child.provision]
            entry["targets"] = [prep.target_dict(t) for t in child.targets]
            entry["meetings"] = [_meeting(m) for m in child.meetings]
            data["children"].append(entry)
            for meeting in child.meetings:
                if meeting.minutes:
                    zf.writestr(f"minutes/{meeting.id}-v{meeting.minutes[-1].version}.md", meeting.minutes[-1].markdown)
                for recording in meeting.recordings:
                    ext = EXTENSIONS.get(audio_store.base_mime(recording.mime), "bin")
                    with zf.open(f"audio/{meeting.id}/{recording.id}.{ext}", "w") as target:
                        for path in audio_store.chunk_paths(recording):
                            target.write(path.read_bytes())
        zf.writestr("data.json", json.dumps(data, indent=2, ensure_ascii=False))
        zf.writestr(
            "README.txt",
            "Everything Minuted held for this account when it was exported.\n"
            "data.json: children, plans, meetings, timelines, transcripts, minutes, letters and what was sent.\n"
            "audio/: each recording as one file (its chunks joined in order).\n"
            "minutes/: the latest minutes of each meeting, in Markdown.\n",
        )
    out.seek(0)
    return out
