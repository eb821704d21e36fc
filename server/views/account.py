"""Account pages: first-run setup, sign in, sign out, your name and signature, export and delete."""
from datetime import datetime
from datetime import timezone
from urllib.parse import urlsplit

from flask import Blueprint
from flask import abort
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
from ..security import limiter
from ..security import login_limit

bp = Blueprint("account", __name__)


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
            db.session.commit()
            auth.login(user)
            flash("Your account is ready. Start by adding your child.")
            return redirect(url_for("pages.new_child"))
    return render_template("account/setup.html", errors=errors, form=request.form)


@bp.route("/login", methods=("GET", "POST"))
@limiter.limit(login_limit, methods=["POST"])
def login():
    """Sign in with email and password."""
    if not auth.has_users():
        return redirect(url_for("account.setup"))
    error = None
    if request.method == "POST":
        user = auth.authenticate(request.form.get("email"), request.form.get("password", ""))
        if user is None:
            error = "That email and password don't match an account."
        else:
            db.session.commit()
            auth.login(user)
            return redirect(safe_next(request.args.get("next")))
    status = 401 if error else 200
    return render_template("account/login.html", error=error, form=request.form), status


@bp.post("/logout")
def logout():
    """Sign out, and ask the browser to drop the pages it saved for offline use."""
    auth.logout()
    response = redirect(url_for("account.login"))
    response.headers["Clear-Site-Data"] = '"cache"'
    return response



@bp.route("/join", methods=("GET", "POST"))
@limiter.limit(login_limit, methods=["POST"])
def join():
    """Join one meeting with a code from the parent's phone (a partner, with or without an account)."""
    code = request.values.get("code", "")
    if request.method == "POST":
        row = partners.find_code(code)
        user = partners.join(row, g.user)
        db.session.commit()
        if g.user is None:
            auth.login(user)
        endpoint = "pages.live" if "pages.live" in current_app.view_functions else "pages.meeting"
        return redirect(url_for(endpoint, meeting_id=row.meeting_id))
    return render_template("account/join.html", code=code)


@bp.get("/connect")
def connect():
    """Show how to open Minuted on a phone: the address, a QR code, and the certificate to trust."""
    from .. import tls

    port = request.host.rsplit(":", 1)[1] if ":" in request.host.rsplit("]", 1)[-1] else ("443" if request.is_secure else "80")
    urls = tls.phone_urls(port) if request.is_secure else [request.host_url]
    ca_exists = tls.paths(current_app.config["DATA_DIR"]).ca_cert.exists()
    return render_template(
        "account/connect.html", urls=urls, qr=partners.qr_data_url(urls[0]), ca_exists=ca_exists,
        secure=request.is_secure,
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


@bp.get("/account")
@login_required
def account():
    """The account: how you sign your emails and letters, download everything, or delete everything."""
    return render_template("account/account.html", errors={}, form={})


@bp.post("/account/profile")
@login_required
def profile():
    """Save the name and signature the parent signs emails and letters with."""
    try:
        auth.update_profile(g.user, request.form.get("display_name"), request.form.get("signature"))
    except ValidationError as e:
        db.session.rollback()
        return render_template("account/account.html", errors=e.fields, form=request.form), 422
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
    """Delete the account and everything in it, after the parent types their email to confirm."""
    from .. import audio_store

    if auth.normalise_email(request.form.get("confirm")) != g.user.email:
        flash("To delete everything, type your email address exactly.", "error")
        return redirect(url_for("account.account"))
    meeting_ids = [m.id for c in g.user.children for m in c.meetings]
    db.session.delete(g.user)
    db.session.commit()
    audio_store.purge(meeting_ids)
    auth.logout()
    response = redirect(url_for("account.setup") if not auth.has_users() else url_for("account.login"))
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response
