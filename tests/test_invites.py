"""Admins and invites: an admin invites families from /admin/families with a link that makes one account.

Who is an admin (setup, the CLI, the migration), who may see the page, the link
shown once and kept only as a hash, one account per invite (posted twice at once
too), links that expire or are revoked, escaping, CSRF, and the link emailed
through a real SMTP server.
"""
import email
import email.policy
import hashlib
import html
import re
import threading
import time
from datetime import datetime
from datetime import timedelta
from urllib.parse import urlsplit

import flask_migrate
import pytest
from click.testing import CliRunner

from conftest import PASSWORD
from conftest import Parent
from conftest import make_app
from server import auth
from server import invites
from server.cli import main
from server.db import MIGRATIONS
from server.db import db
from server.db import now_utc
from server.db import upgrade
from server.models import Invite
from server.models import User
from test_migrations import fresh_postgres  # noqa: F401 (a fixture: an empty PostgreSQL database)
from test_minutes_mail import free_port
from test_minutes_mail import smtp_app  # noqa: F401 (fixtures: the app sending to a real local SMTP server)
from test_minutes_mail import smtp_server  # noqa: F401
from test_postgres import postgres_url  # noqa: F401 (a fixture: a throwaway PostgreSQL server)

FAMILY_PASSWORD = "four quiet rivers meeting"
GONE = "Ask the person who sent it to you for a new one."


def csrf_of(response):
    return re.search(r'name="csrf-token" content="([^"]+)"', response.text).group(1)


def make_admin(app, email="admin@example.org"):
    """An account that is an admin, signed in on a client of its own."""
    admin = Parent(app, app.test_client(), email=email).create()
    with app.app_context():
        auth.find_user(email).is_admin = True
        db.session.commit()
    return admin


@pytest.fixture
def admin(app):
    return make_admin(app)


def shown_link(page):
    """The invite link the families page shows, or None."""
    match = re.search(r'<p class="copy-source"><code>([^<]+)</code></p>', page)
    return html.unescape(match.group(1)) if match else None


def post_invite(admin, fields=None):
    """Post the invite form as the browser does, following the redirect to the page that shows the link once."""
    data = {**(fields or {}), "csrf_token": admin.csrf("/admin/families")}
    return admin.client.post("/admin/invites", data=data, follow_redirects=True)


def make_invite(admin, **fields):
    """Make an invite on the families page; return (the page, the link it shows)."""
    response = post_invite(admin, fields)
    assert response.status_code == 200, response.text
    link = shown_link(response.text)
    assert link, response.text
    return response, link


def path_of(link):
    return urlsplit(link).path


def accept(client, link, address, password=FAMILY_PASSWORD):
    """Open an invite link and create the account with it."""
    page = client.get(path_of(link))
    return client.post(path_of(link), data={"email": address, "password": password, "csrf_token": csrf_of(page)})


def users(app):
    """{email: is_admin} for every account."""
    with app.app_context():
        return dict(db.session.execute(db.select(User.email, User.is_admin)).all())


def invite_row(app, link):
    with app.app_context():
        token = path_of(link).rsplit("/", 1)[1]
        row = db.session.execute(
            db.select(Invite).where(Invite.token_hash == hashlib.sha256(token.encode()).hexdigest())
        ).scalar_one()
        db.session.expunge(row)
        return row


def set_invite(app, link, **values):
    with app.app_context():
        db.session.execute(db.update(Invite).where(Invite.id == invite_row(app, link).id).values(**values))
        db.session.commit()


# --- who is an admin ---

def test_the_account_made_at_setup_is_an_admin(app, client):
    page = client.get("/setup")
    response = client.post("/setup", data={"email": "first@example.org", "password": PASSWORD,
                                           "csrf_token": csrf_of(page)})
    assert response.status_code == 302
    assert users(app) == {"first@example.org": True}
    # test that the account page leads to the families page, which opens
    assert 'href="/admin/families"' in client.get("/account").text
    assert client.get("/admin/families").status_code == 200


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    """The CLI on its own data directory, with cheap password hashing."""
    monkeypatch.setenv("MINUTED_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setenv("MINUTED_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("MINUTED_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return tmp_path / "cli-data"


def cli(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def cli_admins(data):
    app = make_app(data)
    try:
        return {address for address, is_admin in users(app).items() if is_admin}
    finally:
        with app.app_context():
            db.engine.dispose()


def test_cli_makes_and_unmakes_admins(cli_env):
    add = ("user", "add", "--password-stdin")
    # test that the first account is an admin even without --admin, so someone can invite
    result = cli(*add, "first@example.org", input=f"{PASSWORD}\n")
    assert result.exit_code == 0 and "It is an admin" in result.output, result.output
    result = cli(*add, "second@example.org", input=f"{PASSWORD}\n")
    assert result.exit_code == 0 and "admin" not in result.output, result.output
    result = cli(*add, "third@example.org", "--admin", input=f"{PASSWORD}\n")
    assert result.exit_code == 0 and "It is an admin" in result.output, result.output
    assert cli_admins(cli_env) == {"first@example.org", "third@example.org"}
    # test that `user admin` makes one, says so when it is one already, and --remove takes it away
    result = cli("user", "admin", "Second@Example.org")
    assert result.exit_code == 0 and "second@example.org is now an admin" in result.output, result.output
    assert "is an admin already" in cli("user", "admin", "second@example.org").output
    for address in ("first@example.org", "second@example.org"):
        result = cli("user", "admin", address, "--remove")
        assert result.exit_code == 0 and f"{address} is no longer an admin." in result.output, result.output
    assert "was not an admin" in cli("user", "admin", "first@example.org", "--remove").output
    assert cli_admins(cli_env) == {"third@example.org"}
    # test that the last admin stays one, with a message saying why and what to do
    result = cli("user", "admin", "third@example.org", "--remove")
    assert result.exit_code == 1
    assert "third@example.org is the only admin" in result.output and "minuted user admin EMAIL" in result.output
    assert cli_admins(cli_env) == {"third@example.org"}
    result = cli("user", "admin", "nobody@example.org")
    assert result.exit_code == 1 and "No account for nobody@example.org" in result.output


def test_a_guest_cannot_be_an_admin(app):
    with app.app_context():
        guest = User(email="guest-1@join.minuted.invalid", password_hash="!", guest=True)
        db.session.add(guest)
        db.session.flush()
        with pytest.raises(invites.AdminError, match="guest"):
            invites.set_admin(guest, True)


# --- who may see the page ---

def test_the_admin_pages_are_not_there_for_anyone_else(app, client, parent, admin):
    with app.app_context():
        invite_id = invites.create(auth.find_user(admin.email))[0].id
        db.session.commit()
    # test that a family's account gets 404, for the page and for each write, and no link to it
    assert parent.client.get("/admin/families").status_code == 404
    assert parent.post("/admin/invites", {"email": "x@example.org"}).status_code == 404
    assert parent.post(f"/admin/invites/{invite_id}/revoke").status_code == 404
    assert "/admin/families" not in parent.client.get("/account").text
    # test that the admin page looks to them like an address that isn't there
    def page(path):
        return re.sub(r'data-rendered-at="[^"]*"', "", parent.client.get(path).text)

    assert page("/admin/families") == page("/admin/nothing-here")
    # test that nobody signed in is sent to sign in, and comes back after
    visitor = app.test_client()
    response = visitor.get("/admin/families")
    assert response.status_code == 302 and response.location == "/login?next=/admin/families"
    token = csrf_of(visitor.get("/login"))
    response = visitor.post("/admin/invites", data={"email": "x@example.org", "csrf_token": token})
    assert response.status_code == 302 and response.location.startswith("/login")
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Invite)).scalar() == 1
        assert db.session.get(Invite, invite_id).revoked_at is None


# --- making an invite ---

def test_an_admin_makes_an_invite_and_sees_the_link_once(app, admin):
    response, link = make_invite(admin, email="Family@Example.org", note="The Okafors")
    assert re.fullmatch(r"http://localhost/invite/[A-Za-z0-9_-]{40,}", link), link
    assert "shown only this once" in response.text
    token = path_of(link).rsplit("/", 1)[1]
    # test that only the token's hash is kept, with the invite's address, note and expiry
    row = invite_row(app, link)
    assert (row.email, row.note) == ("family@example.org", "The Okafors")
    assert row.expires_at - row.created_at == timedelta(days=14)
    assert row.used_at is row.used_by is row.revoked_at is None
    with app.app_context():
        assert row.created_by == auth.find_user(admin.email).id
        dump = "\n".join(db.session.connection().connection.driver_connection.iterdump())
    assert token not in dump
    # test that the page never shows it again, but lists the invite
    page = admin.client.get("/admin/families")
    assert token not in page.text and shown_link(page.text) is None
    assert "The Okafors" in page.text and "Not used yet" in page.text and "by admin@example.org" in page.text


def test_invite_days_is_a_setting(app, admin):
    app.config["INVITE_DAYS"] = 3
    row = invite_row(app, make_invite(admin)[1])
    assert row.expires_at - row.created_at == timedelta(days=3)


@pytest.mark.parametrize("fields, field, message", [
    ({"email": "not an address"}, "email", "Enter an email address"),
    ({"email": "a@example.org, b@example.org"}, "email", "Enter an email address"),
    ({"email": "admin@example.org"}, "email", "already an account"),
    ({"note": "x" * 121}, "note", "at most 120 characters"),
])
def test_an_invite_is_checked(app, admin, fields, field, message):
    response = post_invite(admin, fields)
    assert response.status_code == 422 and message in response.text
    assert f'id="f-{field}-error"' in response.text and shown_link(response.text) is None
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Invite)).scalar() == 0


def test_the_accounts_are_listed_without_guests_or_anything_of_theirs(app, admin, parent):
    meeting = parent.make_meeting(title="Year 5 annual review")
    with app.app_context():
        db.session.add(User(email="guest-1@join.minuted.invalid", password_hash="!", guest=True))
        db.session.commit()
    page = admin.client.get("/admin/families").text
    accounts = page.split('id="accounts-title"', 1)[1]
    assert "admin@example.org" in accounts and "parent@example.org" in accounts
    assert accounts.count("· admin") == 1
    # test that nothing a family keeps is on the page
    for kept in ("guest-1@join", "S.J.", "Oak Primary", "Year 5 annual review", meeting["id"]):
        assert kept not in page


# --- using an invite ---

def test_an_invite_makes_exactly_one_account_and_signs_it_in(app, admin):
    _, link = make_invite(admin, note="The Okafors")
    family = app.test_client()
    page = family.get(path_of(link))
    assert page.status_code == 200 and "Create account" in page.text
    assert "At least 10 characters" in page.text
    # test that a bad password is refused, and the invite still works
    response = family.post(path_of(link), data={"email": "okafor@example.org", "password": "short",
                                                "csrf_token": csrf_of(page)})
    assert response.status_code == 422 and "at least 10 characters" in response.text
    assert 'value="short"' not in response.text  # a password is never sent back into the page
    response = family.post(path_of(link), data={"email": "okafor@example.org", "password": FAMILY_PASSWORD,
                                                "csrf_token": csrf_of(page)})
    assert response.status_code == 302 and response.location == "/children/new"
    assert users(app) == {"admin@example.org": True, "okafor@example.org": False}
    # test that the new account is signed in, and the invite says by whom it was used
    page = family.get("/children/new")
    assert page.status_code == 200 and "Your account is ready" in page.text
    row = invite_row(app, link)
    with app.app_context():
        assert row.used_by == auth.find_user("okafor@example.org").id and row.used_at is not None
    assert "the account of okafor@example.org" in admin.client.get("/admin/families").text
    # test that the link is dead now: to look at and to post, for anyone
    for client in (app.test_client(), family):
        response = client.get(path_of(link))
        assert response.status_code == 410 and GONE in response.text
    response = accept(app.test_client(), link, "again@example.org")
    assert response.status_code == 410 and GONE in response.text
    assert set(users(app)) == {"admin@example.org", "okafor@example.org"}


def test_an_invite_posted_twice_at_once_makes_one_account(app, admin, monkeypatch):
    _, link = make_invite(admin)
    real = auth.create_user

    def slow_create_user(*args, **kwargs):
        user = real(*args, **kwargs)
        time.sleep(0.3)  # hold the invite, claimed, while the other request tries it
        return user

    monkeypatch.setattr(auth, "create_user", slow_create_user)
    clients = [app.test_client() for _ in range(2)]
    tokens = [csrf_of(c.get(path_of(link))) for c in clients]
    start = threading.Barrier(2)
    statuses = {}

    def post(i):
        start.wait()
        response = clients[i].post(path_of(link), data={"email": f"family{i}@example.org",
                                                        "password": FAMILY_PASSWORD, "csrf_token": tokens[i]})
        statuses[i] = response.status_code

    threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses.values()) == [302, 410]
    made = set(users(app)) - {"admin@example.org"}
    assert len(made) == 1
    with app.app_context():
        assert invite_row(app, link).used_by == auth.find_user(made.pop()).id


def test_an_invite_used_meanwhile_makes_no_account(app, admin):
    _, link = make_invite(admin)
    with app.test_request_context():
        invite = invites.find(path_of(link).rsplit("/", 1)[1])
        assert invite is not None
        # another process uses it between this request's look and its write
        with db.engine.begin() as other:
            other.execute(db.update(Invite).where(Invite.id == invite.id).values(used_at=now_utc()))
        assert invites.accept(invite, "late@example.org", FAMILY_PASSWORD) is None
        db.session.rollback()
    assert "late@example.org" not in users(app)


def test_expired_and_revoked_invites_answer_410(app, admin):
    _, expired = make_invite(admin, note="Expired one")
    set_invite(app, expired, expires_at=now_utc() - timedelta(minutes=1))
    _, revoked = make_invite(admin, note="Revoked one")
    response = admin.post(f"/admin/invites/{invite_row(app, revoked).id}/revoke", token_from="/admin/families")
    assert response.status_code == 302 and response.location == "/admin/families#invites-title"
    page = admin.client.get("/admin/families").text
    assert "The invite is revoked" in page
    assert re.search(r"Expired one.*?Expired \d", page, re.S) and re.search(r"Revoked one.*?Revoked \d", page, re.S)
    for link in (expired, revoked):
        response = app.test_client().get(path_of(link))
        assert response.status_code == 410 and GONE in response.text
        response = accept(app.test_client(), link, "late@example.org")
        assert response.status_code == 410
    assert "late@example.org" not in users(app)
    # test that an unknown token is the same page
    response = app.test_client().get("/invite/not-a-real-token")
    assert response.status_code == 410 and GONE in response.text


def test_a_used_invite_cannot_be_revoked_and_a_deleted_account_is_named_so(app, admin):
    _, link = make_invite(admin)
    family = app.test_client()
    assert accept(family, link, "family@example.org").status_code == 302
    response = admin.post(f"/admin/invites/{invite_row(app, link).id}/revoke", token_from="/admin/families")
    assert response.status_code == 302
    assert "has been used already" in admin.client.get("/admin/families").text
    assert invite_row(app, link).revoked_at is None
    # test that revoking an invite that isn't there is a 404
    assert admin.post("/admin/invites/999/revoke", token_from="/admin/families").status_code == 404
    # test that the invite outlives the account it made (and the admin who made it)
    page = family.get("/account")
    response = family.post("/account/delete", data={"password": FAMILY_PASSWORD, "csrf_token": csrf_of(page)})
    assert response.status_code == 302
    assert "the account of an account since deleted" in admin.client.get("/admin/families").text


def test_an_invite_for_one_email_ignores_another_posted(app, admin):
    _, link = make_invite(admin, email="family@example.org")
    family = app.test_client()
    page = family.get(path_of(link))
    assert re.search(r'<input id="f-email" name="email" type="email"\s+value="family@example.org"[^>]*readonly', page.text)
    response = accept(family, link, "someone.else@example.org")
    assert response.status_code == 302
    assert set(users(app)) == {"admin@example.org", "family@example.org"}


def test_someone_signed_in_is_asked_to_sign_out_first(app, admin, parent):
    _, link = make_invite(admin)
    page = parent.client.get(path_of(link))
    assert page.status_code == 200 and "sign out first" in page.text and "parent@example.org" in page.text
    assert 'name="password"' not in page.text
    response = parent.client.post(path_of(link), data={"email": "second@example.org", "password": FAMILY_PASSWORD,
                                                       "csrf_token": csrf_of(page)})
    assert response.status_code == 409 and "sign out first" in response.text
    assert "second@example.org" not in users(app)
    assert invite_row(app, link).used_at is None
    # test that the session is still the parent's
    assert "parent@example.org" in parent.client.get("/account").text


def test_guessing_tokens_is_limited(app, admin):
    app.config["LOGIN_TRIES"] = 3
    _, link = make_invite(admin)
    visitor = app.test_client()
    for i in range(3):
        assert visitor.get(f"/invite/guess-{i}").status_code == 410
    response = visitor.get("/invite/guess-4")
    assert response.status_code == 429 and "Retry-After" in response.headers
    # test that a real link waits too: the limit is per address, not per token
    assert visitor.get(path_of(link)).status_code == 429


# --- escaping and CSRF ---

def test_the_note_and_email_are_escaped_where_shown(app, admin):
    note = "<script>alert(1)</script>"
    address = "o'brien&sons@example.org"
    response, link = make_invite(admin, email=address, note=note + "\r\nBcc: x")
    for page in (response.text, admin.client.get("/admin/families").text):
        assert note not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert address not in page and "o&#39;brien&amp;sons@example.org" in page
    # test that the note is kept on one line, as display names are
    assert invite_row(app, link).note == note + " Bcc: x"
    page = app.test_client().get(path_of(link)).text
    assert address not in page and 'value="o&#39;brien&amp;sons@example.org"' in page
    assert "alert(1)" not in page  # the note is the admin's: the family never sees it


def test_every_post_needs_the_csrf_token(app, admin):
    _, link = make_invite(admin)
    invite_id = invite_row(app, link).id
    posts = {
        "/admin/invites": (admin.client, {"email": "x@example.org"}),
        f"/admin/invites/{invite_id}/revoke": (admin.client, {}),
        path_of(link): (app.test_client(), {"email": "x@example.org", "password": FAMILY_PASSWORD}),
    }
    # test that these are every POST of the feature
    rules = {r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.") and "POST" in r.methods}
    assert rules == {"/admin/invites", "/admin/invites/<int:invite_id>/revoke", "/invite/<token>"}
    for path, (client, data) in posts.items():
        for token in (None, "forged"):
            response = client.post(path, data=data if token is None else {**data, "csrf_token": token})
            assert response.status_code == 400 and "did not come from Minuted" in response.text, path
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Invite)).scalar() == 1
    row = invite_row(app, link)
    assert row.revoked_at is None and row.used_at is None
    assert "x@example.org" not in users(app)


# --- emailing the link ---

def test_the_link_is_emailed_through_a_real_smtp_server(smtp_app, smtp_server):  # noqa: F811
    _, inbox = smtp_server
    admin = make_admin(smtp_app)
    form = admin.client.get("/admin/families").text
    assert "Email the link" in form
    response, link = make_invite(admin, email="family@example.org", note="The Okafors", send="yes")
    assert "It has been emailed to <strong>family@example.org</strong>" in response.text
    assert len(inbox.messages) == 1
    sent = inbox.messages[0]
    assert sent["to"] == ["family@example.org"] and sent["from"] == "admin@example.org"
    msg = email.message_from_bytes(sent["data"], policy=email.policy.default)
    assert msg["Subject"] == "Your invitation to Minuted"
    text = msg.get_body(("plain",)).get_content()
    assert text.strip().endswith(link) and "invited to make an account" in text
    assert "Okafors" not in sent["data"].decode()  # the note is the admin's own
    assert f'href="{link}"' in msg.get_body(("html",)).get_content()
    # test that the emailed link makes the account
    assert accept(smtp_app.test_client(), link, "ignored@example.org").status_code == 302
    assert "family@example.org" in users(smtp_app)
    # test that an invite with no address, or without the box ticked, sends nothing
    make_invite(admin, send="yes")
    make_invite(admin, email="other@example.org")
    assert len(inbox.messages) == 1


def test_a_mail_server_that_refuses_is_a_message_not_an_error(tmp_path, migrated_db):
    import shutil

    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(migrated_db, data / "minuted.sqlite3")
    app = make_app(data, SMTP_URL=f"smtp://127.0.0.1:{free_port()}")  # nothing listens there
    admin = make_admin(app)
    response, link = make_invite(admin, email="family@example.org", send="yes")
    assert "The link was not emailed: The mail server did not accept the message" in response.text
    assert "It has been emailed" not in response.text
    assert invite_row(app, link).used_at is None
    with app.app_context():
        db.engine.dispose()


def test_no_email_box_where_the_server_cannot_send_and_a_path_without_a_known_address(app, admin, monkeypatch):
    assert "Email the link" not in admin.client.get("/admin/families").text
    # test that a host that is not one of this machine's names gets a path and a note, never that host
    monkeypatch.setattr("server.tls.lan_names", lambda: ([], []))
    response = post_invite(admin)
    link = shown_link(response.text)
    assert re.fullmatch(r"/invite/[A-Za-z0-9_-]{40,}", link) and "http://localhost/invite" not in response.text
    assert "MINUTED_PUBLIC_URL" in response.text
    app.config["PUBLIC_URL"] = "https://minuted.example.org"
    response = post_invite(admin)
    assert shown_link(response.text).startswith("https://minuted.example.org/invite/")


# --- the migration ---

PREVIOUS = "4f2a8c1e7d35"


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def test_the_migration_makes_the_earliest_family_an_admin(tmp_path, request, database):
    settings = {"DATABASE_URL": request.getfixturevalue("fresh_postgres")} if database == "postgresql" else {}
    app = make_app(tmp_path / "data", **settings)
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS, revision=PREVIOUS)
        # a partner's guest account came first, then two families
        for uid, address, guest, day in [("g", "guest-1@join.minuted.invalid", True, 1),
                                         ("b", "second@example.org", False, 3),
                                         ("a", "first@example.org", False, 2)]:
            db.session.execute(db.text(
                'INSERT INTO "user" (id, email, password_hash, guest, created_at) VALUES (:id, :email, :hash, :guest, :at)'
            ), {"id": uid, "email": address, "hash": "!", "guest": guest, "at": datetime(2026, 1, day, 9, 0)})
        db.session.commit()
        upgrade()
        assert users(app) == {"guest-1@join.minuted.invalid": False, "first@example.org": True,
                              "second@example.org": False}
        # test that downgrading drops the table and the column, and upgrading again works
        flask_migrate.downgrade(directory=MIGRATIONS, revision=PREVIOUS)
        inspector = db.inspect(db.engine)
        assert "invite" not in inspector.get_table_names()
        assert "is_admin" not in {c["name"] for c in inspector.get_columns("user")}
        upgrade()
        assert users(app)["first@example.org"] is True
        db.session.remove()
        db.engine.dispose()


def test_the_migration_on_an_empty_database_makes_nobody_admin(tmp_path):
    app = make_app(tmp_path / "data")
    with app.app_context():
        upgrade()
        assert users(app) == {}
        db.engine.dispose()
    # test that first-run setup then makes the admin
    client = app.test_client()
    page = client.get("/setup")
    client.post("/setup", data={"email": "first@example.org", "password": PASSWORD, "csrf_token": csrf_of(page)})
    assert users(app) == {"first@example.org": True}
