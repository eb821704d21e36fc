"""Accounts: argon2 passwords, session logins for pages, bearer tokens for the API."""
import functools
from datetime import timedelta
import hashlib
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError
from flask import current_app
from flask import g
from flask import redirect
from flask import request
from flask import session
from flask import url_for

from .db import db
from .db import now_utc
from .errors import APIError
from .errors import ValidationError
from .minutes.render import clean_text
from .models import ApiToken
from .models import User

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 10


def _hasher():
    return current_app.extensions["minuted_hasher"]


def normalise_email(email):
    return (email or "").strip().lower()


def check_new_account(email, password):
    """Validate an email and password for a new account; raise ValidationError."""
    fields = {}
    email = normalise_email(email)
    if not EMAIL_RE.match(email) or len(email) > 254:
        fields["email"] = "Enter an email address, like name@example.org."
    elif db.session.execute(db.select(User.id).where(User.email == email)).first():
        fields["email"] = "There is already an account with this email."
    if len(password or "") < MIN_PASSWORD:
        fields["password"] = f"Use at least {MIN_PASSWORD} characters."
    elif len(password) > 1024:
        fields["password"] = "That password is too long."
    if fields:
        raise ValidationError(fields)
    return email


def create_user(email, password):
    """Add a user (caller commits)."""
    email = check_new_account(email, password)
    user = User(email=email, password_hash=_hasher().hash(password))
    db.session.add(user)
    db.session.flush()
    return user


NAME_MAX = 120
SIGNATURE_MAX = 1000
# C0 controls and DEL, except the new line a signature is made of
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


def clean_signature(text):
    """Return a signature as it is kept: lines without control characters or trailing spaces, at most one blank line."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    lines = [_CONTROL.sub("", line).rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n").strip()


def update_profile(user, display_name, signature):
    """Set the name and signature the parent signs with (caller commits); raise ValidationError."""
    name = clean_text(display_name or "")  # one line: it goes into the From header
    signature = clean_signature(signature)
    fields = {}
    if len(name) > NAME_MAX:
        fields["display_name"] = f"Use at most {NAME_MAX} characters."
    if len(signature) > SIGNATURE_MAX:
        fields["signature"] = f"Use at most {SIGNATURE_MAX} characters (this has {len(signature)})."
    if fields:
        raise ValidationError(fields)
    user.display_name = name or None
    user.signature = signature or None
    return user


def authenticate(email, password):
    """Return the user for these credentials, or None."""
    user = db.session.execute(db.select(User).where(User.email == normalise_email(email))).scalar_one_or_none()
    hasher = _hasher()
    try:
        # an unknown email is checked against a dummy hash so both take the same time
        hasher.verify(user.password_hash if user else current_app.extensions["minuted_dummy_hash"], password or "")
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


def _hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(user, name=None):
    """Create an API token for user and return it; only its hash is kept (caller commits)."""
    token = "mtd_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=_hash_token(token), name=name))
    return token


def has_users():
    return db.session.execute(db.select(User.id).limit(1)).first() is not None


def login(user):
    session.clear()
    session.permanent = True
    session["uid"] = user.id


def logout():
    session.clear()


def _load_user():
    """Set g.user from a bearer token or the session cookie."""
    g.user = None
    g.via_token = False
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        token = header[len("Bearer "):].strip()
        row = db.session.execute(
            db.select(ApiToken).where(ApiToken.token_hash == _hash_token(token))
        ).scalar_one_or_none()
        if row is None:
            if request.path.startswith("/api/"):
                raise APIError(401, "unauthorized", "That API token is not valid.")
            return
        now = now_utc()
        # note use at most once a minute: a write on every request would queue phones behind it
        if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
            row.last_used_at = now
            db.session.commit()
        g.user = row.user
        g.via_token = True
        return
    uid = session.get("uid")
    if uid:
        g.user = db.session.get(User, uid)
        if g.user is None:
            session.clear()


def login_required(view):
    """Send people who are not signed in to the login page (or first-run setup)."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.user is None:
            if not has_users():
                return redirect(url_for("account.setup"))
            return redirect(url_for("account.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def init_app(app):
    """Set up password hashing and load the signed-in user before each request."""
    hasher = PasswordHasher(
        time_cost=app.config["ARGON2_TIME_COST"], memory_cost=app.config["ARGON2_MEMORY_KIB"], parallelism=1
    )
    app.extensions["minuted_hasher"] = hasher
    app.extensions["minuted_dummy_hash"] = hasher.hash("not a real password")
    app.before_request(_load_user)
