"""Invites and admins: an admin makes a link (/invite/<token>) with which one family creates one account.

Only the token's SHA-256 is kept, as for API tokens: the link is shown once, to
the admin who made it (and emailed, if they ask). An invite may name the one
address the account will have. It makes one account, within INVITE_DAYS, unless
it is revoked: using it is one UPDATE that only an unused, unrevoked, unexpired
invite matches, so the same link posted twice at once makes one account.

An admin sees invites and the list of accounts, never what a family keeps.
"""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask import url_for
from markupsafe import escape

from . import auth
from .db import db
from .db import now_utc
from .errors import ValidationError
from .minutes.render import clean_text
from .models import Invite
from .models import User

NOTE_MAX = 120


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def check_new(email, note):
    """Return the (email, note) a new invite keeps, None for either left empty; raise ValidationError."""
    from .prep import valid_email  # one address, as stored anywhere else: no comma, display name or CR/LF

    fields = {}
    email = auth.normalise_email(email) or None
    note = clean_text(note or "") or None  # one line, as a display name is kept
    if email is not None:
        if not auth.EMAIL_RE.match(email) or not valid_email(email):
            fields["email"] = "Enter an email address, like name@example.org, or leave it empty."
        elif auth.find_user(email) is not None:
            fields["email"] = "There is already an account with this email."
    if note is not None and len(note) > NOTE_MAX:
        fields["note"] = f"Use at most {NOTE_MAX} characters."
    if fields:
        raise ValidationError(fields)
    return email, note


def create(admin, email=None, note=None):
    """Make an invite from admin, for INVITE_DAYS; return (invite, token) (caller commits). Raises ValidationError."""
    email, note = check_new(email, note)
    token = secrets.token_urlsafe(32)
    now = now_utc()
    invite = Invite(
        token_hash=_hash(token), email=email, note=note, created_by=admin.id, created_at=now,
        expires_at=now + timedelta(days=current_app.config["INVITE_DAYS"]),
    )
    db.session.add(invite)
    db.session.flush()
    return invite, token


def link(token, base_url):
    """Return the invite's link: base_url + /invite/<token>, or only the path when base_url is None."""
    path = url_for("admin.accept_invite", token=token)
    return base_url.rstrip("/") + path if base_url else path


def _usable(now):
    """What an invite that can still make an account matches."""
    return Invite.used_at.is_(None), Invite.revoked_at.is_(None), Invite.expires_at > now


def find(token):
    """Return the invite for token if it can still make an account, else None (unknown, used, revoked, expired)."""
    if not token:
        return None
    return db.session.execute(
        db.select(Invite).where(Invite.token_hash == _hash(token), *_usable(now_utc()))
    ).scalar_one_or_none()


def accept(invite, email, password):
    """Make the invite's account and mark the invite used by it, in the caller's transaction (caller commits).

    The invite's own address wins over email. Returns the new user, or None when the
    invite was used, revoked or expired meanwhile (the caller rolls back). Raises
    ValidationError for the email or password (the caller rolls back: the invite is
    unused again).
    """
    now = now_utc()
    # claimed first, by an UPDATE only a usable invite matches: the same link posted again waits here for this
    # transaction, then matches nothing, so it never makes a second account (nor races this one for the email)
    claimed = db.session.execute(
        db.update(Invite).where(Invite.id == invite.id, *_usable(now)).values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return None
    user = auth.create_user(invite.email or email, password)
    db.session.execute(
        db.update(Invite).where(Invite.id == invite.id).values(used_by=user.id)
        .execution_options(synchronize_session=False)
    )
    return user


def status(invite, now=None):
    """Return what became of an invite: "used", "revoked", "expired" or "pending"."""
    now = now or now_utc()
    if invite.used_at is not None:
        return "used"
    if invite.revoked_at is not None:
        return "revoked"
    if invite.expires_at <= now:
        return "expired"
    return "pending"


def all_invites():
    """Return every invite, newest first."""
    return db.session.execute(
        db.select(Invite).order_by(Invite.created_at.desc(), Invite.id.desc())
    ).scalars().all()


def revoke(invite):
    """Stop an unused invite from working (caller commits); return False when it has made its account already."""
    if invite.used_at is not None:
        return False
    if invite.revoked_at is None:
        invite.revoked_at = now_utc()
    return True


def send_link(invite, url, admin):
    """Email the invite's link to its address, from admin: a short line and the link, nothing else. Raises MailError."""
    from .minutes import mail

    line = ("You are invited to make an account on Minuted, to prepare, record and minute your child's "
            "school meetings. This link makes one account, and works until "
            f"{invite.expires_at.day} {invite.expires_at:%B %Y}:")
    html = f'<p>{escape(line)}</p><p><a href="{escape(url)}">{escape(url)}</a></p>'
    msg = mail.build("Your invitation to Minuted", admin.email, [invite.email], [], f"{line}\n\n{url}\n", html,
                     sender_name=admin.display_name)
    mail.send(msg, admin.email)


# --- admins: who invites families ---

class AdminError(Exception):
    """A change of admins that can't be made: the message says why."""


def admin_count():
    return db.session.execute(
        db.select(db.func.count()).select_from(User).where(User.is_admin, db.not_(User.guest))
    ).scalar()


def set_admin(user, admin):
    """Make user an admin or not (caller commits); return whether that changed anything. Raises AdminError.

    The last admin stays one: someone has to be able to invite families.
    """
    if admin and user.guest:
        raise AdminError("A partner's guest account can't be an admin.")
    if bool(user.is_admin) == admin:
        return False
    if not admin and admin_count() <= 1:
        raise AdminError(f"{user.email} is the only admin. Make another account an admin first "
                         "(minuted user admin EMAIL), so that someone can still invite families.")
    user.is_admin = admin
    return True


def accounts():
    """Return the families' accounts (not partners' guest accounts), oldest first."""
    return db.session.execute(
        db.select(User).where(db.not_(User.guest)).order_by(User.created_at, User.id)
    ).scalars().all()
