"""Accounts: first-run setup, sign in and out, rate limits, CSRF, API tokens."""
import re

from server import auth
from server.db import db
from server.models import ApiToken
from server.models import User
from conftest import PASSWORD
from conftest import Parent


def csrf_of(response):
    return re.search(r'name="csrf-token" content="([^"]+)"', response.text).group(1)


def test_first_visit_asks_for_an_account(client):
    # test that with no accounts every page leads to setup
    response = client.get("/")
    assert response.status_code == 302 and response.location == "/setup"
    assert client.get("/login").location == "/setup"
    page = client.get("/setup")
    assert page.status_code == 200 and "Create account" in page.text
    response = client.post("/setup", data={"email": "Me@Example.org ", "password": PASSWORD, "csrf_token": csrf_of(page)})
    assert response.status_code == 302 and response.location == "/children/new"
    # test that the new parent is signed in and setup is closed
    assert client.get("/").status_code == 200
    assert client.get("/setup").location == "/login"


def test_setup_validation(client):
    page = client.get("/setup")
    response = client.post("/setup", data={"email": "nope", "password": "short", "csrf_token": csrf_of(page)})
    assert response.status_code == 200
    assert "Enter an email address" in response.text and "at least 10 characters" in response.text


def test_password_is_stored_as_argon2(app, parent):
    with app.app_context():
        user = db.session.execute(db.select(User)).scalar_one()
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


def test_login_and_logout(app, client):
    parent = Parent(app, client)
    parent.create()
    assert client.get("/").status_code == 200
    response = parent.post("/logout")
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache"'
    assert client.get("/").location.startswith("/login")
    # test that a wrong password is refused with the same message as an unknown email
    page = client.get("/login")
    wrong = client.post("/login", data={"email": parent.email, "password": "wrong password!", "csrf_token": csrf_of(page)})
    unknown = client.post("/login", data={"email": "who@example.org", "password": "wrong password!", "csrf_token": csrf_of(page)})
    assert wrong.status_code == unknown.status_code == 401
    assert "don&#39;t match an account" in wrong.text and "don&#39;t match an account" in unknown.text


def test_login_redirects_only_within_the_site(app, client):
    parent = Parent(app, client)
    parent.create()
    parent.post("/logout")
    for target, expected in (("/children/new", "/children/new"), ("https://evil.example/", "/"), ("//evil.example", "/")):
        page = client.get("/login")
        response = client.post(
            f"/login?next={target}", data={"email": parent.email, "password": PASSWORD, "csrf_token": csrf_of(page)}
        )
        assert response.location == expected
        parent.post("/logout")


def test_login_is_rate_limited(app, client):
    parent = Parent(app, client)
    with app.app_context():
        auth.create_user(parent.email, PASSWORD)
        db.session.commit()
    token = csrf_of(client.get("/login"))
    statuses = [
        client.post("/login", data={"email": parent.email, "password": "guess-guess", "csrf_token": token}).status_code
        for _ in range(12)
    ]
    # test that after 10 tries a minute the login answers 429
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]


def test_forms_without_csrf_token_are_refused(parent):
    response = parent.client.post("/children/new", data={"name": "A", "jurisdiction": "england", "plan_type": "ehcp"})
    assert response.status_code == 400
    assert "expired" in response.text
    response = parent.client.post("/children/new", data={"name": "A", "csrf_token": "forged"})
    assert response.status_code == 400
    assert parent.api("GET", "/children").get_json()["children"] == []


def test_logout_needs_csrf(parent):
    assert parent.client.post("/logout").status_code == 400
    assert parent.client.get("/").status_code == 200


def test_bearer_token(app, parent):
    token = parent.api_token()
    assert token.startswith("mtd_")
    with app.app_context():
        row = db.session.execute(db.select(ApiToken)).scalar_one()
        # test that only a hash of the token is stored
        assert token not in row.token_hash and len(row.token_hash) == 64
    anonymous = app.test_client()
    response = anonymous.get("/api/v1/children", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    # test that a bearer token works for writes without a CSRF token (no cookie is involved)
    response = anonymous.post("/api/v1/children", json={"name": "T"}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201


def test_session_cookie_flags(app, client):
    parent = Parent(app, client)
    parent.create()
    cookie = client.get_cookie("minuted_session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_email_is_unique(app):
    with app.app_context():
        auth.create_user("a@example.org", PASSWORD)
        db.session.commit()
        try:
            auth.create_user("A@example.org", PASSWORD)
        except auth.ValidationError as e:
            assert "already an account" in e.fields["email"]
        else:
            raise AssertionError("duplicate email accepted")


def test_session_cookie_is_secure_over_https(app):
    client = app.test_client()
    parent = Parent(app, client)
    with app.app_context():
        auth.create_user(parent.email, PASSWORD)
        db.session.commit()
    page = client.get("/login", base_url="https://minuted.example")
    client.post(
        "/login", base_url="https://minuted.example",
        data={"email": parent.email, "password": PASSWORD, "csrf_token": csrf_of(page)},
    )
    cookie = client.get_cookie("minuted_session", domain="minuted.example")
    assert cookie is not None and cookie.secure


def test_behind_a_tls_proxy(tmp_path):
    from conftest import make_app

    app = make_app(tmp_path, TRUSTED_PROXIES=1)

    @app.get("/_scheme")
    def scheme():
        from flask import request

        return request.scheme

    client = app.test_client()
    assert client.get("/_scheme", headers={"X-Forwarded-Proto": "https"}).text == "https"


def test_a_message_shown_once_is_not_set_back_by_a_response_in_flight(app, client):
    """"Added Ms Patel." is shown on the page after the form; a request sent with the cookie from before that page
    (a script, an API read) answers later and must not put the message back for the next page."""
    parent = Parent(app, client)
    parent.create()
    page = client.get("/children/new")
    response = client.post("/children/new", data={"name": "Sam", "jurisdiction": "england", "plan_type": "ehcp",
                                                  "csrf_token": csrf_of(page)})
    assert response.status_code == 302
    with_message = client.get_cookie("minuted_session").value
    assert "Added Sam." in client.get(response.headers["Location"]).text
    shown = client.get_cookie("minuted_session").value
    assert shown != with_message  # the page took the message out
    client.set_cookie("minuted_session", with_message)
    late = client.get("/api/v1/children")
    assert late.status_code == 200
    assert "Set-Cookie" not in late.headers  # the late answer leaves the cookie as the page set it
    client.set_cookie("minuted_session", shown)
    assert "Set-Cookie" in client.get("/api/v1/children").headers  # otherwise refreshed on every response, as before
    assert "Added Sam." not in client.get("/").text  # shown once


def test_a_page_token_survives_responses_that_were_in_flight(app, client):
    """A page's requests run at once, and each response re-sets the session cookie: the token stays the same."""
    parent = Parent(app, client)
    parent.create()
    signed_in = client.get_cookie("minuted_session").value
    page = client.get("/")
    # a request sent with the cookie from the sign-in answers after the page, and its cookie wins
    client.set_cookie("minuted_session", signed_in)
    assert client.get("/api/v1/children").status_code == 200
    # test that the page's token still works for a form and for an API write
    response = client.post("/children/new", data={"name": "Sam", "jurisdiction": "england", "plan_type": "ehcp",
                                                  "csrf_token": csrf_of(page)})
    assert response.status_code == 302
    response = client.post("/api/v1/children", json={"name": "Alex", "jurisdiction": "england"},
                           headers={"X-CSRFToken": csrf_of(page)})
    assert response.status_code == 201, response.get_json()
