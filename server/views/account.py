"""Account pages: first-run setup, sign in, sign out (here and everywhere), passwords (change, forgotten),
API tokens, your name and signature, export and delete."""
import logging
from datetime import datetime
from datetime import timezone
from urllib.parse import urlsplit

from flask import Blueprint
from flask import abort
from flask import after_this_request
from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import send_file
from flask import url_for

from .. import auth
from ..auth import login_required
from .. import partners
from ..db import db
from ..errors import ValidationError

bp = Blueprint("account", __name__)
log = logging.getLogger(__name__)


def safe_next(target, default="pages.home"):
    """Return target if it is a path on this site, else the default page (no open redirects)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for(default)


@bp.route("/setup", methods=("GET", "POST"))
def setup():
    """Create the first account; only while there is none."""
    if auth.has_users():
        return redirect(url_for("account.login"))
    errors = {}
    if request.method == "POST":
        try:
            user = auth.create_user(request.form.get("email"), request.form.get("password", ""))
        except ValidationError as e:
            errors = e.fields
        else:
            user.is_admin = True  # the first account runs this installation: it invites the other families
            db.session.commit()
            auth.login(user)
            flash("Your account is ready. Start by adding your child.")
            return redirect(url_for("pages.new_child"))
    return render_template("account/setup.html", errors=errors, form=request.form)


@bp.route("/login", methods=("GET", "POST"))
def login():
    """Sign in with email and password (LOGIN_TRIES failures per email and per address, then 429 for a while)."""
    if not auth.has_users():
        return redirect(url_for("account.setup"))
    error, status = None, 200
    if request.method == "POST":
        email = auth.normalise_email(request.form.get("email"))
        keys = (auth.try_key("login-email", email), auth.try_key("login-address", auth.client_address()))
        try:
            auth.check_tries(*keys)
        except auth.TooManyTries as e:
            error, status, wait = e.message, 429, str(e.retry_after)

            @after_this_request
            def retry_after(response):
                response.headers["Retry-After"] = wait
                return response
        else:
            user = auth.authenticate(email, request.form.get("password", ""))
            if user is None:
                auth.record_failure(*keys)
                error, status = "That email and password don't match an account.", 401
            else:
                auth.forget_failures(keys[0])
                db.session.commit()
                auth.login(user)
                return redirect(safe_next(request.args.get("next")))
    return render_template("account/login.html", error=error, form=request.form, can_reset=_can_reset()), status


@bp.post("/logout")
def logout():
    """Sign out, and ask the browser to drop the pages it saved for offline use.

    This ends every session of the account (there is no table of sessions to end
    only this one): a copy of this browser's cookie stops working too.
    """
    auth.logout(g.user)
    response = redirect(url_for("account.login"))
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    """End every session of this account: other browsers and phones, and this one."""
    auth.logout(g.user)
    flash("You are signed out everywhere. Sign in again on each device you use.")
    response = redirect(url_for("account.login"))
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


def _can_reset():
    """Whether a forgotten password can be reset by email here (the server can send email)."""
    from ..minutes import mail

    return mail.configured()


def link_base_url():
    """The address to put in front of a link to send (a reset, an invite), or None.

    PUBLIC_URL, or this request's host if it is one of this machine's names. Never
    a Host header as sent: anyone could ask for a reset of someone else's account
    with "Host: evil.example" and the link would carry the token there. Behind a
    reverse proxy with a public name, set MINUTED_PUBLIC_URL.
    """
    public = current_app.config.get("PUBLIC_URL")
    if public:
        return public
    from .. import tls

    host = urlsplit(request.host_url).hostname or ""
    dns, ips = tls.lan_names()
    if host.lower() in {n.lower() for n in dns} or host in {str(ip) for ip in ips}:
        return request.host_url
    return None


@bp.route("/forgot", methods=("GET", "POST"))
def forgot_password():
    """Ask for a link to set a new password (only where this server can send email)."""
    if not _can_reset():
        abort(404)
    if request.method == "POST":
        from ..minutes import mail

        email = auth.normalise_email(request.form.get("email"))
        keys = (auth.try_key("reset-email", email), auth.try_key("reset-address", auth.client_address()))
        auth.check_tries(*keys)
        auth.record_failure(*keys)  # every request counts: nobody's inbox gets flooded
        user = auth.find_user(email)
        base = link_base_url()
        if user is not None and not user.guest:
            if base is None:
                log.warning("password reset link not sent: the request's host is not this machine (set PUBLIC_URL)")
            else:
                try:
                    auth.send_reset_link(user, base)
                except mail.MailError as e:
                    log.warning("password reset link not sent: %s", e)
        # the same answer either way: this page doesn't say who has an account
        return render_template("account/forgot.html", sent=True, email=email)
    return render_template("account/forgot.html", sent=False, email="")


@bp.route("/reset/<token>", methods=("GET", "POST"))
def reset_password(token):
    """Set a new password from an emailed link: for an hour, once."""
    user = auth.user_for_reset(token)
    if user is None:
        return render_template("account/reset.html", expired=True, errors={}), 400
    errors = {}
    if request.method == "POST":
        try:
            auth.set_password(user, request.form.get("password", ""))
        except ValidationError as e:
            db.session.rollback()
            errors = e.fields
        else:
            db.session.commit()
            auth.logout()
            flash("Your password is changed, and you are signed out everywhere. Sign in with the new password.")
            return redirect(url_for("account.login"))
    return render_template("account/reset.html", expired=False, errors=errors), 422 if errors else 200



@bp.route("/join", methods=("GET", "POST"))
def join():
    """Join one meeting with a code from the parent's phone (a partner, with or without an account)."""
    code = request.values.get("code", "")
    if request.method == "POST":
        auth.limit_tries("join")
        row = partners.find_code(code)
        user = partners.join(row, g.user)
        db.session.commit()
        if g.user is None:
            auth.login(user)
        endpoint = "pages.live" if "pages.live" in current_app.view_functions else "pages.meeting"
        return redirect(url_for(endpoint, meeting_id=row.meeting_id))
    return render_template("account/join.html", code=code)


def _only_this_computer(url):
    """True when url names this computer only (localhost, a loopback address): a phone can't open it."""
    import ipaddress

    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@bp.get("/connect")
def connect():
    """Show how to open Minuted on a phone: the address, a QR code, and the certificate to trust.

    The QR code is shown only where a phone can use it: an https address that is not this computer's own
    (localhost, 127.0.0.1). Otherwise the page says what to do instead.
    """
    from .. import tls

    port = request.host.rsplit(":", 1)[1] if ":" in request.host.rsplit("]", 1)[-1] else ("443" if request.is_secure else "80")
    if request.is_secure:
        urls = tls.phone_urls(port)
        if not _only_this_computer(request.host_url):  # the address this page came from works: offer it first
            urls = [request.host_url] + [u for u in urls if u != request.host_url]
    else:
        urls = [request.host_url]
    reachable = [u for u in urls if not _only_this_computer(u)]
    ca_exists = tls.paths(current_app.config["DATA_DIR"]).ca_cert.exists()
    return render_template(
        "account/connect.html", urls=reachable or urls, ca_exists=ca_exists, secure=request.is_secure,
        qr=partners.qr_data_url(reachable[0]) if request.is_secure and reachable else None,
        this_computer_only=not reachable,
    )


@bp.get("/connect/minuted-ca.crt")
def ca_certificate():
    """Download the local CA certificate (public: it holds no secret)."""
    from .. import tls

    path = tls.paths(current_app.config["DATA_DIR"]).ca_cert
    if not path.exists():
        abort(404, "There is no local certificate: run `minuted serve --https`.")
    response = current_app.response_class(path.read_bytes(), mimetype="application/x-x509-ca-cert")
    response.headers["Content-Disposition"] = "attachment; filename=minuted-ca.crt"
    return response


def shown_time(moment):
    """A time as the account pages show it: "5 Dec 2026, 09:30 UTC" (None stays None)."""
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC" if moment else None


def _account_page(errors=None, form=None, status=200):
    now = datetime.now(timezone.utc)
    tokens = [
        {
            "id": t.id, "name": t.name or "(no name)", "created": shown_time(t.created_at),
            "last_used": shown_time(t.last_used_at), "expires": shown_time(t.expires_at),
            "expired": t.expires_at is not None and t.expires_at <= now,
        }
        for t in auth.tokens_of(g.user)
    ]
    return render_template("account/account.html", errors=errors or {}, form=form or {}, tokens=tokens), status


@bp.get("/account")
@login_required
def account():
    """The account: how you sign emails and letters, password, signed-in devices, API tokens, download, delete."""
    return _account_page()


@bp.post("/account/password")
@login_required
def change_password():
    """Change the password: the current one first. Every other browser and phone is signed out."""
    errors = {}
    if not auth.check_password(g.user, request.form.get("current_password", "")):
        errors["current_password"] = "That isn't your current password."
    else:
        try:
            auth.set_password(g.user, request.form.get("new_password", ""), field="new_password")
        except ValidationError as e:
            errors = e.fields
    if errors:
        db.session.rollback()
        return _account_page(errors, status=422)
    db.session.commit()
    auth.login(g.user)  # this browser stays signed in, with the new session version
    flash("Your password is changed. Other browsers and phones are signed out.")
    return redirect(url_for("account.account") + "#password-title")


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id):
    """Revoke one of this account's API tokens: it answers 401 from now on."""
    if not auth.revoke_token(g.user, token_id):
        abort(404)
    db.session.commit()
    flash("The token is revoked.")
    return redirect(url_for("account.account") + "#tokens-title")


@bp.post("/account/profile")
@login_required
def profile():
    """Save the name and signature the parent signs emails and letters with."""
    try:
        auth.update_profile(g.user, request.form.get("display_name"), request.form.get("signature"))
    except ValidationError as e:
        db.session.rollback()
        return _account_page(e.fields, request.form, 422)
    db.session.commit()
    flash("Saved. Your emails and letters are signed with this.")
    return redirect(url_for("account.account") + "#profile-title")


@bp.get("/account/export.zip")
@login_required
def export_zip():
    """Download everything this account holds (data, audio, minutes) as one zip file."""
    from .. import export

    archive = export.build(g.user)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    return send_file(archive, mimetype="application/zip", as_attachment=True,
                     download_name=f"minuted-export-{stamp}.zip")


@bp.post("/account/delete")
@login_required
def delete_account():
    """Delete the account and everything in it, after the parent confirms with their password."""
    from .. import audio_store

    # a guest (a partner who joined with a code) has no password, and nothing but notes to lose
    if not g.user.guest and not auth.check_password(g.user, request.form.get("password", "")):
        flash("Nothing was deleted: that isn't your password.", "error")
        return redirect(url_for("account.account") + "#delete-title")
    meeting_ids = [m.id for c in g.user.children for m in c.meetings]
    db.session.delete(g.user)
    db.session.commit()
    audio_store.purge(meeting_ids)
    auth.logout()
    response = redirect(url_for("account.setup") if not auth.has_users() else url_for("account.login"))
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response
