"""A partner's phone: one-meeting join codes (QR) and the memberships they grant."""
import base64
import hashlib
import io
import secrets
from datetime import timedelta

import qrcode
import qrcode.image.svg
from flask import g
from flask import url_for

from .db import db
from .db import now_utc
from .errors import APIError
from .models import JoinCode
from .models import MeetingMember
from .models import User

# readable aloud and typeable on a phone: no 0/O, 1/I/L
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
MAX_MINUTES = 24 * 60


def _hash(code):
    return hashlib.sha256(normalise(code).encode()).hexdigest()


def normalise(code):
    return "".join(ch for ch in str(code or "").upper() if ch.isalnum())


def qr_data_url(text):
    """Return an SVG QR code for text as a data: URL (no third party draws it)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def create_code(meeting, minutes=240):
    """Make a join code for meeting; return (row, the code in clear, shown once)."""
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 5 <= minutes <= MAX_MINUTES:
        raise APIError(422, "invalid", "A code lasts from 5 minutes to a day.", {"minutes": "5 to 1440"})
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    row = JoinCode(
        meeting_id=meeting.id, code_hash=_hash(code), created_by=g.user.id,
        expires_at=now_utc() + timedelta(minutes=minutes),
    )
    db.session.add(row)
    db.session.flush()
    return row, code


def code_dict(row, code=None):
    out = {
        "id": row.id,
        "expires_at": row.expires_at.isoformat().replace("+00:00", "Z"),
        "revoked": row.revoked_at is not None,
    }
    if code is not None:
        url = url_for("account.join", code=code, _external=True)
        out.update({"code": f"{code[:5]}-{code[5:]}", "url": url, "qr_svg_data_url": qr_data_url(url)})
    return out


def revoke(meeting, code_id):
    """Revoke a code: nobody can join with it, and whoever joined with it loses access."""
    row = db.session.get(JoinCode, code_id)
    if row is None or row.meeting_id != meeting.id:
        raise APIError(404, "not_found", "No such join code.")
    row.revoked_at = row.revoked_at or now_utc()
    for member in db.session.execute(db.select(MeetingMember).where(MeetingMember.join_code_id == row.id)).scalars():
        db.session.delete(member)


def find_code(code):
    """Return the usable JoinCode for code, or raise a 403 that says why not."""
    row = db.session.execute(db.select(JoinCode).where(JoinCode.code_hash == _hash(code))).scalar_one_or_none()
    if row is None:
        raise APIError(403, "invalid_code", "That code isn't right. Check it with the person who shared it.")
    if row.revoked_at is not None:
        raise APIError(403, "code_revoked", "That code has been turned off by the person who shared it.")
    if row.expires_at <= now_utc():
        raise APIError(403, "code_expired", "That code has expired. Ask for a new one.")
    return row


def join(row, user=None):
    """Let user (or a new guest account) into the code's meeting; return the user."""
    if user is None:
        user = User(
            email=f"guest-{secrets.token_hex(8)}@join.minuted.invalid",
            password_hash="!",  # no password can match: a guest signs in only with the code
            display_name="Partner",
            guest=True,
        )
        db.session.add(user)
        db.session.flush()
    if row.meeting.child.user_id == user.id:
        return user
    member = db.session.execute(
        db.select(MeetingMember).where(MeetingMember.meeting_id == row.meeting_id, MeetingMember.user_id == user.id)
    ).scalar_one_or_none()
    if member is None:
        db.session.add(MeetingMember(meeting_id=row.meeting_id, user_id=user.id, join_code_id=row.id))
    return user
