"""Security: CSRF on every cookie-authenticated write, login rate limits, response headers."""
from flask import current_app
from flask import has_request_context
from flask import request
from flask import session
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

# no inline script or style anywhere; everything comes from this origin
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
    ]
)


class IdConverter(IntegerConverter):
    """<int:…> within what an id column holds, 0 to 2**31 - 1 (PostgreSQL's integer); a larger number is a 404.

    Past it the database itself fails (SQLite: OverflowError; PostgreSQL: integer out of range), a 500.
    The bound is in the pattern, not only in `max`: werkzeug tries a rule's method before its converters,
    so a number refused by `max` alone reads as a 405 wherever another method shares the path.
    """

    regex = (r"(?:\d{1,9}|1\d{9}|20\d{8}|21[0-3]\d{7}|214[0-6]\d{6}|2147[0-3]\d{5}|21474[0-7]\d{4}"
             r"|214748[0-2]\d{3}|2147483[0-5]\d{2}|21474836[0-3]\d|214748364[0-7])")

    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def _csrf_check():
    """Check the CSRF token on writes that a session cookie authenticates.

    It runs before the user is loaded, so it skips what CSRF cannot abuse and leaves
    the answer to what comes next: a route that does not match (404/405), a bearer
    token (no cookie involved; a bad one is a 401), and an API write with no signed-in
    session (the API answers 401). Every other write, pages included, needs the token.
    """
    if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
        return
    if request.routing_exception is not None:
        return
    if request.headers.get("Authorization", "").startswith("Bearer "):
        return
    if request.path.startswith("/api/") and not session.get("uid"):  # auth.login's key
        return
    csrf.protect()


def _headers(response):
    h = response.headers
    h.setdefault("Content-Security-Policy", CSP)
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "no-referrer")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    h.setdefault("Permissions-Policy", "microphone=(self), camera=(), geolocation=()")
    if request.is_secure:
        h.setdefault("Strict-Transport-Security", "max-age=31536000")
    if "Cache-Control" not in h and not request.path.startswith("/static/"):
        # pages and API answers hold a child's data: never in shared caches
        h["Cache-Control"] = "no-cache, private"
    return response


class SessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request came over HTTPS, and never set a shown message back.

    SESSION_COOKIE_SECURE = "auto" (the default) keeps plain http://127.0.0.1 working
    while every HTTPS deployment (direct, or behind a trusted proxy) gets Secure cookies.

    The permanent session is refreshed on every response, except by one that read the session while a message was
    waiting to be shown and did not show it. A page's requests run at once: the page pops "Added Ms Patel." and sets
    a cookie without it, while a request sent with the older cookie (a script, an API read) answers later and,
    refreshing the session as it found it, would set the message back for the next page to show again.
    """

    def should_set_cookie(self, app, session):
        if not session.modified and "_flashes" in session:
            return False
        return super().should_set_cookie(app, session)

    def get_cookie_secure(self, app):
        setting = app.config["SESSION_COOKIE_SECURE"]
        if setting == "auto":
            return has_request_context() and request.is_secure
        return bool(setting)


def init_app(app):
    """Bind CSRF protection, the rate limiter, secure cookies and the security headers."""
    app.session_interface = SessionInterface()
    app.url_map.converters["int"] = IdConverter  # before any blueprint adds a route
    if app.config["TRUSTED_PROXIES"]:
        # behind a TLS reverse proxy: believe its X-Forwarded-* headers (one hop per proxy)
        n = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_prefix=n)
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    limiter.init_app(app)
    app.before_request(_csrf_check)
    app.after_request(_headers)
