"""Transcripts: uploads, the transcript JSON and exports under /api/v1, and the transcript page.

One blueprint with full paths, because it serves both the API (JSON, the one
error shape) and a page for people.
"""
import uuid

from flask import Blueprint
from flask import Response
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from .. import audio_store
from .. import jobs
from .. import openapi
from .. import prep
from .. import recordings
from .. import transcripts
from ..auth import login_required
from ..db import db
from ..errors import APIError
from .api import body
from .api import require_login as api_login

bp = Blueprint("transcripts", __name__)

API = "/api/v1/meetings/<meeting_id>"


@bp.before_request
def require_login():
    """API calls need a session or a token (JSON 401); the page sends people to sign in."""
    if request.path.startswith("/api/"):
        return api_login()
    return login_required(lambda: None)()


# --- API ------------------------------------------------------------------


@bp.post(API + "/uploads")
def upload(meeting_id):
    """Upload a recording made elsewhere (multipart field 'file'; optional 'at_ms'); transcribe it."""
    meeting = prep.get_meeting(meeting_id)
    file = request.files.get("file")
    if file is None:
        raise APIError(400, "bad_request", "Send the recording as a multipart form field named 'file'.",
                       {"file": "missing"})
    at_ms = transcripts.upload_at_ms(request.form.get("at_ms"))
    key = _idempotency_key()
    recording, created = transcripts.store_upload(
        meeting, file, at_ms, None if key is None else transcripts.upload_id(meeting, g.user, key))
    # a retry of a stored upload answers as the first did, with its job as it is now (never a second one)
    job = (None if created else jobs.job_for(recording.id)) or jobs.request_transcription(recording)
    return {"recording_id": recording.id, "job": transcripts.job_dict(job)}, 202


def _idempotency_key():
    """Return the upload's client key (the Idempotency-Key header, or a form field 'idempotency_key'), or None."""
    key = request.headers.get("Idempotency-Key") or request.form.get("idempotency_key") or None
    if key is not None and not (len(key) <= 255 and key.isascii() and key.isprintable() and key.strip()):
        raise APIError(400, "bad_request", "An Idempotency-Key is 1 to 255 printable ASCII characters.",
                       {"idempotency_key": "not a key"})
    return key


@bp.get(API + "/transcript")
def transcript(meeting_id):
    """Return the meeting's transcript: status, progress and attributed segments."""
    return transcripts.transcript(prep.get_meeting(meeting_id))


@bp.patch(API + "/transcript/segments/<int:segment_id>")
def edit_segment(meeting_id, segment_id):
    """Rename or reassign a segment's speaker (or all of that speaker's segments)."""
    meeting = prep.get_meeting(meeting_id)
    return {"segments": _public(transcripts.edit_speaker(meeting, segment_id, body()))}


@bp.post(API + "/transcript/retry")
def retry(meeting_id):
    """Retry failed transcription; it resumes where it stopped."""
    return transcripts.retry(prep.get_meeting(meeting_id)), 202


@bp.get(API + "/transcript.<any(txt, vtt, srt, json):fmt>")
def export(meeting_id, fmt):
    """Download the transcript as plain text, WebVTT, SubRip or JSON, with speaker names."""
    meeting = prep.get_meeting(meeting_id)
    text = transcripts.export(meeting, fmt)
    response = Response(text, mimetype=transcripts.EXPORTS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="transcript-{meeting.id}.{fmt}"'
    return response


def _public(rows):
    return [{k: v for k, v in r.items() if k not in ("recording_id", "words")} for r in rows]


# --- the page ---------------------------------------------------------------


@bp.delete(API + "/recordings/<recording_id>")
def delete_recording(meeting_id, recording_id):
    """Delete one recording: its audio, chunks, transcript and what was drawn from it (the owner only)."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    deleted = recordings.delete(meeting, audio_store.get_recording(meeting, recording_id))
    db.session.commit()
    recordings.purge_files(deleted)
    return "", 204


@bp.post("/meetings/<meeting_id>/recordings/<recording_id>/delete")
def page_delete_recording(meeting_id, recording_id):
    """The transcript page's "Delete this recording" (with its confirmation box ticked)."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    if request.form.get("confirm") != "yes":
        flash("Tick the box to confirm: the recording and its transcript cannot be brought back.", "error")
        return redirect(url_for("transcripts.page", meeting_id=meeting.id))
    try:
        deleted = recordings.delete(meeting, audio_store.get_recording(meeting, recording_id))
    except APIError as e:
        flash(e.message, "error")
        return redirect(url_for("transcripts.page", meeting_id=meeting.id))
    db.session.commit()
    recordings.purge_files(deleted)
    flash("The recording, its transcript and the points drawn from it were deleted. The minutes will say a "
          "recording was deleted.", "info")
    return redirect(url_for("transcripts.page", meeting_id=meeting.id))


@bp.get("/meetings/<meeting_id>/transcript")
def page(meeting_id):
    """Show the transcript: progress, errors with Retry, segments with speakers, exports."""
    meeting = prep.get_meeting(meeting_id)
    return render_template(
        "transcripts/transcript.html",
        meeting=meeting,
        t=transcripts.transcript(meeting, words=True),
        names=transcripts.speaker_names(meeting),
        upload_key=uuid.uuid4().hex,  # one per page: sending the form twice stores one recording
    )


@bp.post("/meetings/<meeting_id>/transcript/retry")
def page_retry(meeting_id):
    """Retry failed transcription from the page."""
    meeting = prep.get_meeting(meeting_id)
    try:
        transcripts.retry(meeting)
        flash("Transcription will start again from where it stopped.", "info")
    except APIError as e:
        flash(e.message, "error")
    return redirect(url_for("transcripts.page", meeting_id=meeting.id))


@bp.post("/meetings/<meeting_id>/transcript/segments/<int:segment_id>")
def page_edit_segment(meeting_id, segment_id):
    """Rename or reassign a speaker from the page."""
    meeting = prep.get_meeting(meeting_id)
    scope = request.form.get("scope") == "all"
    if request.form.get("action") == "rename":
        data = {"speaker_label": request.form.get("speaker_label", ""), "all": scope}
    else:
        data = {"speaker_id": request.form.get("speaker_id") or None, "all": scope}
    try:
        transcripts.edit_speaker(meeting, segment_id, data)
        flash("Speaker updated.", "info")
    except APIError as e:
        flash(e.message, "error")
    return redirect(url_for("transcripts.page", meeting_id=meeting.id) + f"#segment-{segment_id}")


# --- OpenAPI -------------------------------------------------------------------

_SEGMENT = openapi._obj(
    ["id", "start_ms", "end_ms", "text", "speaker", "speaker_name", "agenda_item", "how", "confidence", "voice",
     "check", "unsure"],
    id=openapi.INT, start_ms=openapi.INT, end_ms=openapi.INT, text=openapi.S,
    speaker={"type": ["string", "null"], "description": "attendee id; null = not identified"},
    speaker_name={"type": ["string", "null"], "description": "e.g. 'Ms Khan (SENCO)', or a name the parent typed"},
    agenda_item=openapi.NS,
    how={"enum": ["tapped", "voice", "edited", "unknown"], "description": "how the speaker was decided"},
    confidence={"type": ["number", "null"], "description": "0..1 for a voice match; 1 for taps and edits"},
    voice={"type": ["integer", "null"], "description": "voice number: the same number is the same voice"},
    check={"type": ["object", "null"], "description": "the tapped speaker's voice sounds like someone else",
           "properties": {"speaker": openapi.NS, "speaker_name": openapi.NS}},
    unsure={"type": "array", "description": "numbers, dates and names to check against the recording",
            "items": {"type": "object", "properties": {"index": openapi.INT, "text": openapi.S,
                                                        "start_ms": openapi.INT, "end_ms": openapi.INT}}},
)
_STATUS = {"enum": ["queued", "running", "done", "failed"]}
_JOB = openapi._obj(
    ["id", "status", "progress", "processed_ms", "attempts"],
    id=openapi.S, recording_id=openapi.NS, status=_STATUS, progress={"type": "number"},
    processed_ms=openapi.INT, total_ms={"type": ["integer", "null"]}, attempts=openapi.INT, error=openapi.NS,
)
_M = "/meetings/{meeting_id}"
openapi.extend(
    paths={
        _M + "/uploads": {
            "post": {
                **openapi.op(
                    "Upload a recording (m4a/AAC, mp3, wav, ogg, webm, mp4, flac) and queue its transcription",
                    ok=openapi._obj(["recording_id", "job"], recording_id=openapi.S, job=openapi.ref("TranscriptionJob")),
                    status="202", errors=("400", "401", "404", "409", "413", "415", "422"),
                ),
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": openapi._obj(
                    ["file"], file={"type": "string", "format": "binary"},
                    at_ms={"type": "integer", "description": "where it starts on the meeting timeline (default 0)"},
                    idempotency_key={"type": "string", "maxLength": 255,
                                     "description": "the Idempotency-Key header, as a field"},
                )}}},
                "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                                "description": "the client's key for this upload: the same key again answers "
                                               "with the recording already stored (same file) or 409 (another "
                                               "file), never a second recording"}],
            }
        },
        _M + "/transcript": {
            "get": openapi.op("The transcript: status, progress and attributed segments", ok=openapi.ref("Transcript"))
        },
        _M + "/transcript/segments/{segment_id}": {
            "patch": openapi.op(
                "Rename or reassign a segment's speaker, or all of that speaker's segments",
                body=openapi._obj([], speaker_id=openapi.NS, speaker_label=openapi.NS, all=openapi.BOOL),
                ok=openapi._obj(["segments"], segments={"type": "array", "items": openapi.ref("TranscriptSegment")}),
                errors=openapi.WRITE_ERRORS,
            )
        },
        _M + "/transcript/retry": {
            "post": openapi.op("Retry failed transcription (resumes where it stopped)", ok=openapi.ref("Transcript"),
                               status="202", errors=("401", "404", "409"))
        },
        _M + "/transcript.{fmt}": {
            "get": {
                **openapi.op("Download the transcript (fmt: txt, vtt, srt or json) with speaker names"),
                "responses": {
                    "200": {"description": "OK", "content": {
                        t: {"schema": {"type": "object" if t == "application/json" else "string"}}
                        for t in transcripts.EXPORTS.values()}},
                    "401": {"description": "Error", **openapi._json(openapi.ref("Error"))},
                    "404": {"description": "Error", **openapi._json(openapi.ref("Error"))},
                },
            }
        },
    },
    schemas={
        "TranscriptSegment": _SEGMENT,
        "TranscriptionJob": _JOB,
        "Transcript": openapi._obj(
            ["status", "progress", "segments"],
            status=_STATUS, progress={"type": "number", "minimum": 0, "maximum": 1},
            processed_ms=openapi.INT, total_ms=openapi.INT, error=openapi.NS,
            jobs={"type": "array", "items": openapi.ref("TranscriptionJob")},
            segments={"type": "array", "items": openapi.ref("TranscriptSegment")},
        ),
    },
)


@bp.post("/meetings/<meeting_id>/transcript/upload")
def page_upload(meeting_id):
    """Upload a recording made elsewhere (a voice-memo app) from the page."""
    meeting = prep.get_meeting(meeting_id)
    file = request.files.get("file")
    if file is None or not file.filename:
        flash("Choose a recording to upload.", "error")
        return redirect(url_for("transcripts.page", meeting_id=meeting.id))
    try:
        key = _idempotency_key()
        recording, created = transcripts.store_upload(
            meeting, file, 0, None if key is None else transcripts.upload_id(meeting, g.user, key))
        # the same form sent twice (a double tap, a retry) stores one recording with one job
        if created or jobs.job_for(recording.id) is None:
            jobs.request_transcription(recording)
    except APIError as e:
        flash(e.message, "error")
    else:
        flash("Uploaded. Transcribing now; this page updates as it goes.", "info")
    return redirect(url_for("transcripts.page", meeting_id=meeting.id))
