"""Families: an admin invites families with a link that makes one account; the link makes the account.

An admin sees the invites and the accounts (an email, when it was made, admin or
not), never anything a family keeps: children, meetings and notes are theirs alone.
To anyone else signed in the admin pages answer 404, as a page that isn't there.
"""
import functools
import logging

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for

from .. import auth
from .. import invites
from ..auth import login_required
from ..db import db
from ..db import now_utc
from ..errors import ValidationError
from ..models import Invite
from .account import link_base_url
from .account import shown_time

bp = Blueprint("admin", __name__)
log = logging.getLogger(__name__)


def admin_required(view):
    """Let admins through; anyone else signed in gets 404 (the page gives nothing away), nobody: the login page."""

    @functools.wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not g.user.is_admin or g.user.guest:
            abort(404)
        return view(*args, **kwargs)

    return wrapped


def _can_email():
    from ..minutes import mail

    return mail.configured()


def _email_of(user):
    return user.email if user is not None else "an account since deleted"


def _families_page(errors=None, form=None, new=None, status=200):
    """Render the invites, the form to make one (and a new link, once), and the accounts."""
    now = now_utc()
    rows = [
        {
            "id": i.id, "email": i.email, "note": i.note, "status": invites.status(i, now),
            "created": shown_time(i.created_at), "by": _email_of(i.creator), "expires": shown_time(i.expires_at),
            "used": shown_time(i.used_at), "used_by": _email_of(i.user), "revoked": shown_time(i.revoked_at),
        }
        for i in invites.all_invites()
    ]
    accounts = [
        {"email": u.email, "created": shown_time(u.created_at), "admin": u.is_admin} for u in invites.accounts()
    ]
    return render_template(
        "admin/families.html", invites=rows, accounts=accounts, errors=errors or {}, form=form or {}, new=new,
        can_email=_can_email(), days=current_app.config["INVITE_DAYS"],
    ), status


@bp.get("/admin/families")
@admin_required
def families():
    """The invites (pending, used, expired, revoked), a form to make one, and the families' accounts."""
    # the link just made, this once (kept in the session across the redirect after making it)
    return _families_page(new=session.pop("new_invite", None))


@bp.post("/admin/invites")
@admin_required
def create_invite():
    """Make an invite and show its link, this once; email it too when asked (and this server can send email)."""
    try:
        invite, token = invites.create(g.user, request.form.get("email"), request.form.get("note"))
    except ValidationError as e:
        db.session.rollback()
        return _families_page(e.fields, request.form, status=422)
    db.session.commit()
    base = link_base_url()
    url = invites.link(token, base)
    emailed = False
    if request.form.get("send") and invite.email and _can_email():
        from ..minutes import mail

        if base is None:
            # a path alone is no use in an email
            flash("The link was not emailed: this server doesn't know the address families reach it at "
                  "(set MINUTED_PUBLIC_URL). Copy it below and send it yourself.", "error")
        else:
            try:
                invites.send_link(invite, url, g.user)
                emailed = True
            except mail.MailError as e:
                log.warning("invite link not emailed: %s", e)
                flash(f"The link was not emailed: {e} Copy it below and send it yourself.", "error")
    # then the page by GET: reloading it shows the invites, never makes a second one
    session["new_invite"] = {"link": url, "relative": base is None, "email": invite.email, "emailed": emailed,
                             "expires": shown_time(invite.expires_at)}
    return redirect(url_for("admin.families"))


@bp.post("/admin/invites/<int:invite_id>/revoke")
@admin_required
def revoke_invite(invite_id):
    """Revoke an invite: its link stops working (an account it made already stays)."""
    invite = db.get_or_404(Invite, invite_id)
    if not invites.revoke(invite):
        flash("That invite has been used already: the account it made stays.", "error")
    else:
        db.session.commit()
        flash("The invite is revoked: its link no longer works.")
    return redirect(url_for("admin.families") + "#invites-title")


@bp.route("/invite/<token>", methods=("GET", "POST"))
def accept_invite(token):
    """Create an account with an invite link: once, before it expires, unless it was revoked (no sign-in needed).

    A link that doesn't work counts as a failed try for this address (LOGIN_TRIES,
    then 429): tokens can't be guessed one request after another.
    """
    key = auth.try_key("invite-address", auth.client_address())
    auth.check_tries(key)
    invite = invites.find(token)
    if invite is None:
        auth.record_failure(key)
        return render_template("admin/invite_gone.html"), 410
    if g.user is not None:
        # never a second account made inside someone's session: they sign out first
        return render_template("admin/invite.html", invite=invite, signed_in=True), (
            409 if request.method == "POST" else 200)
    errors = {}
    if request.method == "POST":
        try:
            user = invites.accept(invite, request.form.get("email"), request.form.get("password", ""))
        except ValidationError as e:
            db.session.rollback()
            errors = e.fields
        else:
            if user is None:  # another request used it (or it was revoked) meanwhile
                db.session.rollback()
                return render_template("admin/invite_gone.html"), 410
            db.session.commit()
            auth.login(user)
            flash("Your account is ready. Start by adding your child.")
            return redirect(url_for("pages.new_child"))
    # the password is never sent back into the page
    form = {"email": invite.email or request.form.get("email", "")}
    return render_template("admin/invite.html", invite=invite, signed_in=False, errors=errors, form=form), (
        422 if errors else 200)
