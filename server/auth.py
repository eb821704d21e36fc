"""Accounts: argon2 passwords, session logins for pages, bearer tokens for the API.

Sessions end: the signed session cookie carries the account's session_version
and when it was signed in; a cookie whose version is no longer the account's
(or that is older than SESSION_ABSOLUTE_LIFETIME) signs nobody in. Signing out,
"sign out everywhere", a password change and a reset all bump the version. There
is no table of sessions, so signing out cannot end only this browser's session:
it ends every session of the account (a copied cookie included), which the
account page says.

Failed sign-ins and join-code tries are rows of LoginAttempt, so the limit holds
across processes and restarts: LOGIN_TRIES failures per key (an email, a client
address) within LOGIN_TRIES_WINDOW seconds, then 429 with Retry-After.
"""
import functools
from datetime import timedelta
import hashlib
import hmac
from importlib.resources import files
import math
import re
import secrets
import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError
from flask import after_this_request
from flask import current_app
from flask import g
from flask import redirect
from flask import request
from flask import session
from flask import url_for
from flask_wtf.csrf import generate_csrf
from itsdangerous import BadSignature
from itsdangerous import URLSafeTimedSerializer
from markupsafe import escape

from . import partners
from .db import db
from .db import now_utc
from .errors import APIError
from .errors import ValidationError
from .minutes.render import clean_text
from .models import ApiToken
from .models import LoginAttempt
from .models import User

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
# what people put after a common word: "password12", "monkey2024!"
_TAIL = "0123456789!?.*#@$"


def _hasher():
    return current_app.extensions["minuted_hasher"]


def normalise_email(email):
    return (email or "").strip().lower()


@functools.cache
def common_passwords():
    """Return the common passwords (server/data/common_passwords.txt, made by tools/make_common_passwords.py)."""
    text = files("server.data").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("# "))


def password_problem(password, email=""):
    """Return why password can't be used (a sentence for the form), or None.

    At least MIN_PASSWORD characters not counting spaces at either end; not a
    common password (ignoring case, spaces inside, and digits or !?.*#@$ at the
    end: "Password12" is "password"); not the email or the part before the @.
    """
    password = password or ""
    kept = password.strip()
    if len(kept) < MIN_PASSWORD:
        return f"Use at least {MIN_PASSWORD} characters (spaces at the start or end don't count)."
    if len(password) > MAX_PASSWORD:
        return "That password is too long."
    lowered = kept.lower()
    squeezed = "".join(lowered.split())
    forms = {lowered, squeezed, lowered.rstrip(_TAIL), squeezed.rstrip(_TAIL)} - {""}
    email = normalise_email(email)
    if email and forms & {email, email.split("@")[0]}:
        return "Don't use your email address, or the part before the @, as your password."
    if forms & common_passwords():
        return ("That is one of the most common passwords, so it is among the first to be guessed. "
                "A few unrelated words strung together work well.")
    return None


def check_new_account(email, password):
    """Validate an email and password for a new account; raise ValidationError."""
    fields = {}
    email = normalise_email(email)
    from .prep import valid_email  # one address, as stored anywhere else: no comma, display name or CR/LF

    if not EMAIL_RE.match(email) or not valid_email(email):
        fields["email"] = "Enter an email address, like name@example.org."
    elif db.session.execute(db.select(User.id).where(User.email == email)).first():
        fields["email"] = "There is already an account with this email."
    problem = password_problem(password, email)
    if problem:
        fields["password"] = problem
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


def check_password(user, password):
    """Return whether password is user's (a guest has none)."""
    try:
        return _hasher().verify(user.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def set_password(user, password, field="password"):
    """Give user a new password and end every session of theirs (caller commits); raise ValidationError."""
    if user.guest:
        raise ValidationError({field: "A partner's guest account has no password."})
    problem = password_problem(password, user.email)
    if problem:
        raise ValidationError({field: problem})
    user.password_hash = _hasher().hash(password)
    end_sessions(user)


def find_user(email):
    return db.session.execute(db.select(User).where(User.email == normalise_email(email))).scalar_one_or_none()


def _hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(user, name=None, expires_days=None):
    """Create an API token for user and return it; only its hash is kept (caller commits).

    expires_days: it answers 401 after that many days; None: until revoked.
    """
    token = "mtd_" + secrets.token_urlsafe(32)
    expires_at = now_utc() + timedelta(days=expires_days) if expires_days else None
    db.session.add(ApiToken(user_id=user.id, token_hash=_hash_token(token), name=name, expires_at=expires_at))
    return token


def tokens_of(user):
    """Return user's API tokens, newest first."""
    return db.session.execute(
        db.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).scalars().all()


def revoke_token(user, token_id):
    """Delete user's token token_id; return False when user has no such token (caller commits)."""
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        return False
    db.session.delete(row)
    return True


def has_users():
    return db.session.execute(db.select(User.id).limit(1)).first() is not None


def login(user):
    """Sign user in on this browser (a new session: nothing of the old one is kept)."""
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    session["sv"] = user.session_version
    session["since"] = int(time.time())
    # the CSRF token is made now, with the session: made later, by whichever of a page's concurrent requests
    # came first, it could be lost when another response in flight re-sets the cookie (a permanent session is
    # refreshed on every response), and the page's forms and API writes would be refused
    g.pop("csrf_token", None)  # flask-wtf keeps the request's token here: one of the old session's would not do
    generate_csrf()


def end_sessions(user):
    """Make every session cookie of user's stop working, copies included (caller commits)."""
    user.session_version = (user.session_version or 0) + 1


def logout(user=None):
    """Forget this browser's session; with user, end all of user's sessions (and commit)."""
    if user is not None:
        end_sessions(user)
        db.session.commit()
    session.clear()


def _session_is_current(user):
    """Whether the session cookie was signed in with user's current session_version, recently enough."""
    since = session.get("since")
    lifetime = current_app.config["SESSION_ABSOLUTE_LIFETIME"]
    return (
        session.get("sv") == user.session_version
        and isinstance(since, int)
        and time.time() - since < lifetime
    )


# --- password reset links: signed, for an hour, and dead once the password changes ---

def _reset_serializer():
    return URLSafeTimedSerializer(current_app.secret_key, salt="minuted-password-reset")


def _password_fingerprint(user):
    # the link carries this: a new password (a new hash, salted afresh) kills every older link
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def reset_token(user):
    return _reset_serializer().dumps([user.id, _password_fingerprint(user)])


def user_for_reset(token):
    """Return the user a reset token is for, or None if it is forged, older than an hour, or used."""
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    try:
        uid, fingerprint = _reset_serializer().loads(token, max_age=max_age)
    except (BadSignature, ValueError, TypeError):
        return None
    user = db.session.get(User, uid) if isinstance(uid, str) else None
    if user is None or user.guest or not hmac.compare_digest(_password_fingerprint(user), str(fingerprint)):
        return None
    return user


def send_reset_link(user, base_url):
    """Email user a link to set a new password; the message holds the link and nothing else. Raises MailError."""
    from .minutes import mail

    link = base_url.rstrip("/") + url_for("account.reset_password", token=reset_token(user))
    html = f'<p><a href="{escape(link)}">{escape(link)}</a></p>'
    msg = mail.build("Set a new Minuted password", user.email, [user.email], [], link + "\n", html)
    mail.send(msg, user.email)


# --- limiting failed tries, in the database: shared by every process, kept over restarts ---

class TooManyTries(APIError):
    """429: a key has used up its tries; retry_after is in seconds."""

    def __init__(self, retry_after):
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(
            429, "rate_limited", f"Too many tries. Wait {minutes} minute{'' if minutes == 1 else 's'} and try again."
        )
        self.retry_after = retry_after


def client_address():
    return request.remote_addr or "unknown"


def try_key(kind, value):
    """Return the LoginAttempt key for kind ("login-email", "login-address", "join-address"…) and value.

    The value is kept hashed: a typed email that has no account is not stored.
    """
    return f"{kind}:{hashlib.sha256(value.encode()).hexdigest()[:40]}"


def _tries():
    config = current_app.config
    return config["LOGIN_TRIES"], timedelta(seconds=config["LOGIN_TRIES_WINDOW"])


def check_tries(*keys):
    """Raise TooManyTries if any key has had LOGIN_TRIES failures within LOGIN_TRIES_WINDOW."""
    limit, window = _tries()
    now = now_utc()
    for key in keys:
        # the limit lifts when the limit-th most recent failure leaves the window
        nth = db.session.execute(
            db.select(LoginAttempt.at)
            .where(LoginAttempt.key == key, LoginAttempt.at > now - window)
            .order_by(LoginAttempt.at.desc())
            .offset(limit - 1)
            .limit(1)
        ).scalar_one_or_none()
        if nth is not None:
            raise TooManyTries(max(1, math.ceil((nth + window - now).total_seconds())))


def record_failure(*keys):
    """Count a failed try against each key, forget tries older than the window, and commit."""
    _, window = _tries()
    now = now_utc()
    db.session.add_all([LoginAttempt(key=key[:300], at=now) for key in keys])
    db.session.execute(db.delete(LoginAttempt).where(LoginAttempt.at <= now - window))
    db.session.commit()


def forget_failures(key):
    """Clear key's failed tries (caller commits): a right password ends the count for that email."""
    db.session.execute(db.delete(LoginAttempt).where(LoginAttempt.key == key))


def limit_tries(kind):
    """Limit this request's tries per client address: 429 once LOGIN_TRIES have failed within the window.

    Call it first thing in a view; an answer of 400–499 (but 429) counts as a failed try.
    """
    key = try_key(f"{kind}-address", client_address())
    check_tries(key)

    @after_this_request
    def count_failure(response):
        if 400 <= response.status_code < 500 and response.status_code != 429:
            db.session.rollback()  # nothing of a refused request is kept
            record_failure(key)
        return response


def _too_many_tries(e):
    from .errors import handle_api_error

    response = current_app.make_response(handle_api_error(e))
    response.headers["Retry-After"] = str(e.retry_after)
    return response


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
        now = now_utc()
        if row is None or (row.expires_at is not None and row.expires_at <= now):
            if request.path.startswith("/api/"):
                raise APIError(401, "unauthorized", "That API token is not valid (or has expired, or was revoked).")
            return
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
        if g.user is None or not _session_is_current(g.user):
            # signed out (here or everywhere), a changed password, or simply too old
            g.user = None
            session.clear()
        partners.sign_out_ended_guest()  # a guest whose access to every meeting it joined has ended


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
    app.register_error_handler(TooManyTries, _too_many_tries)
