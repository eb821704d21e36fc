"""Pages for preparing a meeting: children, meetings, people, agenda, the plan, the print view."""
from flask import Blueprint
from flask import flash
from flask import g
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from .. import audio_store
from .. import checker
from .. import deadlines
from .. import prep
from .. import rules
from ..auth import login_required
from ..db import db
from ..errors import ValidationError

bp = Blueprint("pages", __name__)


@bp.before_request
@login_required
def require_login():
    """Every page here needs a signed-in parent."""


@bp.app_context_processor
def template_helpers():
    return {
        "rules": rules,
        "prep": prep,
        "role_label": rules.role_label,
        "meeting_type_label": lambda kind: (rules.meeting_type(kind) or {}).get("label", kind),
        "options": lambda items: [(i["id"], i["label"]) for i in items],
        "role_options": role_options,
        "child_options": lambda children: [(c.id, c.name) for c in children],
        "link_options": link_options,
        # preparation is the parent's; a partner who joined with a code sees it read-only
        "can_edit": _can_edit(),
        "meeting_type_options": meeting_type_options,
    }


def _can_edit():
    meeting_id = (request.view_args or {}).get("meeting_id")
    if not meeting_id or g.get("user") is None:
        return True
    from ..models import Meeting

    meeting = db.session.get(Meeting, meeting_id)
    return meeting is None or meeting.child.user_id == g.user.id


def link_options(rows):
    """Return options for linking an ask to a provision line or a target."""
    def label(row):
        text = getattr(row, "what", None) or row.text
        return text if len(text) <= 70 else text[:69] + "…"

    return [("", "None")] + [(r.id, label(r)) for r in rows]


def role_options(jurisdiction):
    """Return the role picker's options grouped as {group: [(id, label)]}."""
    groups = {}
    for role in rules.roles(jurisdiction):
        groups.setdefault(role.get("group") or "Other", []).append((role["id"], role["label"]))
    return groups


def meeting_type_options():
    """Return the meeting types grouped by jurisdiction."""
    labels = {j["id"]: j["label"] for j in rules.jurisdictions()}
    groups = {}
    for t in rules.meeting_types():
        key = " / ".join(labels.get(j, j) for j in t.get("jurisdictions", [])) or "Any"
        groups.setdefault(key, []).append((t["id"], t["label"]))
    return groups


def _render_with_errors(template, errors, status=422, **context):
    return render_template(template, errors=errors, form=request.form, **context), status


def _direction():
    return -1 if request.form.get("direction") == "up" else 1


def _move_or_update(rows, row, update, back, anchor):
    """Handle a row's form: ↑/↓ moves it within rows, anything else saves its fields; then go back."""
    if "direction" in request.form:
        prep.move(rows, row, _direction())
    else:
        try:
            update(row, request.form)
        except ValidationError as e:
            db.session.rollback()
            flash(f"Not saved: {'; '.join(e.fields.values())}", "error")
            return redirect(back)
        flash("Saved.")
    db.session.commit()
    return redirect(f"{back}#{anchor}")


# how each channel hands the minutes on, for "Minutes sent on …" (SentRecord.channel)
HANDED_ON = {
    "smtp": "sent", "eml": "saved as an email", "mailto": "opened in the mail app",
    "share": "shared", "copy": "copied", "print": "printed",
}


@bp.app_template_global()
def meeting_state(meeting):
    """Return where a meeting stands, from what is stored: planned, in progress, held, minutes drafted or sent.

    A dict: "key", a "label" to show, "held_on" (the actual start, in the meeting's time zone, once it
    started: the date it was held) and "next" (label, url) for the parent's next step, or None.
    """
    from zoneinfo import ZoneInfo

    from ..models import MinutesVersion
    from ..models import SentRecord

    zone = ZoneInfo(meeting.timezone)

    def day(moment):
        return moment.astimezone(zone).strftime("%a %-d %b %Y")

    held = meeting.started_at or meeting.ended_at
    owner = g.get("user") is not None and meeting.child.user_id == g.user.id
    review = url_for("minutes.review", meeting_id=meeting.id) if owner else None
    # the last time the minutes went, and whether any were drafted: two small queries, not every version's text
    last = db.session.execute(
        db.select(SentRecord.channel, SentRecord.sent_at)
        .where(SentRecord.meeting_id == meeting.id, SentRecord.kind == "minutes")
        .order_by(SentRecord.sent_at.desc()).limit(1)
    ).first()
    drafted = last is None and db.session.execute(
        db.select(MinutesVersion.id).where(MinutesVersion.meeting_id == meeting.id).limit(1)
    ).first() is not None
    state = {"held_on": held.astimezone(zone) if held else None, "next": None}
    if last is not None:
        state.update(key="sent", label=f"Minutes {HANDED_ON.get(last.channel, 'sent')} on {day(last.sent_at)}")
        if owner:
            state["next"] = ("Open the minutes", review)
    elif drafted:
        state.update(key="drafted", label="Minutes drafted")
        if owner:
            state["next"] = ("Finish and send the minutes", review)
    elif meeting.ended_at is not None or meeting.status == "ended":
        state.update(key="held", label=f"Held on {day(held)}" if held else "Held")
        if owner:
            state["next"] = ("Check what was captured", review)
    elif meeting.started_at is not None or meeting.status == "live":
        state.update(key="live", label="In progress")
        state["next"] = ("Continue the meeting", url_for("pages.live", meeting_id=meeting.id))
    else:
        state.update(key="planned", label="Planned")
    return state


@bp.get("/")
def home():
    """Show the parent's children and meetings."""
    return render_template("pages/home.html", children=prep.children(), meetings=prep.meetings())


# --- children ---


@bp.route("/children/new", methods=("GET", "POST"))
def new_child():
    """Add a child."""
    if request.method == "POST":
        try:
            child = prep.create_child(request.form)
        except ValidationError as e:
            return _render_with_errors("pages/child_form.html", e.fields, child=None)
        db.session.commit()
        flash(f"Added {child.name}.")
        return redirect(url_for("pages.new_meeting", child=child.id))
    return render_template("pages/child_form.html", child=None, errors={}, form={})


@bp.get("/children/<child_id>")
def child(child_id):
    """Show a child, their plan and their meetings."""
    child = prep.get_child(child_id)
    return render_template("pages/child.html", child=child)


@bp.route("/children/<child_id>/edit", methods=("GET", "POST"))
def edit_child(child_id):
    """Change a child's details."""
    child = prep.get_child(child_id)
    if request.method == "POST":
        try:
            prep.update_child(child, request.form)
        except ValidationError as e:
            db.session.rollback()
            return _render_with_errors("pages/child_form.html", e.fields, child=child)
        db.session.commit()
        flash("Saved.")
        return redirect(url_for("pages.child", child_id=child.id))
    return render_template("pages/child_form.html", child=child, errors={}, form={})


@bp.post("/children/<child_id>/delete")
def delete_child(child_id):
    """Delete a child and everything recorded about them."""
    child = prep.get_child(child_id)
    name = child.name
    meeting_ids = [m.id for m in child.meetings]
    prep.delete(child)
    db.session.commit()
    audio_store.purge(meeting_ids)
    flash(f"Deleted {name} and all their meetings.")
    return redirect(url_for("pages.home"))


# --- meetings ---


@bp.route("/meetings/new", methods=("GET", "POST"))
def new_meeting():
    """Create a meeting for a child."""
    children = prep.children()
    if not children:
        flash("Add your child first.")
        return redirect(url_for("pages.new_child"))
    if request.method == "POST":
        try:
            meeting = prep.create_meeting(request.form)
        except ValidationError as e:
            return _render_with_errors("pages/meeting_form.html", e.fields, meeting=None, children=children)
        db.session.commit()
        flash("Meeting created. Next: who will be there?")
        return redirect(url_for("pages.people", meeting_id=meeting.id))
    form = {"child_id": request.args.get("child", "")}
    return render_template("pages/meeting_form.html", meeting=None, children=children, errors={}, form=form)


@bp.get("/meetings/<meeting_id>")
def meeting(meeting_id):
    """Show a meeting: its details, the statutory timeline, and what is prepared."""
    meeting = prep.get_meeting(meeting_id)
    # once held, the rules count from the day it was actually held
    held = meeting_state(meeting)["held_on"]
    steps = deadlines.timeline(meeting.kind, meeting.child.jurisdiction, (held or prep.local_start(meeting)).date())
    return render_template("pages/meeting.html", meeting=meeting, steps=steps)


@bp.get("/meetings/<meeting_id>/live")
def live(meeting_id):
    """Show meeting mode: the one phone screen used during the meeting, offline-first."""
    meeting = prep.get_meeting(meeting_id)
    return render_template(
        "pages/live.html", meeting=meeting, prompts=rules.prompts(meeting.child.jurisdiction)
    )


@bp.route("/meetings/<meeting_id>/edit", methods=("GET", "POST"))
def edit_meeting(meeting_id):
    """Change a meeting's details."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    if request.method == "POST":
        try:
            prep.update_meeting(meeting, request.form)
        except ValidationError as e:
            db.session.rollback()
            return _render_with_errors("pages/meeting_form.html", e.fields, meeting=meeting, children=None)
        db.session.commit()
        flash("Saved.")
        return redirect(url_for("pages.meeting", meeting_id=meeting.id))
    return render_template("pages/meeting_form.html", meeting=meeting, children=None, errors={}, form={})


@bp.post("/meetings/<meeting_id>/delete")
def delete_meeting(meeting_id):
    """Delete a meeting."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    child_id = meeting.child_id
    prep.delete(meeting)
    db.session.commit()
    audio_store.purge([meeting_id])
    flash("Meeting deleted.")
    return redirect(url_for("pages.child", child_id=child_id))


# --- people ---


@bp.get("/meetings/<meeting_id>/people")
def people(meeting_id):
    """List the people expected, with their roles."""
    meeting = prep.get_meeting(meeting_id)
    return render_template("pages/people.html", meeting=meeting, errors={}, form={})


@bp.post("/meetings/<meeting_id>/people")
def add_person(meeting_id):
    """Add a person."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    try:
        attendee = prep.add_attendee(meeting, request.form)
    except ValidationError as e:
        return _render_with_errors("pages/people.html", e.fields, meeting=meeting)
    db.session.commit()
    flash(f"Added {attendee.name}.")
    return redirect(url_for("pages.people", meeting_id=meeting.id) + "#add-person")


@bp.post("/meetings/<meeting_id>/people/<attendee_id>")
def update_person(meeting_id, attendee_id):
    """Change a person's details, or move them up or down the list."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    attendee = prep.get_attendee(meeting, attendee_id)
    back = url_for("pages.people", meeting_id=meeting.id)
    return _move_or_update(meeting.attendees, attendee, prep.update_attendee, back, f"person-{attendee.id}")


@bp.post("/meetings/<meeting_id>/people/<attendee_id>/delete")
def delete_person(meeting_id, attendee_id):
    """Remove a person."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    prep.delete(prep.get_attendee(meeting, attendee_id))
    db.session.commit()
    flash("Removed.")
    return redirect(url_for("pages.people", meeting_id=meeting.id))


# --- agenda ---


@bp.get("/meetings/<meeting_id>/agenda")
def agenda(meeting_id):
    """Show the prioritised agenda and the parked (AOB) list."""
    meeting = prep.get_meeting(meeting_id)
    return render_template("pages/agenda.html", meeting=meeting, errors={}, form={})


@bp.post("/meetings/<meeting_id>/agenda")
def add_agenda_item(meeting_id):
    """Add an ask at the bottom of the priorities (or to the AOB list)."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    try:
        item = prep.add_agenda_item(meeting, request.form)
    except ValidationError as e:
        return _render_with_errors("pages/agenda.html", e.fields, meeting=meeting)
    db.session.commit()
    flash("Added to the AOB list." if item.parked else "Added to your priorities.")
    return redirect(url_for("pages.agenda", meeting_id=meeting.id) + "#add-item")


@bp.post("/meetings/<meeting_id>/agenda/<item_id>")
def update_agenda_item(meeting_id, item_id):
    """Change an ask, move it up or down, or park / unpark it."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    item = prep.get_agenda_item(meeting, item_id)
    back = url_for("pages.agenda", meeting_id=meeting.id)
    if "park" in request.form:
        item.parked = request.form["park"] == "1"
        item.position = prep.next_position(meeting.agenda)
        flash("Parked for AOB." if item.parked else "Moved back to your priorities.")
        db.session.commit()
        return redirect(f"{back}#item-{item.id}")
    same_list = [i for i in meeting.agenda if i.parked == item.parked]
    return _move_or_update(same_list, item, prep.update_agenda_item, back, f"item-{item.id}")


@bp.post("/meetings/<meeting_id>/agenda/<item_id>/delete")
def delete_agenda_item(meeting_id, item_id):
    """Remove an ask."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    prep.delete(prep.get_agenda_item(meeting, item_id))
    db.session.commit()
    flash("Removed.")
    return redirect(url_for("pages.agenda", meeting_id=meeting.id))


# --- the child's plan: provision and targets ---


def _plan_context(meeting):
    j = meeting.child.jurisdiction
    name = meeting.child.name
    return {
        "provision_flags": {p.id: checker.check(p.text, "provision", j) for p in meeting.child.provision},
        "target_flags": {t.id: checker.check(t.text, "target", j, child_name=name) for t in meeting.child.targets},
    }


@bp.get("/meetings/<meeting_id>/plan")
def plan(meeting_id):
    """Show the provision and SMART targets in the child's plan, with the wording checker."""
    meeting = prep.get_meeting(meeting_id)
    return render_template(
        "pages/plan.html", meeting=meeting, errors={}, pform={}, tform={}, open_section=None, **_plan_context(meeting)
    )


_PLAN = {
    "provision": (prep.add_provision, prep.update_provision, prep.get_provision),
    "targets": (prep.add_target, prep.update_target, prep.get_target),
}


@bp.post("/meetings/<meeting_id>/<any(provision, targets):section>")
def add_plan_row(meeting_id, section):
    """Add a provision line or a target."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    add, _, _ = _PLAN[section]
    try:
        row = add(meeting.child, request.form)
    except ValidationError as e:
        errors = {f"{section}.{k}": v for k, v in e.fields.items()}
        forms = {"pform": {}, "tform": {}, "pform" if section == "provision" else "tform": request.form}
        return render_template(
            "pages/plan.html", meeting=meeting, errors=errors, open_section=section, **forms, **_plan_context(meeting)
        ), 422
    db.session.commit()
    flash("Added.")
    return redirect(url_for("pages.plan", meeting_id=meeting.id) + f"#{section}-{row.id}")


@bp.post("/meetings/<meeting_id>/<any(provision, targets):section>/<row_id>")
def update_plan_row(meeting_id, section, row_id):
    """Change a provision line or a target, or move it."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    _, update, get = _PLAN[section]
    row = get(meeting.child, row_id)
    rows = meeting.child.provision if section == "provision" else meeting.child.targets
    back = url_for("pages.plan", meeting_id=meeting.id)
    return _move_or_update(rows, row, update, back, f"{section}-{row.id}")


@bp.post("/meetings/<meeting_id>/<any(provision, targets):section>/<row_id>/delete")
def delete_plan_row(meeting_id, section, row_id):
    """Remove a provision line or a target."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    _, _, get = _PLAN[section]
    prep.delete(get(meeting.child, row_id))
    db.session.commit()
    flash("Removed.")
    return redirect(url_for("pages.plan", meeting_id=meeting.id))


# --- print / send ahead ---


def agenda_text(meeting):
    """Return the agenda as plain text for an email to the school."""
    return render_template("pages/agenda.txt", meeting=meeting)


@bp.get("/meetings/<meeting_id>/print")
def print_agenda(meeting_id):
    """Show the agenda ready to print or copy."""
    meeting = prep.get_meeting(meeting_id)
    return render_template("pages/print.html", meeting=meeting, text=agenda_text(meeting))


@bp.get("/meetings/<meeting_id>/agenda.txt")
def agenda_txt(meeting_id):
    """Download the agenda as text."""
    meeting = prep.get_meeting(meeting_id)
    response = make_response(agenda_text(meeting))
    response.mimetype = "text/plain"
    response.headers["Content-Disposition"] = "attachment; filename=agenda.txt"
    return response


# --- partners who joined with a code (the parent's list on the people page) ---


@bp.app_template_global()
def partners_of(meeting):
    """Return the partners who joined meeting, as the members API lists them, with labels for the page."""
    from zoneinfo import ZoneInfo

    from .. import partners

    def ends(member):
        local = member.expires_at.astimezone(ZoneInfo(meeting.timezone)) if member.expires_at else None
        return local.strftime("%a %-d %b, %H:%M") if local else None

    def labels(member):
        return [partners.GRANTS[name] for name in partners.grants_of(member)]

    return [
        {**partners.member_dict(m), "ends": ends(m), "grant_labels": labels(m)}
        for m in meeting.members
    ]


@bp.post("/meetings/<meeting_id>/partners/<int:member_id>/remove")
def remove_partner(meeting_id, member_id):
    """Remove a partner who joined; with revoke_code, turn off the code they used so it can't let anyone in again."""
    from .. import partners

    meeting = prep.get_meeting(meeting_id, owner_only=True)
    member = partners.get_member(meeting, member_id)
    code_id = member.join_code_id
    partners.remove(member)
    if code_id is not None and request.form.get("revoke_code"):
        partners.revoke(meeting, code_id)
    db.session.commit()
    flash("Removed: they can no longer see this meeting.")
    return redirect(url_for("pages.people", meeting_id=meeting.id) + "#partners")
