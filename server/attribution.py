"""Who said what, worked out once and read by every page, export and the minutes.

The rule itself is :func:`transcribe.utterances.utterances` (words, taps,
voices and edits in; utterances out). This module feeds it from the
database and stores its answer as ``utterance`` rows, stamped on the meeting
with a key made from everything it was worked out from: the words, the
speaker and agenda taps, the voices, the parent's edits and the attendees.
A read whose key differs (a tap synced late, a new window transcribed, an
edit) works it out again; every other read is a plain select. So the
transcript page, the review page, suggestions, minutes, letters and
exports all show the same speaker for the same words.

The parent's corrections are ``speaker_edit`` spans on the timeline, not
flags on rows, so they survive re-transcription and re-cutting.
"""
import hashlib
import re
import time

from . import rules
from .db import db
from .errors import APIError
from .models import Attendee
from .models import Event
from .models import Meeting
from .models import SpeakerEdit
from .models import TranscriptionJob
from .models import TranscriptSegment
from .models import Utterance
from .models import VoiceBlock

# bump when the rule changes, so stored utterances are worked out again
RULE_VERSION = "1"
# while transcribing, new words reach the stored utterances at most this often (seconds)
REFRESH_S = 15
LABEL = "label:"  # speaker keys for names the parent typed (someone not on the list)


def short_role(jurisdiction, role):
    """Return a role's short label: the abbreviation in brackets if it has one ("SENCO")."""
    label = rules.role_label(jurisdiction, role)
    match = re.search(r"\(([^()]{2,12})\)\s*$", label)
    return match.group(1) if match else label


def speaker_names(meeting):
    """Return {attendee id: "Ms Khan (SENCO)"} for the meeting."""
    jurisdiction = meeting.child.jurisdiction
    return {a.id: f"{a.name} ({short_role(jurisdiction, a.role)})" for a in meeting.attendees}


# --- inputs -------------------------------------------------------------


def _taps(meeting):
    events = db.session.execute(
        db.select(Event).where(Event.meeting_id == meeting.id, Event.deleted.is_(False),
                               Event.kind.in_(("speaker", "agenda")))
        .order_by(Event.at_ms, Event.id)
    ).scalars().all()
    speakers, agenda, stamp = [], [], []
    for e in events:
        payload = e.payload or {}
        if e.kind == "speaker" and payload.get("attendee_id"):
            speakers.append((e.at_ms, payload["attendee_id"]))
        elif e.kind == "agenda" and payload.get("agenda_item_id"):
            agenda.append((e.at_ms, payload["agenda_item_id"]))
        else:
            continue
        stamp.append(f"{e.id}:{e.version}:{e.at_ms}")
    return speakers, agenda, stamp


def _edits(meeting):
    rows = db.session.execute(
        db.select(SpeakerEdit).where(SpeakerEdit.meeting_id == meeting.id).order_by(SpeakerEdit.id)
    ).scalars().all()
    return [(r.start_ms, r.end_ms, r.attendee_id or (LABEL + r.label if r.label else None)) for r in rows], \
        [str(r.id) for r in rows]


def _stats(model, meeting):
    count, top = db.session.execute(
        db.select(db.func.count(model.id), db.func.max(model.id)).where(model.meeting_id == meeting.id)
    ).one()
    return f"{count}:{top}"


def _digest(parts):
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


def _inputs(meeting):
    """Return the parent's inputs (speaker taps, agenda taps, edits) and the key's two parts.

    The parent's part (taps, edits, attendees) and the transcription's part
    (words and voices so far): while a transcription is running only the
    second changes, every window.
    """
    speakers, agenda, tap_stamps = _taps(meeting)
    edits, edit_ids = _edits(meeting)
    attendees = sorted(f"{a.id}:{a.name}" for a in meeting.attendees)
    key = (_digest([RULE_VERSION, ",".join(attendees), ",".join(tap_stamps), ",".join(edit_ids)]),
           _digest([_stats(TranscriptSegment, meeting), _stats(VoiceBlock, meeting)]))
    return (speakers, agenda, edits), key


def _words(meeting):
    from transcribe.types import Word

    rows = db.session.execute(
        db.select(TranscriptSegment).where(TranscriptSegment.meeting_id == meeting.id)
        .order_by(TranscriptSegment.start_ms, TranscriptSegment.id)
    ).scalars().all()
    words = []
    for row in rows:
        if row.words:
            words.extend(Word(int(w["start_ms"]), int(w["end_ms"]), str(w["text"]), float(w.get("probability", 1.0)))
                         for w in row.words)
        elif row.text.strip():  # an engine that gave no word timings: the segment is one "word"
            words.append(Word(row.start_ms, row.end_ms, row.text.strip(), 1.0))
    from transcribe.spelling import respell

    from .transcripts import glossary_terms

    return respell(words, [a.name for a in meeting.attendees if a.name] + glossary_terms())


def _voices(meeting):
    """Return the meeting's voice frames (all recordings), or None when there are none."""
    blocks = db.session.execute(
        db.select(VoiceBlock.data).where(VoiceBlock.meeting_id == meeting.id).order_by(VoiceBlock.start_ms)
    ).scalars().all()
    if not blocks:
        return None
    from transcribe.voices import VoiceFrames

    frames = VoiceFrames.concat([VoiceFrames.from_bytes(b) for b in blocks])
    return frames if len(frames) else None


# --- the stored answer --------------------------------------------------


def _stored(meeting):
    return db.session.execute(
        db.select(Utterance).where(Utterance.meeting_id == meeting.id).order_by(Utterance.seq)
    ).scalars().all()


def utterances(meeting):
    """Return the meeting's Utterance rows, worked out again first if anything they depend on changed.

    A change the parent made (a tap synced, an edit) is worked out at once.
    While a transcription is still running, new words alone are worked in at
    most every ``REFRESH_S`` seconds: an hour's attribution takes a second or
    two, and a page polling during transcription would otherwise redo it
    for every window, taking the cores from the transcription itself.
    """
    inputs, (parent, progress) = _inputs(meeting)
    stored = (meeting.attribution_key or "").split(":")
    if stored[:2] == [parent, progress]:
        return _stored(meeting)
    if stored[:1] == [parent] and len(stored) == 3 and stored[2].isdigit() \
            and time.time() - int(stored[2]) < REFRESH_S and _transcribing(meeting):
        return _stored(meeting)
    return _recompute(meeting, inputs, f"{parent}:{progress}:{int(time.time())}")


def _transcribing(meeting):
    return db.session.execute(
        db.select(TranscriptionJob.id).where(TranscriptionJob.meeting_id == meeting.id,
                                             TranscriptionJob.status.in_(("queued", "running")))
    ).first() is not None


def _recompute(meeting, inputs, current):
    from sqlalchemy.exc import IntegrityError

    from transcribe.utterances import utterances as work_out

    speakers, agenda, edits = inputs
    found = work_out(_words(meeting), speakers, voices=_voices(meeting), edits=edits, agenda=agenda)
    known = {a.id for a in meeting.attendees}
    rows = []
    for seq, u in enumerate(found):
        speaker, label = u.speaker, None
        if isinstance(speaker, str) and speaker.startswith(LABEL):
            speaker, label = None, speaker[len(LABEL):]
        if speaker is not None and speaker not in known:
            speaker = None
        rows.append(Utterance(
            meeting_id=meeting.id, seq=seq, start_ms=u.start_ms, end_ms=u.end_ms, text=u.text,
            words=u.to_dict()["words"], speaker_id=speaker, label=label, how=u.how,
            confidence=u.confidence, voice=u.voice, agenda_item_id=u.agenda_item,
            check_speaker_id=u.check_speaker if u.check_speaker in known else None, unsure=list(u.unsure),
        ))
    try:
        db.session.execute(db.delete(Utterance).where(Utterance.meeting_id == meeting.id))
        db.session.add_all(rows)
        db.session.execute(db.update(Meeting).where(Meeting.id == meeting.id).values(attribution_key=current))
        db.session.commit()
    except IntegrityError:
        # another request stored the same answer meanwhile: read theirs
        db.session.rollback()
        return _stored(meeting)
    db.session.refresh(meeting)
    return rows


def _recording_at(recordings, ms):
    """The recording that holds ``ms``: the last one to start at or before it."""
    found = None
    for r in recordings:
        if (r.at_ms or 0) <= ms:
            found = r
    return found.id if found is not None else (recordings[0].id if recordings else None)


def rows(meeting):
    """Return the utterances as the API shows them (plain dicts, speaker names resolved)."""
    names = speaker_names(meeting)
    recordings = sorted(meeting.recordings, key=lambda r: (r.at_ms or 0, r.created_at))
    out = []
    for u in utterances(meeting):
        words = u.words or []
        out.append({
            "id": u.id,
            "start_ms": u.start_ms,
            "end_ms": u.end_ms,
            "text": u.text,
            "speaker": u.speaker_id,
            "speaker_name": u.label or names.get(u.speaker_id),
            "how": u.how,
            "confidence": u.confidence,
            "voice": u.voice,
            "agenda_item": u.agenda_item_id,
            "check": ({"speaker": u.check_speaker_id, "speaker_name": names.get(u.check_speaker_id)}
                      if u.check_speaker_id else None),
            "unsure": [{"index": i, "text": words[i]["text"], "start_ms": words[i]["start_ms"],
                        "end_ms": words[i]["end_ms"]} for i in (u.unsure or []) if i < len(words)],
            "words": words,
            "recording_id": _recording_at(recordings, u.start_ms),
        })
    return out


# --- markers ------------------------------------------------------------

# what a marker's words usually contain, by the suggestion rules' kinds
_MARKER_FITS = {"refused": ("refusal",), "agreed": ("commitment",), "action": ("commitment", "date")}


def marker_segment(segments, event, jurisdiction):
    """Return the utterance a marker points at, from a list of utterance-like objects.

    The parent may have pinned it (``payload.utterance_ms``, set on the
    review page); otherwise :func:`transcribe.utterances.marker_target`
    picks the words being said, or just said, when the marker was tapped,
    preferring words that fit the marker (a refusal phrase for "Refused").
    """
    from transcribe.utterances import marker_target

    from .minutes import suggestions

    if not segments:
        return None
    pinned = (event.payload or {}).get("utterance_ms")
    if isinstance(pinned, int) and not isinstance(pinned, bool):
        inside = [s for s in segments if s.start_ms <= pinned <= s.end_ms]
        if inside:
            return inside[0]
    fits = _MARKER_FITS.get(event.kind, ())

    def prefer(u):
        if not fits:
            return 0.0
        return 1.0 if any(rule["kind"] in fits for rule, _ in suggestions.match(u.text, jurisdiction)) else 0.0

    i = marker_target(segments, event.at_ms, prefer)
    return segments[i] if i is not None else None


_SENTENCE_END = (".", "?", "!")


def quote(segment, at_ms):
    """Return the words a marker at ``at_ms`` most likely marks: the sentence said just before the tap.

    A short utterance is quoted whole; in a long one, the last sentence to
    end at least a second before the tap (a thumb lands after the words),
    or the first sentence when the tap came early.
    """
    words = list(segment.words or ())
    if len(words) <= 25:
        return segment.text
    sentences, current = [], []
    for w in words:
        current.append(w)
        if str(w["text"]).rstrip().endswith(_SENTENCE_END):
            sentences.append(current)
            current = []
    if current:
        sentences.append(current)
    chosen = sentences[0]
    for sentence in sentences:
        if sentence[-1]["end_ms"] <= at_ms - 1000:
            chosen = sentence
    return " ".join(str(w["text"]).strip() for w in chosen)


# --- the parent's corrections ---------------------------------------------


def edit(meeting, utterance_id, data):
    """Say who spoke an utterance (or every utterance of that speaker or voice); commit.

    Args:
        data: ``{"speaker_id": attendee id}`` to reassign, ``{"speaker_id":
            null}`` to go back to the taps and voices, or ``{"speaker_label":
            "Mrs Khan"}`` to name someone not on the list; ``"all": true``
            applies it to every utterance with the same speaker, or, for an
            unidentified voice, every utterance of that voice ("Who is this?").

    Returns:
        The changed utterances, as :func:`rows` shows them.
    """
    current = {r["id"]: r for r in rows(meeting)}
    if utterance_id not in current:
        raise APIError(404, "not_found", "No such transcript segment in this meeting.")
    if ("speaker_id" in data) == ("speaker_label" in data):
        raise APIError(422, "invalid", "Send either 'speaker_id' (reassign) or 'speaker_label' (rename).",
                       {"speaker_id": "one of speaker_id or speaker_label"})
    if "all" in data and not isinstance(data["all"], bool):
        raise APIError(422, "invalid", "'all' must be true or false.", {"all": "not a boolean"})
    this = current[utterance_id]
    if data.get("all"):
        if this["speaker"] or this["speaker_name"]:
            targets = [r for r in current.values()
                       if r["speaker"] == this["speaker"] and r["speaker_name"] == this["speaker_name"]]
        elif this["voice"] is not None:
            targets = [r for r in current.values()
                       if r["voice"] == this["voice"] and not r["speaker"] and not r["speaker_name"]]
        else:
            targets = [this]
    else:
        targets = [this]
    attendee_id, label = None, None
    if "speaker_id" in data:
        attendee_id = data["speaker_id"]
        if attendee_id is not None:
            attendee = db.session.get(Attendee, attendee_id) if isinstance(attendee_id, str) else None
            if attendee is None or attendee.meeting_id != meeting.id:
                raise APIError(422, "invalid", "That speaker is not an attendee of this meeting.",
                               {"speaker_id": "not an attendee of this meeting"})
    else:
        label = data["speaker_label"]
        if label is not None and not isinstance(label, str):
            raise APIError(422, "invalid", "'speaker_label' must be text.", {"speaker_label": "not text"})
        label = (label or "").strip()
        if len(label) > 120:
            raise APIError(422, "invalid", "A speaker's name is at most 120 characters.",
                           {"speaker_label": "too long"})
    spans = [(r["start_ms"], r["end_ms"]) for r in targets]
    # an edit replaces the earlier edits it covers
    for start, end in spans:
        db.session.execute(db.delete(SpeakerEdit).where(
            SpeakerEdit.meeting_id == meeting.id, SpeakerEdit.start_ms < end + 1, SpeakerEdit.end_ms > start - 1,
        ))
    back_to_taps = "speaker_id" in data and attendee_id is None or "speaker_label" in data and not label
    if not back_to_taps:
        for start, end in spans:
            # a little wider than the words, so small shifts in re-transcribed timings stay inside
            db.session.add(SpeakerEdit(meeting_id=meeting.id, start_ms=max(0, start - 150), end_ms=end + 150,
                                       attendee_id=attendee_id, label=label or None))
    db.session.commit()
    after = rows(meeting)
    return [r for r in after if any(r["start_ms"] < end and r["end_ms"] > start for start, end in spans)]
