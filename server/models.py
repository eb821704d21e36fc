"""The data model: the whole design, so the schema is designed once.

A meeting is a timeline of events (DESIGN.md). Preparation (attendees, agenda,
the child's plan: provision and targets) is ordinary rows; everything captured
in the room is an Event with a client UUID; audio is Recording → Chunk rows;
transcription writes TranscriptSegment rows through a TranscriptionJob; the
minutes are MinutesVersion rows and every send is a SentRecord.
"""
from __future__ import annotations

import uuid
from datetime import date
from datetime import datetime
from typing import Any
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from .db import UTCDateTime
from .db import db
from .db import now_utc

JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def new_id():
    """Return a new random string id (ids are strings in the API)."""
    return uuid.uuid4().hex


class User(db.Model):
    __tablename__ = "user"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    display_name: Mapped[Optional[str]] = mapped_column(sa.String(120))
    # how the parent signs off emails and letters (a few lines: name, "Sam's mum", a phone number)
    signature: Mapped[Optional[str]] = mapped_column(sa.String(1000))
    # bumped by "sign out everywhere" and a password change: older session cookies stop working
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # a partner who joined one meeting with a code: no password, no children of their own
    guest: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # invites families and sees the list of accounts (/admin/families); the account made at first-run setup is one
    is_admin: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")
    children: Mapped[list[Child]] = relationship(back_populates="user", cascade="all, delete-orphan")


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[Optional[str]] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    last_used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    expires_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)  # None: until revoked

    user: Mapped[User] = relationship(back_populates="tokens")


class Invite(db.Model):
    """A link an admin made for one family to create one account; only the token's SHA-256 is stored."""

    __tablename__ = "invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    email: Mapped[Optional[str]] = mapped_column(sa.String(254))  # None: whoever has the link chooses
    note: Mapped[Optional[str]] = mapped_column(sa.String(120))  # the admin's label: the family's name
    # SET NULL: an invite outlives the accounts on either end of it, so the list still says what happened
    created_by: Mapped[Optional[str]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    used_by: Mapped[Optional[str]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    creator: Mapped[Optional[User]] = relationship(foreign_keys=[created_by])
    user: Mapped[Optional[User]] = relationship(foreign_keys=[used_by])


class LoginAttempt(db.Model):
    """A failed sign-in or join-code try, by key (an email or an address): limits hold across processes."""

    __tablename__ = "login_attempt"
    __table_args__ = (sa.Index("ix_login_attempt_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(300))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class Child(db.Model):
    __tablename__ = "child"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    school: Mapped[Optional[str]] = mapped_column(sa.String(200))
    year_group: Mapped[Optional[str]] = mapped_column(sa.String(40))
    plan_type: Mapped[str] = mapped_column(sa.String(20), default="sen_support")
    jurisdiction: Mapped[str] = mapped_column(sa.String(20), default="england")
    plan_date: Mapped[Optional[date]] = mapped_column(sa.Date)
    date_of_birth: Mapped[Optional[date]] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    user: Mapped[User] = relationship(back_populates="children")
    # ordered by position: the parent's order is the plan's order
    meetings: Mapped[list[Meeting]] = relationship(
        back_populates="child", cascade="all, delete-orphan", order_by="Meeting.starts_at"
    )
    provision: Mapped[list[Provision]] = relationship(
        back_populates="child", cascade="all, delete-orphan", order_by="Provision.position"
    )
    targets: Mapped[list[Target]] = relationship(
        back_populates="child", cascade="all, delete-orphan", order_by="Target.position"
    )


class Meeting(db.Model):
    __tablename__ = "meeting"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    child_id: Mapped[str] = mapped_column(sa.ForeignKey("child.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[Optional[str]] = mapped_column(sa.String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/London")
    venue: Mapped[Optional[str]] = mapped_column(sa.String(200))
    online: Mapped[bool] = mapped_column(default=False)
    plan_date: Mapped[Optional[date]] = mapped_column(sa.Date)
    convener: Mapped[Optional[str]] = mapped_column(sa.String(200))
    chair: Mapped[Optional[str]] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(20), default="planned")  # planned | live | ended
    started_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)  # wall time of at_ms = 0
    ended_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    consent_status: Mapped[Optional[str]] = mapped_column(sa.String(20))  # all | refused | not_asked
    # recordings the parent deleted: [{"at_ms": where it started on the timeline, "deleted_at": ISO time}]
    recordings_deleted: Mapped[Optional[list]] = mapped_column(JSON)
    # what the stored utterances were worked out from (server/attribution.py); another value = stale
    attribution_key: Mapped[Optional[str]] = mapped_column(sa.String(64))
    next_review: Mapped[Optional[date]] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    child: Mapped[Child] = relationship(back_populates="meetings")
    attendees: Mapped[list[Attendee]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="Attendee.position"
    )
    agenda: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="AgendaItem.position"
    )
    events: Mapped[list[Event]] = relationship(back_populates="meeting", cascade="all, delete-orphan")
    recordings: Mapped[list[Recording]] = relationship(back_populates="meeting", cascade="all, delete-orphan")
    # the database cascades these (a join code's memberships go with it): the ORM lets it
    members: Mapped[list[MeetingMember]] = relationship(back_populates="meeting", cascade="all, delete-orphan",
                                                        passive_deletes=True)
    join_codes: Mapped[list[JoinCode]] = relationship(back_populates="meeting", cascade="all, delete-orphan",
                                                      passive_deletes=True)
    segments: Mapped[list[TranscriptSegment]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="TranscriptSegment.start_ms"
    )
    jobs: Mapped[list[TranscriptionJob]] = relationship(back_populates="meeting", cascade="all, delete-orphan")
    minutes: Mapped[list[MinutesVersion]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="MinutesVersion.version"
    )
    sent: Mapped[list[SentRecord]] = relationship(back_populates="meeting", cascade="all, delete-orphan")
    letters: Mapped[list[LetterVersion]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="LetterVersion.version"
    )

    @property
    def owner_id(self):
        return self.child.user_id


class Attendee(db.Model):
    __tablename__ = "attendee"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    meeting_id: Mapped[str] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[str] = mapped_column(sa.String(60))
    organisation: Mapped[Optional[str]] = mapped_column(sa.String(200))
    email: Mapped[Optional[str]] = mapped_column(sa.String(254))
    # expected | present | remote | apologies | absent | excused_in_writing
    attendance: Mapped[str] = mapped_column(sa.String(20), default="expected")
    report_submitted: Mapped[Optional[date]] = mapped_column(sa.Date)
    # when they joined and left, on the meeting timeline (ms); None = the whole meeting
    arrived_ms: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    left_ms: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    meeting: Mapped[Meeting] = relationship(back_populates="attendees")


class AgendaItem(db.Model):
    """One ask on the parent's prioritised agenda (position 0 = top priority), or a parked AOB item."""

    __tablename__ = "agenda_item"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    meeting_id: Mapped[str] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(300))
    detail: Mapped[Optional[str]] = mapped_column(sa.Text)
    outcome_sought: Mapped[Optional[str]] = mapped_column(sa.Text)
    parked: Mapped[bool] = mapped_column(default=False)  # "park for AOB"
    provision_id: Mapped[Optional[str]] = mapped_column(sa.ForeignKey("provision.id", ondelete="SET NULL"))
    target_id: Mapped[Optional[str]] = mapped_column(sa.ForeignKey("target.id", ondelete="SET NULL"))
    # open | agreed | proposed | refused | parked | not_reached (set from the meeting)
    outcome: Mapped[Optional[str]] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    meeting: Mapped[Meeting] = relationship(back_populates="agenda")
    provision: Mapped[Optional[Provision]] = relationship()
    target: Mapped[Optional[Target]] = relationship()


class Provision(db.Model):
    """A provision line in the child's plan (EHCP Section F / IEP service)."""

    __tablename__ = "provision"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    child_id: Mapped[str] = mapped_column(sa.ForeignKey("child.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    section: Mapped[Optional[str]] = mapped_column(sa.String(20))  # F, G, H1, H2, service…
    text: Mapped[str] = mapped_column(sa.Text)  # the wording as it stands in the plan
    what: Mapped[Optional[str]] = mapped_column(sa.String(300))
    who: Mapped[Optional[str]] = mapped_column(sa.String(200))
    how_much: Mapped[Optional[str]] = mapped_column(sa.String(120))
    how_often: Mapped[Optional[str]] = mapped_column(sa.String(120))
    starts: Mapped[Optional[str]] = mapped_column(sa.String(120))
    delivered: Mapped[Optional[str]] = mapped_column(sa.String(20))  # yes | partly | no | unknown
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    child: Mapped[Child] = relationship(back_populates="provision")


class Target(db.Model):
    """A SMART target / outcome (EHCP Section E / IEP goal) with its status and evidence."""

    __tablename__ = "target"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    child_id: Mapped[str] = mapped_column(sa.ForeignKey("child.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(sa.Text)
    # current | working_towards | achieved | obsolete
    status: Mapped[str] = mapped_column(sa.String(20), default="current")
    evidence: Mapped[Optional[str]] = mapped_column(sa.Text)
    baseline: Mapped[Optional[str]] = mapped_column(sa.Text)
    measured_by: Mapped[Optional[str]] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    child: Mapped[Child] = relationship(back_populates="targets")


class MeetingMember(db.Model):
    """Another account let into one meeting (a partner taking notes)."""

    __tablename__ = "meeting_member"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[str] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(20), default="partner")
    # the code they joined with; revoking it removes this membership
    join_code_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("join_code.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # when access ends (None: when the meeting ends or the code is revoked), and any more the parent granted
    expires_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    grants: Mapped[Optional[str]] = mapped_column(sa.String(200))

    meeting: Mapped[Meeting] = relationship(back_populates="members")


class JoinCode(db.Model):
    """A one-meeting join code (QR) for a partner's phone; only its hash is stored."""

    __tablename__ = "join_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[str] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by: Mapped[str] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    meeting: Mapped[Meeting] = relationship(back_populates="join_codes")


class Event(db.Model):
    """One thing captured on the meeting timeline, upserted by its client UUID."""

    __tablename__ = "event"
    __table_args__ = (sa.Index("ix_event_meeting_at", "meeting_id", "at_ms"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)  # made on the device
    meeting_id: Mapped[str] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    at_ms: Mapped[int] = mapped_column(sa.BigInteger)
    wall_time: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    device_id: Mapped[Optional[str]] = mapped_column(sa.String(64))
    author_id: Mapped[Optional[str]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(default=1)
    deleted: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    meeting: Mapped[Meeting] = relationship(back_populates="events")
    revisions: Mapped[list[EventRevision]] = relationship(
        cascade="all, delete-orphan", order_by="EventRevision.version"
    )


class EventRevision(db.Model):
    """An earlier version of an event: edits and deletions are kept."""

    __tablename__ = "event_revision"
    __table_args__ = (sa.UniqueConstraint("event_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(20))
    at_ms: Mapped[int] = mapped_column(sa.BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    deleted: Mapped[bool] = mapped_column(default=False)
    device_id: Mapped[Optional[str]] = mapped_column(sa.String(64))
    author_id: Mapped[Optional[str]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class Recording(db.Model):
    """Audio recorded on a device (or uploaded), placed on the meeting timeline at at_ms."""

    __tablename__ = "recording"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)  # made on the device
    meeting_id: Mapped[str] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    mime: Mapped[str] = mapped_column(sa.String(100))
    at_ms: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    device_id: Mapped[Optional[str]] = mapped_column(sa.String(64))
    source: Mapped[str] = mapped_column(sa.String(20), default="device")  # device | upload
    filename: Mapped[Optional[str]] = mapped_column(sa.String(255))
    status: Mapped[str] = mapped_column(sa.String(20), default="recording")  # recording | finished
    duration_ms: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    finished_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    meeting: Mapped[Meeting] = relationship(back_populates="recordings")
    chunks: Mapped[list[Chunk]] = relationship(
        back_populates="recording", cascade="all, delete-orphan", order_by="Chunk.seq"
    )


class Chunk(db.Model):
    """One stored audio chunk; the row is written only after the file is durably in place."""

    __tablename__ = "chunk"
    __table_args__ = (sa.UniqueConstraint("recording_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[str] = mapped_column(sa.ForeignKey("recording.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int]
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    # where the audio store keeps the bytes, relative to its root: "<meeting>/<recording>/<seq>.chunk"
    # (never an absolute path: any process on any machine finds it through server/audio_store.py)
    key: Mapped[str] = mapped_column(sa.String(500), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    recording: Mapped[Recording] = relationship(back_populates="chunks")

    @property
    def path(self):
        """The chunk's bytes as a file on this machine (for a shared store, a local copy made on first use)."""
        from . import audio_store

        return audio_store.chunk_file(self)

    @path.setter
    def path(self, value):
        """Set the key from a file already placed in the local audio folder (how tests and tools make chunks)."""
        from . import audio_store

        self.key = audio_store.key_of_path(value)


class AudioBlob(db.Model):
    """Part of a chunk's bytes, when audio is kept in the database (MINUTED_STORAGE=database).

    Parts of at most 1 MiB each keep rows small whatever the upload's size; they
    go with their chunk (ON DELETE CASCADE), in the chunk's own transaction.
    """

    __tablename__ = "audio_blob"

    key: Mapped[str] = mapped_column(sa.ForeignKey("chunk.key", ondelete="CASCADE"), primary_key=True)
    part: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)


class TranscriptionJob(db.Model):
    """A transcription job's state, which the UI polls."""

    __tablename__ = "transcription_job"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    meeting_id: Mapped[str] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    recording_id: Mapped[Optional[str]] = mapped_column(sa.ForeignKey("recording.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(sa.String(20), default="queued")  # queued | running | done | failed
    progress: Mapped[float] = mapped_column(default=0.0)
    processed_ms: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    total_ms: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[Optional[str]] = mapped_column(sa.Text)
    state: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)  # incremental window state
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    meeting: Mapped[Meeting] = relationship(back_populates="jobs")


class TranscriptSegment(db.Model):
    """A timed piece of transcript on the meeting timeline, as the engine gave it (words and their times).

    Who said it is not stored here: the words are grouped into Utterance
    rows by server/attribution.py.
    """

    __tablename__ = "transcript_segment"
    __table_args__ = (sa.UniqueConstraint("recording_id", "start_ms"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[str] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    recording_id: Mapped[str] = mapped_column(sa.ForeignKey("recording.id", ondelete="CASCADE"), index=True)
    start_ms: Mapped[int] = mapped_column(sa.BigInteger)  # on the meeting timeline
    end_ms: Mapped[int] = mapped_column(sa.BigInteger)
    text: Mapped[str] = mapped_column(sa.Text)
    words: Mapped[Optional[list[Any]]] = mapped_column(JSON)

    meeting: Mapped[Meeting] = relationship(back_populates="segments")


class VoiceBlock(db.Model):
    """Voice embeddings for a stretch of a recording (transcribe.voices.VoiceFrames as bytes)."""

    __tablename__ = "voice_block"
    __table_args__ = (sa.UniqueConstraint("recording_id", "start_ms"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[str] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    recording_id: Mapped[str] = mapped_column(sa.ForeignKey("recording.id", ondelete="CASCADE"), index=True)
    start_ms: Mapped[int] = mapped_column(sa.BigInteger)  # on the meeting timeline
    end_ms: Mapped[int] = mapped_column(sa.BigInteger)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)


class SpeakerEdit(db.Model):
    """The parent's word on who spoke from start_ms to end_ms; it wins over taps and voices."""

    __tablename__ = "speaker_edit"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[str] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    start_ms: Mapped[int] = mapped_column(sa.BigInteger)
    end_ms: Mapped[int] = mapped_column(sa.BigInteger)
    attendee_id: Mapped[Optional[str]] = mapped_column(sa.ForeignKey("attendee.id", ondelete="CASCADE"))
    label: Mapped[Optional[str]] = mapped_column(sa.String(120))  # a name for someone not on the list
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class Utterance(db.Model):
    """Words by one speaker: the one attribution every page, export and the minutes read.

    Worked out by transcribe.utterances from the words, taps, voices and
    edits, and stored with the meeting's ``attribution_key``.
    """

    __tablename__ = "utterance"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[str] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int]
    start_ms: Mapped[int] = mapped_column(sa.BigInteger)
    end_ms: Mapped[int] = mapped_column(sa.BigInteger)
    text: Mapped[str] = mapped_column(sa.Text)
    words: Mapped[list[Any]] = mapped_column(JSON)
    speaker_id: Mapped[Optional[str]] = mapped_column(sa.String(36))
    label: Mapped[Optional[str]] = mapped_column(sa.String(120))
    how: Mapped[str] = mapped_column(sa.String(10))  # tapped | voice | edited | unknown
    confidence: Mapped[Optional[float]] = mapped_column(sa.Float)
    voice: Mapped[Optional[int]]
    agenda_item_id: Mapped[Optional[str]] = mapped_column(sa.String(36))
    check_speaker_id: Mapped[Optional[str]] = mapped_column(sa.String(36))
    unsure: Mapped[list[Any]] = mapped_column(JSON)


class MinutesVersion(db.Model):
    """One saved version of the minutes (a draft or the parent's edit)."""

    __tablename__ = "minutes_version"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[str] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    source: Mapped[str] = mapped_column(sa.String(20), default="draft")  # draft | edit
    markdown: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[Optional[str]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    meeting: Mapped[Meeting] = relationship(back_populates="minutes")


class LetterVersion(db.Model):
    """One saved version of a follow-up letter: the parent's edit, or the words as they were sent."""

    __tablename__ = "letter_version"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "letter_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[str] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    letter_id: Mapped[str] = mapped_column(sa.String(60))
    version: Mapped[int]
    source: Mapped[str] = mapped_column(sa.String(20), default="edit")  # edit | sent
    subject: Mapped[str] = mapped_column(sa.String(300))
    markdown: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[Optional[str]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    meeting: Mapped[Meeting] = relationship(back_populates="letters")


class SentRecord(db.Model):
    """What was sent (or handed off) to the school, when, to whom, and a hash of exactly what."""

    __tablename__ = "sent_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[str] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    minutes_version_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("minutes_version.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(20), default="minutes")  # minutes | letter | agenda
    channel: Mapped[str] = mapped_column(sa.String(20))  # smtp | eml | mailto | share | print | copy
    recipients: Mapped[list[Any]] = mapped_column(JSON, default=list)
    subject: Mapped[Optional[str]] = mapped_column(sa.String(300))
    message_id: Mapped[Optional[str]] = mapped_column(sa.String(300))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    meeting: Mapped[Meeting] = relationship(back_populates="sent")
