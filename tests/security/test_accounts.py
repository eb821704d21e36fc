"""Accounts (issue 18, items 6 and 9): sessions that end, passwords, API tokens, and a limiter in the database.

Signing out bumps the account's session_version, so a copy of the cookie stops
working (and so do the account's other sessions: the page says so). Failed
sign-ins and join-code tries are LoginAttempt rows, so two app instances on one
database, or an app started again, see the same count.
"""
import email
import email.policy
import re
from datetime import timedelta

import pytest
from click.testing import CliRunner

from conftest import PASSWORD
from conftest import Parent
from conftest import make_app
from server import auth
from server.cli import main
from server.db import db
from server.db import now_utc
from server.models import ApiToken
from server.models import LoginAttempt
from server.models import User

NEW_PASSWORD = "seven purple lanterns drifting"


def csrf_of(response):
    return re.search(r'name="csrf-token" content="([^"]+)"', response.text).group(1)


def login(client, address, password=PASSWORD, **kwargs):
    token = csrf_of(client.get("/login", **kwargs))
    return client.post("/login", data={"email": address, "password": password, "csrf_token": token}, **kwargs)


def signed_in(client):
    """Whether client's cookie still signs someone in (a page and the API both agree)."""
    page = client.get("/")
    api = client.get("/api/v1/children")
    assert (page.status_code == 200) == (api.status_code == 200), (page.status_code, api.status_code)
    if page.status_code != 200:
        assert page.status_code == 302 and page.location.startswith("/login")
        assert api.status_code == 401
    return page.status_code == 200


def copy_cookie(source, target):
    target.set_cookie("minuted_session", source.get_cookie("minuted_session").value)


# --- sessions that end ---

def test_a_copied_cookie_stops_working_after_logout(app, parent):
    thief = app.test_client()
    copy_cookie(parent.client, thief)
    assert signed_in(thief)
    response = parent.post("/logout")
    assert response.status_code == 302 and response.location == "/login"
    # test that neither the browser that signed out nor the copy of its cookie signs anyone in
    assert not signed_in(parent.client)
    assert not signed_in(thief)
    # test that signing in again works, and the old copy stays dead
    assert login(parent.client, parent.email).status_code == 302
    assert signed_in(parent.client) and not signed_in(thief)


def test_the_account_page_says_signing_out_signs_out_everywhere(parent):
    page = parent.client.get("/account").text
    assert "Sign out everywhere" in page
    assert "signs you out <strong>everywhere</strong>" in page


def test_sign_out_everywhere_ends_every_session(app, parent):
    phone = Parent(app, app.test_client()).login()
    assert signed_in(phone.client)
    response = parent.post("/account/sign-out-everywhere", token_from="/account")
    assert response.status_code == 302 and response.location == "/login"
    assert not signed_in(parent.client) and not signed_in(phone.client)


def test_a_session_from_before_session_versions_or_too_old_signs_nobody_in(app, parent):
    with parent.client.session_transaction() as session:
        del session["sv"]
    assert not signed_in(parent.client)
    parent.login()
    app.config["SESSION_ABSOLUTE_LIFETIME"] = 0
    assert not signed_in(parent.client)


# --- passwords: change, reset from the command line, reset by email ---

def test_password_change_needs_the_current_password_and_ends_other_sessions(app, parent):
    phone = Parent(app, app.test_client()).login()
    response = parent.post("/account/password", {"current_password": "not my password", "new_password": NEW_PASSWORD})
    assert response.status_code == 422 and "isn&#39;t your current password" in response.text
    response = parent.post("/account/password", {"current_password": PASSWORD, "new_password": "password12"})
    assert response.status_code == 422 and "most common passwords" in response.text
    # test that nothing changed so far
    assert signed_in(phone.client)
    response = parent.post("/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert response.status_code == 302
    # test that this browser stays signed in and every other session ends
    assert signed_in(parent.client) and not signed_in(phone.client)
    assert login(app.test_client(), parent.email).status_code == 401
    assert login(app.test_client(), parent.email, NEW_PASSWORD).status_code == 302


def cli(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def cli_env(app, monkeypatch):
    """The CLI builds its own app on the test app's data directory (and sets MINUTED_DATA_DIR: put it back)."""
    monkeypatch.setenv("MINUTED_DATA_DIR", app.config["DATA_DIR"])
    monkeypatch.setenv("MINUTED_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("MINUTED_ARGON2_MEMORY_KIB", "1024")
    return app.config["DATA_DIR"]


def test_cli_resets_a_password(app, parent, cli_env):
    parent.api_token()
    result = cli("user", "password", parent.email, "--stdin", input="password12\n")
    assert result.exit_code == 1 and "most common passwords" in result.output
    result = cli("user", "password", "nobody@example.org", "--stdin", input=NEW_PASSWORD + "\n")
    assert result.exit_code == 1 and "No account for nobody@example.org" in result.output
    assert signed_in(parent.client)
    result = cli("user", "password", parent.email.upper(), "--stdin", input=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "signed out everywhere" in result.output
    # test that the sessions ended, the new password works, and the API token was left alone
    assert not signed_in(parent.client)
    assert login(app.test_client(), parent.email).status_code == 401
    assert login(app.test_client(), parent.email, NEW_PASSWORD).status_code == 302
    assert parent.api("GET", "/children").status_code == 200


def test_cli_password_prompts_twice(app, parent, cli_env):
    typed = f"{NEW_PASSWORD}\nsomething else entirely\n{NEW_PASSWORD}\n{NEW_PASSWORD}\n"
    result = cli("user", "password", parent.email, input=typed)
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output.lower()
    assert login(app.test_client(), parent.email, NEW_PASSWORD).status_code == 302


@pytest.fixture
def mail_app(app):
    app.config["MAIL_BACKEND"] = "memory"
    return app


def outbox(app):
    return app.extensions.get("minuted_mail_outbox", [])


def reset_link(app, parent):
    """Ask for a reset link for parent and return it, checking the email holds the link and nothing else."""
    client = app.test_client()
    before = len(outbox(app))
    page = client.get("/forgot")
    response = client.post("/forgot", data={"email": parent.email, "csrf_token": csrf_of(page)})
    assert response.status_code == 200 and "on its way" in response.text
    assert len(outbox(app)) == before + 1
    sent = outbox(app)[-1]
    assert sent["to"] == [parent.email]
    msg = email.message_from_bytes(sent["data"], policy=email.policy.default)
    text = msg.get_body(("plain",)).get_content().strip()
    assert re.fullmatch(r"http://localhost/reset/[A-Za-z0-9_.\-]+", text), text
    body = msg.get_body(("html",)).get_content().split("<body", 1)[1].split(">", 1)[1]
    assert re.sub(r"<[^>]+>|\s", "", body) == text
    return text.removeprefix("http://localhost")


def test_forgotten_password_only_where_email_can_be_sent(app, client, parent):
    assert client.get("/forgot").status_code == 404
    assert "Forgotten your password?" not in client.get("/login").text
    app.config["MAIL_BACKEND"] = "memory"
    assert "Forgotten your password?" in client.get("/login").text


def test_a_reset_link_works_once(mail_app, parent):
    app = mail_app
    link = reset_link(app, parent)
    visitor = app.test_client()
    page = visitor.get(link)
    assert page.status_code == 200 and "Set a new password" in page.text
    response = visitor.post(link, data={"password": " " * 10, "csrf_token": csrf_of(page)})
    assert response.status_code == 422 and "at least 10 characters" in response.text
    response = visitor.post(link, data={"password": NEW_PASSWORD, "csrf_token": csrf_of(page)})
    assert response.status_code == 302 and response.location == "/login"
    # test that the reset signed the account out everywhere, and the new password works
    assert not signed_in(parent.client)
    assert login(app.test_client(), parent.email, NEW_PASSWORD).status_code == 302
    # test that the link is dead once used, for a look and for another try
    assert visitor.get(link).status_code == 400
    fresh = csrf_of(visitor.get("/login"))  # the reset ended the visitor's session, and its CSRF token
    response = visitor.post(link, data={"password": "another fine passphrase", "csrf_token": fresh})
    assert response.status_code == 400 and "already been used" in response.text
    assert login(app.test_client(), parent.email, NEW_PASSWORD).status_code == 302


def test_a_reset_link_dies_when_the_password_changes_otherwise(mail_app, parent):
    link = reset_link(mail_app, parent)
    changed = parent.post("/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 302
    assert mail_app.test_client().get(link).status_code == 400


def test_a_reset_link_expires_after_an_hour(mail_app, parent, monkeypatch):
    from itsdangerous.timed import TimestampSigner

    link = reset_link(mail_app, parent)
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) + 59 * 60)
    assert mail_app.test_client().get(link).status_code == 200
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) + 61 * 60)
    response = mail_app.test_client().get(link)
    assert response.status_code == 400 and "expired" in response.text


def test_a_forged_reset_link_is_refused(mail_app, parent):
    with mail_app.test_request_context():
        user = auth.find_user(parent.email)
        from itsdangerous import URLSafeTimedSerializer

        forged = URLSafeTimedSerializer("another secret", salt="minuted-password-reset").dumps([user.id, "0" * 20])
    assert mail_app.test_client().get(f"/reset/{forged}").status_code == 400
    assert mail_app.test_client().get("/reset/not-a-token").status_code == 400


def test_asking_for_a_reset_says_nothing_about_who_has_an_account(mail_app, parent):
    client = mail_app.test_client()
    page = client.get("/forgot")
    known = client.post("/forgot", data={"email": parent.email, "csrf_token": csrf_of(page)})
    unknown = client.post("/forgot", data={"email": "nobody@example.org", "csrf_token": csrf_of(page)})
    assert known.status_code == unknown.status_code == 200
    assert same_page(known.text, parent.email) == same_page(unknown.text, "nobody@example.org")
    assert len(outbox(mail_app)) == 1


def same_page(text, address):
    """The page less the address asked about and what differs from one second to the next (the time it was drawn
    and the signed CSRF token, both of which carry a timestamp): the two answers' words and markup."""
    text = text.replace(address, "X")
    text = re.sub(r'data-rendered-at="[^"]*"', 'data-rendered-at=""', text)
    return re.sub(r'((?:name="csrf-token" content|name="csrf_token" value)=")[^"]*"', r'\1"', text)


def test_a_reset_link_never_points_at_a_host_header_as_sent(mail_app, parent):
    client = mail_app.test_client()
    page = client.get("/forgot", base_url="http://evil.example")
    client.post("/forgot", base_url="http://evil.example", data={"email": parent.email, "csrf_token": csrf_of(page)})
    assert outbox(mail_app) == []
    # test that a configured public address is used instead
    mail_app.config["PUBLIC_URL"] = "https://minuted.example.org"
    client.post("/forgot", base_url="http://evil.example", data={"email": parent.email, "csrf_token": csrf_of(page)})
    assert b"https://minuted.example.org/reset/" in outbox(mail_app)[0]["data"]
    assert b"evil.example" not in outbox(mail_app)[0]["data"]


# --- the password policy ---

@pytest.mark.parametrize("password, why", [
    ("password12", "most common"),
    (" " * 10, "at least 10 characters"),
    ("   short    ", "at least 10 characters"),
    ("Password2024!", "most common"),
    ("qwertyuiop", "most common"),
    ("1234567890", "most common"),
    ("Sunshine 123", "most common"),
    ("grandmother", "email address"),
    ("Grandmother1", "email address"),
    ("grandmother@example.org", "email address"),
    ("x" * 1025, "too long"),
])
def test_weak_passwords_are_refused(app, password, why):
    with app.app_context():
        assert why in auth.password_problem(password, "grandmother@example.org")


def test_good_passwords_are_accepted(app):
    with app.app_context():
        for password in (PASSWORD, NEW_PASSWORD, "  padded but long enough  ", "Tr0ub4dor&3xyz"):
            assert auth.password_problem(password, "parent@example.org") is None, password


def test_sign_up_refuses_weak_passwords(client):
    for password, message in (
        ("password12", "most common passwords"),
        (" " * 10, "at least 10 characters"),
        ("samantha.jones", "your email address"),
    ):
        page = client.get("/setup")
        response = client.post(
            "/setup", data={"email": "samantha.jones@example.org", "password": password, "csrf_token": csrf_of(page)}
        )
        assert response.status_code == 200 and message in response.text.replace("&#39;", "'"), password
    assert client.get("/").location == "/setup"


def test_the_common_list_is_a_few_thousand_lower_case_passwords(app):
    common = auth.common_passwords()
    assert 2000 < len(common) < 20000
    assert all(p == p.lower() and p.strip() == p and " " not in p for p in common)
    assert {"password", "qwertyuiop", "iloveyou", "1qaz2wsx", "aaaaaaaaaa"} <= common
    # the test suites' passphrase is deliberately not on it (tools/make_common_passwords.py says why)
    assert "correcthorsebatterystaple" not in common


# --- API tokens: list, revoke, expire ---

def make_token(app, address, name, expires_days=None):
    with app.app_context():
        value = auth.new_token(auth.find_user(address), name=name, expires_days=expires_days)
        db.session.commit()
    return value


def bearer(app, token):
    return app.test_client().get("/api/v1/children", headers={"Authorization": f"Bearer {token}"})


def test_tokens_are_listed_and_revoked_on_the_account_page(app, parent, other_parent):
    laptop = make_token(app, parent.email, "Laptop script", expires_days=30)
    backup = make_token(app, parent.email, "Backup job")
    theirs = make_token(app, other_parent.email, "Their token")
    page = parent.client.get("/account").text
    assert "Laptop script" in page and "Backup job" in page and "Their token" not in page
    assert "never used" in page and "no expiry" in page and "expires " in page
    assert bearer(app, laptop).status_code == 200
    assert "last used" in parent.client.get("/account").text
    with app.app_context():
        ids = {t.name: t.id for t in db.session.execute(db.select(ApiToken)).scalars()}
    # test that another account's token can't be revoked from here
    response = parent.post(f"/account/tokens/{ids['Their token']}/revoke", token_from="/account")
    assert response.status_code == 404 and bearer(app, theirs).status_code == 200
    response = parent.post(f"/account/tokens/{ids['Laptop script']}/revoke", token_from="/account")
    assert response.status_code == 302
    # test that a revoked token answers 401, and the others still work
    assert bearer(app, laptop).status_code == 401
    assert bearer(app, backup).status_code == 200
    assert "Laptop script" not in parent.client.get("/account").text


def test_an_expired_token_answers_401(app, parent):
    token = make_token(app, parent.email, "Short-lived", expires_days=1)
    assert bearer(app, token).status_code == 200
    with app.app_context():
        row = db.session.execute(db.select(ApiToken).where(ApiToken.name == "Short-lived")).scalar_one()
        row.expires_at = now_utc() - timedelta(seconds=1)
        db.session.commit()
    response = bearer(app, token)
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"
    assert "expired" in parent.client.get("/account").text


def test_tokens_from_the_command_line(app, parent, cli_env):
    result = cli("token", "list", parent.email)
    assert result.exit_code == 0 and "has no API tokens" in result.output
    result = cli("token", parent.email, "--name", "Sync", "--expires-days", "7")
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert bearer(app, token).status_code == 200
    result = cli("token", "new", parent.email, "--name", "Forever")
    forever = result.output.strip()
    assert cli("token", parent.email, "--expires-days", "0").exit_code == 2
    listing = cli("token", "list", parent.email).output
    lines = [line.split("\t") for line in listing.strip().splitlines()]
    assert [line[1] for line in lines] == ["Forever", "Sync"]
    assert lines[0][4] == "expires never" and lines[1][4].startswith("expires 20")
    assert lines[1][3] != "last used -"  # it was just used
    assert token not in listing and forever not in listing
    # test that revoking takes the token's id, only for the account that owns it
    sync_id = lines[1][0]
    other = cli("token", "revoke", "other@example.org", sync_id)
    assert other.exit_code == 1 and "No account" in other.output
    result = cli("token", "revoke", parent.email, sync_id)
    assert result.exit_code == 0 and f"Revoked token {sync_id}" in result.output
    assert bearer(app, token).status_code == 401 and bearer(app, forever).status_code == 200
    result = cli("token", "revoke", parent.email, sync_id)
    assert result.exit_code == 1 and f"no token {sync_id}" in result.output


# --- deleting the account needs the password ---

def test_deleting_the_account_needs_the_password(app, parent):
    response = parent.post("/account/delete", {"confirm": parent.email}, token_from="/account")
    assert response.status_code == 302 and response.location == "/account#delete-title"
    response = parent.post("/account/delete", {"password": "not the password"}, token_from="/account")
    assert response.status_code == 302 and signed_in(parent.client)
    with app.app_context():
        assert auth.find_user(parent.email) is not None
    response = parent.post("/account/delete", {"password": PASSWORD}, token_from="/account")
    assert response.status_code == 302
    with app.app_context():
        assert auth.find_user(parent.email) is None


# --- the limiter: in the database, shared and kept ---

@pytest.fixture
def account(app):
    with app.app_context():
        auth.create_user("parent@example.org", PASSWORD)
        db.session.commit()
    return "parent@example.org"


def test_the_eleventh_bad_login_is_429(app, account):
    client = app.test_client()
    statuses = [login(client, account, "a wrong guess").status_code for _ in range(10)]
    assert statuses == [401] * 10
    response = login(client, account, "a wrong guess")
    assert response.status_code == 429
    assert 14 * 60 < int(response.headers["Retry-After"]) <= 15 * 60
    assert "Too many tries" in response.text
    # test that the right password waits too: the limit isn't a hint that a guess was right
    assert login(client, account).status_code == 429


def test_the_limit_holds_across_app_instances_and_restarts(app, account):
    other = make_app(app.config["DATA_DIR"])  # a second process on the same database
    first, second = app.test_client(), other.test_client()
    for i in range(10):
        assert login(first if i % 2 else second, account, "a wrong guess").status_code == 401
    assert login(first, account, "a wrong guess").status_code == 429
    assert login(second, account, "a wrong guess").status_code == 429
    # test that an app started again still knows
    restarted = make_app(app.config["DATA_DIR"])
    assert login(restarted.test_client(), account).status_code == 429
    with other.app_context():
        db.engine.dispose()
    with restarted.app_context():
        db.engine.dispose()


def test_the_limit_is_per_email_and_per_address(app, account):
    client = app.test_client()
    # test that one address trying many emails is stopped
    for i in range(10):
        assert login(client, f"guess{i}@example.org", "a wrong guess").status_code == 401
    assert login(client, "guess99@example.org", "a wrong guess").status_code == 429
    # test that another address may still sign in, and the email's own count is separate
    elsewhere = {"environ_base": {"REMOTE_ADDR": "192.0.2.7"}}
    assert login(app.test_client(), account, **elsewhere).status_code == 302
    # test that one email tried from many addresses is stopped
    for i in range(10):
        address = {"environ_base": {"REMOTE_ADDR": f"198.51.100.{i}"}}
        assert login(app.test_client(), account, "a wrong guess", **address).status_code == 401
    address = {"environ_base": {"REMOTE_ADDR": "198.51.100.99"}}
    assert login(app.test_client(), account, **address).status_code == 429


def test_a_right_password_clears_the_emails_count(app, account):
    client = app.test_client()
    for _ in range(9):
        login(client, account, "a wrong guess")
    assert login(client, account).status_code == 302
    other = app.test_client()
    assert login(other, account, "a wrong guess", environ_base={"REMOTE_ADDR": "192.0.2.8"}).status_code == 401


def test_old_tries_are_forgotten(app, account):
    client = app.test_client()
    for _ in range(10):
        login(client, account, "a wrong guess")
    assert login(client, account).status_code == 429
    with app.app_context():
        for row in db.session.execute(db.select(LoginAttempt)).scalars():
            row.at = row.at - timedelta(minutes=15, seconds=1)
        db.session.commit()
    assert login(client, account, "a wrong guess").status_code == 401
    # test that old rows are pruned when a new failure is counted
    with app.app_context():
        rows = db.session.execute(db.select(LoginAttempt)).scalars().all()
        assert len(rows) == 2 and all(now_utc() - r.at < timedelta(minutes=1) for r in rows)
        # test that emails and addresses are not kept as typed
        assert not [r for r in rows if account in r.key or "127.0.0.1" in r.key]


def test_join_code_tries_are_limited_per_address(app, parent):
    parent.api_token()
    statuses = [parent.api("POST", "/join", {"code": f"WRONG{i}"}).status_code for i in range(10)]
    assert statuses == [403] * 10
    response = parent.api("POST", "/join", {"code": "WRONG11"})
    assert response.status_code == 429 and response.get_json()["error"]["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) > 0
    # test that the page a partner joins on counts against the same address
    response = parent.post("/join", {"code": "WRONG12"})
    assert response.status_code == 429
    # test that another address may still try
    other = parent.api("POST", "/join", {"code": "WRONG13"}, environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert other.status_code == 403


def test_a_guest_session_still_works(app, parent):
    """A partner who joins with a code signs in by the session too: it carries the session version."""
    meeting = parent.make_meeting()
    code = parent.api("POST", f"/meetings/{meeting['id']}/join-codes", {"minutes": 60}).get_json()["code"]
    partner = app.test_client()
    page = partner.get(f"/join?code={code}")
    response = partner.post("/join", data={"code": code, "csrf_token": csrf_of(page)})
    assert response.status_code == 302
    assert partner.get(f"/api/v1/meetings/{meeting['id']}").status_code == 200
    with app.app_context():
        assert db.session.execute(db.select(User).where(User.guest)).scalar_one().session_version == 0
