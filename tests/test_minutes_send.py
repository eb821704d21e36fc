"""Sending the minutes: the covering note on every channel, the parent's copy, the confirmation step, the signature."""
import email
import html as html_lib
import re
from email import policy
from urllib.parse import unquote

import pytest

import minutes_scripted
from server.db import db
from server.minutes import letters
from server.minutes import render
from server.models import Meeting
from server.models import User

SIGNATURE = "Alex Jones\nParent of Sam, Year 5\n07700 900123"
TO = ["senco@oak.example", "head@oak.example"]


@pytest.fixture
def meeting_id(app, parent):
    app.config["MAIL_BACKEND"] = "memory"
    return minutes_scripted.load(app, parent.email)


def outbox(app):
    return app.extensions.get("minuted_mail_outbox", [])


def sign(parent, display_name="Alex Jones", signature=SIGNATURE):
    """Save the name and signature on the account page."""
    response = parent.post("/account/profile", {"display_name": display_name, "signature": signature},
                           token_from="/account")
    assert response.status_code == 302, response.text
    return response


def press_send(parent, meeting_id, to=TO, cc=(), copy_me=True, **extra):
    """Press "Send by email" on the send page, as a browser without JavaScript would."""
    data = {"to": list(to), "cc": list(cc), **extra}
    if copy_me:
        data["copy_me"] = "1"  # the box is ticked; an unticked box sends nothing
    return parent.post(f"/meetings/{meeting_id}/minutes/send", data, token_from=f"/meetings/{meeting_id}/minutes/send")


def confirm_form(page):
    """The hidden fields of the confirmation page's "Send now" form."""
    form = re.search(r"<form[^>]*data-confirm-send.*?</form>", page, re.S).group(0)
    fields = {}
    for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form):
        fields.setdefault(name, []).append(html_lib.unescape(value))
    return {k: v if k in ("to", "cc") else v[0] for k, v in fields.items() if k != "csrf_token"}


def send(parent, meeting_id, **kwargs):
    """Press "Send by email", then "Send now"; return the parsed message the memory backend got."""
    page = press_send(parent, meeting_id, **kwargs)
    assert page.status_code == 200 and "Check before sending" in page.text
    response = parent.post(f"/meetings/{meeting_id}/minutes/send", confirm_form(page.text),
                           token_from=f"/meetings/{meeting_id}/minutes/send")
    assert response.status_code == 302
    return email.message_from_bytes(outbox(parent.app)[-1]["data"], policy=policy.default)


def bodies(message):
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    return text, message.get_body(("html",)).get_content().replace("\r\n", "\n")


# --- the covering note ---


def test_email_greets_the_to_recipients_and_signs_off_with_the_signature(app, parent, meeting_id):
    sign(parent)
    minutes = parent.api("GET", f"/meetings/{meeting_id}/minutes").json
    message = send(parent, meeting_id, cc=["rachel.green@northshire.example"])
    text, html = bodies(message)
    # test that the text part is: greeting, what this is, the minutes, the sign-off and the signature's lines
    assert text.startswith(
        "Dear Ms Priya Khan and Mr David Lee,\n\n"
        "Please find below my notes of Sam J.'s EHCP annual review on Tuesday 1 December 2026, "
        "also attached as a Word document.")
    assert "\n\n" + render.to_text(minutes["markdown"]) + "\n" in text
    assert text.endswith("\n\nKind regards,\nAlex Jones\nParent of Sam, Year 5\n07700 900123\n")
    # test that the HTML part says the same, the signature's lines kept as lines
    assert "<p>Dear Ms Priya Khan and Mr David Lee,</p>" in html
    assert "<p>Kind regards,<br>\nAlex Jones<br>\nParent of Sam, Year 5<br>\n07700 900123</p>" in html
    # test that the sender is named, and the Word document is the minutes alone
    assert message["From"] == f"Alex Jones <{parent.email}>"
    docx = next(message.iter_attachments()).get_payload(decode=True)
    assert render.docx_lines(docx) == render.plain_lines(minutes["markdown"])


@pytest.mark.parametrize(
    "display_name, signature, ending",
    [
        ("Alex Jones", "", "Kind regards,\nAlex Jones\n"),
        ("", "", "Kind regards,\n"),
    ],
)
def test_sign_off_falls_back_to_the_name_then_nothing(app, parent, meeting_id, display_name, signature, ending):
    if display_name or signature:
        sign(parent, display_name, signature)
    text, _ = bodies(send(parent, meeting_id))
    assert text.endswith("\n\n" + ending)


@pytest.mark.parametrize(
    "to, greeting",
    [
        (["senco@oak.example"], "Dear Ms Priya Khan,"),
        (["senco@oak.example", "head@oak.example", "rachel.green@northshire.example"],
         "Dear Ms Priya Khan, Mr David Lee and Ms Rachel Green,"),
        # test that an address the meeting has no name for makes it "Dear all"
        (["senco@oak.example", "office@oak.example"], "Dear all,"),
    ],
)
def test_greeting(app, parent, meeting_id, to, greeting):
    text, html = bodies(send(parent, meeting_id, to=to))
    assert text.startswith(greeting + "\n\n")
    assert f"<p>{html_lib.escape(greeting, quote=False)}</p>" in html


def test_us_minutes_sign_off_sincerely(app, parent):
    app.config["MAIL_BACKEND"] = "memory"
    meeting_id = minutes_scripted.load(app, parent.email, script=minutes_scripted.variant("us_iep"))
    sign(parent)
    text, _ = bodies(send(parent, meeting_id))
    assert "my notes of Sam J.'s IEP annual review on Tuesday, December 1, 2026, also attached" in text
    assert text.endswith("\n\nSincerely,\nAlex Jones\nParent of Sam, Year 5\n07700 900123\n")


def test_eml_mail_link_and_copied_text_carry_the_covering_note(app, client, parent, meeting_id):
    sign(parent)
    minutes = parent.api("GET", f"/meetings/{meeting_id}/minutes").json
    # the .eml
    message = email.message_from_bytes(parent.api("GET", f"/meetings/{meeting_id}/minutes.eml").data,
                                       policy=policy.default)
    text, html = bodies(message)
    assert text.startswith("Dear Ms Priya Khan, Mr David Lee and Ms Rachel Green,\n\nPlease find below my notes")
    assert text.endswith("Kind regards,\nAlex Jones\nParent of Sam, Year 5\n07700 900123\n")
    assert "<p>Kind regards,<br>\nAlex Jones<br>" in html
    # test that the .eml is not copied to the parent: their own mail program keeps the sent copy
    assert parent.email not in (message["Cc"] or "")
    # the send page: the text to copy and the mail link
    page = client.get(f"/meetings/{meeting_id}/minutes/send").text
    copied = html_lib.unescape(re.search(r'<textarea id="minutes-text"[^>]*>(.*?)</textarea>', page, re.S).group(1))
    assert copied.startswith("Dear Ms Priya Khan, Mr David Lee and Ms Rachel Green,\n\nPlease find below")
    assert render.to_text(minutes["markdown"]).strip() in copied
    assert copied.endswith("Kind regards,\nAlex Jones\nParent of Sam, Year 5\n07700 900123\n")
    href = html_lib.unescape(re.search(r'href="(mailto:[^"]+)"', page).group(1))
    body = unquote(href.split("body=", 1)[1])
    assert body.startswith("Dear Ms Priya Khan, Mr David Lee and Ms Rachel Green,\n\nPlease find below my notes")


def test_one_function_for_every_channel(app, parent, meeting_id):
    sign(parent)
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        user = db.session.execute(db.select(User)).scalar_one()
        wrapped = letters.covering_letter(meeting, "# Notes\n\nThe minutes.\n", TO, user)
        # test that the minutes sit between the note and the sign-off, as Markdown
        assert wrapped == (
            "Dear Ms Priya Khan and Mr David Lee,\n\n"
            "Please find below my notes of Sam J.'s EHCP annual review on Tuesday 1 December 2026, also attached "
            "as a Word document. Please keep them with the school's records of the meeting.\n\n"
            "# Notes\n\nThe minutes.\n\n"
            "Kind regards,  \nAlex Jones  \nParent of Sam, Year 5  \n07700 900123\n"
        )
        assert letters.covering_letter(meeting, "x", [], None).endswith("x\n\nKind regards,\n")


# --- the parent's copy ---


def test_parent_is_copied_unless_unticked(app, parent, meeting_id):
    message = send(parent, meeting_id, cc=["rachel.green@northshire.example"])
    assert message["Cc"] == f"rachel.green@northshire.example, {parent.email}"
    assert outbox(app)[-1]["to"] == [*TO, "rachel.green@northshire.example", parent.email]
    # test that the box unticked means no copy
    message = send(parent, meeting_id, copy_me=False)
    assert message["Cc"] is None and outbox(app)[-1]["to"] == TO
    # test that the parent is not copied twice when they are already a recipient
    message = send(parent, meeting_id, to=[*TO, parent.email])
    assert message["Cc"] is None and outbox(app)[-1]["to"] == [*TO, parent.email]


def test_send_page_offers_the_copy_ticked(client, parent, meeting_id):
    page = client.get(f"/meetings/{meeting_id}/minutes/send").text
    assert re.search(r'<input type="checkbox" name="copy_me" value="1" checked> Send me a copy', page)


@pytest.mark.parametrize("copy_me, cc", [(None, "parent@example.org"), (True, "parent@example.org"), (False, None)])
def test_api_send_copies_the_parent_by_default(app, parent, meeting_id, copy_me, cc):
    data = {"to": ["senco@oak.example"], **({} if copy_me is None else {"copy_me": copy_me})}
    response = parent.api("POST", f"/meetings/{meeting_id}/minutes/send", data)
    assert response.status_code == 201, response.json
    message = email.message_from_bytes(outbox(app)[-1]["data"], policy=policy.default)
    assert message["Cc"] == cc


def test_api_copy_me_must_be_a_boolean(parent, meeting_id):
    response = parent.api("POST", f"/meetings/{meeting_id}/minutes/send",
                          {"to": ["senco@oak.example"], "copy_me": "no"})
    assert response.status_code == 422
    assert response.json == {"error": {"code": "invalid", "message": "'copy_me' is true or false.",
                                       "fields": {"copy_me": "true or false"}}}


# --- confirm before sending ---


def test_first_press_shows_the_confirmation_and_sends_nothing(app, parent, meeting_id, monkeypatch):
    sign(parent)
    monkeypatch.setattr("server.views.minutes.unchecked_count", lambda meeting: 3)
    page = press_send(parent, meeting_id, cc=["rachel.green@northshire.example"])
    assert page.status_code == 200 and outbox(app) == []
    text = html_lib.unescape(re.sub(r"<[^>]+>", "", page.text))
    # test that it shows who gets it, the subject, how the email starts, and the unchecked points
    assert "To\n  Ms Priya Khan <senco@oak.example>, Mr David Lee <head@oak.example>" in text
    assert f"Cc\n  Ms Rachel Green <rachel.green@northshire.example>, you <{parent.email}>" in text
    assert "Notes of Sam J.'s EHCP annual review, Tuesday 1 December 2026 (parent's record)" in text
    start = html_lib.unescape(re.search(r'<pre[^>]*id="email-start">(.*?)</pre>', page.text, re.S).group(1))
    assert start.startswith("Dear Ms Priya Khan and Mr David Lee,\n\nPlease find below my notes of Sam J.'s")
    assert "3 points in these minutes come from the recording and you have not checked them yet." in text
    assert f'<a href="/meetings/{meeting_id}/review">Check them first</a>' in page.text


def test_one_unchecked_point_and_none(parent, meeting_id, monkeypatch):
    monkeypatch.setattr("server.views.minutes.unchecked_count", lambda meeting: 1)
    assert "1 point in these minutes comes from the recording" in press_send(parent, meeting_id).text
    monkeypatch.setattr("server.views.minutes.unchecked_count", lambda meeting: 0)
    assert 'id="unchecked-warning"' not in press_send(parent, meeting_id).text


def test_unchecked_count_uses_open_count_when_suggestions_has_it(app, parent, meeting_id, monkeypatch):
    from server.minutes import suggestions
    from server.views.minutes import unchecked_count

    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        if not hasattr(suggestions, "open_count"):
            assert unchecked_count(meeting) == len(suggestions.find(meeting))
        monkeypatch.setattr(suggestions, "open_count", lambda meeting: 7, raising=False)
        assert unchecked_count(meeting) == 7


@pytest.mark.parametrize(
    "form",
    [
        # a POST that says confirm=1 but never saw the confirmation page
        {"confirm": "1", "to": TO},
        {"confirm": "1", "confirmation": "forged", "to": TO},
    ],
)
def test_post_without_a_real_confirmation_sends_nothing(app, parent, meeting_id, form):
    response = parent.post(f"/meetings/{meeting_id}/minutes/send", form,
                           token_from=f"/meetings/{meeting_id}/minutes/send")
    assert outbox(app) == []
    assert response.status_code == 200 and "Check before sending" in response.text


def test_no_recipient_is_refused_before_the_confirmation(app, client, parent, meeting_id):
    response = press_send(parent, meeting_id, to=[], cc=["head@oak.example"])
    assert response.status_code == 302 and outbox(app) == []
    page = client.get(response.headers["Location"]).text
    assert "Choose at least one recipient (To)." in page
    # test that the parent's choices are kept
    assert re.search(r'name="cc" value="head@oak.example" checked', page)


def test_confirmation_tampered_with_sends_nothing(app, parent, meeting_id):
    fields = confirm_form(press_send(parent, meeting_id).text)
    fields["confirmation"] = fields["confirmation"][:-2] + "xx"
    fields["to"] = ["someone@evil.example"]
    response = parent.post(f"/meetings/{meeting_id}/minutes/send", fields,
                           token_from=f"/meetings/{meeting_id}/minutes/send")
    # test that it is shown again (to the recipients now in the form) rather than sent
    assert response.status_code == 200 and outbox(app) == []
    assert "someone@evil.example" in response.text and "Check before sending" in response.text


def test_confirmed_twice_is_sent_once(app, client, parent, meeting_id):
    fields = confirm_form(press_send(parent, meeting_id).text)
    for _ in range(2):
        response = parent.post(f"/meetings/{meeting_id}/minutes/send", fields,
                               token_from=f"/meetings/{meeting_id}/minutes/send")
        assert response.status_code == 302
    assert len(outbox(app)) == 1
    assert "That email was already sent" in client.get(response.headers["Location"]).text
    log = parent.api("GET", f"/meetings/{meeting_id}/sent").json["sent"]
    assert [s["channel"] for s in log] == ["smtp"]


def test_minutes_edited_after_the_confirmation_are_confirmed_again(app, parent, meeting_id):
    fields = confirm_form(press_send(parent, meeting_id).text)
    v1 = parent.api("GET", f"/meetings/{meeting_id}/minutes").json
    parent.api("PUT", f"/meetings/{meeting_id}/minutes", {"markdown": v1["markdown"] + "\nOne more line.\n"})
    response = parent.post(f"/meetings/{meeting_id}/minutes/send", fields,
                           token_from=f"/meetings/{meeting_id}/minutes/send")
    assert response.status_code == 200 and outbox(app) == []
    assert "with version 2 of the minutes" in response.text


def test_confirmation_is_for_its_own_meeting(app, parent, meeting_id):
    other = minutes_scripted.load(app, parent.email, prefix="y")
    fields = confirm_form(press_send(parent, meeting_id).text)
    response = parent.post(f"/meetings/{other}/minutes/send", fields, token_from=f"/meetings/{other}/minutes/send")
    assert response.status_code == 200 and outbox(app) == []


# --- the signature and the name are untrusted text ---


def test_signature_is_text_everywhere(app, parent, meeting_id):
    sign(parent, signature="<script>alert('x')</script>\n**Alex** [me](javascript:alert(1))\n- Sam's mum\n1. one\n--")
    text, html = bodies(send(parent, meeting_id))
    # test that the HTML part has it as escaped text, with no link, emphasis or list made of it
    signed = html.split("Kind regards,", 1)[1]
    assert "&lt;script&gt;alert(" in signed and "<script" not in html
    assert "<a " not in signed and "<strong>" not in signed and "<li>" not in signed
    assert "[me](javascript:alert(1))" in signed
    # test that the text part has it exactly as typed, line by line (the "--" separator dropped)
    assert text.endswith("Kind regards,\n<script>alert('x')</script>\n**Alex** [me](javascript:alert(1))\n"
                         "- Sam's mum\n1. one\n")


def test_signature_control_characters_are_stripped_when_saved(app, parent):
    sign(parent, display_name="Alex\x07 Jones", signature="Alex\x01 Jones\r\n\x1b[31mParent\tof Sam\r\n\n\n\n07700")
    with app.app_context():
        user = db.session.execute(db.select(User)).scalar_one()
        assert user.display_name == "Alex Jones"
        assert user.signature == "Alex Jones\n[31mParent of Sam\n\n07700"


def test_signature_is_limited_to_1000_characters(app, parent):
    response = parent.post("/account/profile", {"display_name": "A", "signature": "x" * 1001}, token_from="/account")
    assert response.status_code == 422
    assert "Use at most 1000 characters (this has 1001)." in response.text
    # test that what was typed is given back to fix
    assert "x" * 1001 in response.text
    assert parent.post("/account/profile", {"signature": "x" * 1000}, token_from="/account").status_code == 302


def test_crlf_in_the_name_adds_no_header(app, parent, meeting_id):
    sign(parent, display_name="Alex\r\nBcc: spy@evil.example", signature="")
    message = send(parent, meeting_id)
    assert message["Bcc"] is None and "spy@evil.example" not in outbox(app)[-1]["to"]
    assert message["From"] == f'"Alex Bcc: spy@evil.example" <{parent.email}>'
    # test that a name stored some other way (not through the page) is cleaned when the email is built
    with app.app_context():
        user = db.session.execute(db.select(User)).scalar_one()
        user.display_name = "Alex\r\nBcc: spy@evil.example\r\n"
        db.session.commit()
    message = send(parent, meeting_id)
    assert message["Bcc"] is None and "spy@evil.example" not in outbox(app)[-1]["to"]
    raw = outbox(app)[-1]["data"]
    assert not re.search(rb"^Bcc:", raw, re.MULTILINE)


def test_account_page_shows_and_saves_the_signature(client, parent):
    page = client.get("/account").text
    assert 'name="display_name"' in page and 'name="signature"' in page
    sign(parent)
    page = client.get("/account").text
    assert 'value="Alex Jones"' in page and ">Alex Jones\nParent of Sam, Year 5\n07700 900123</textarea>" in page


def test_export_holds_the_name_and_signature(client, parent):
    import io
    import json
    import zipfile

    sign(parent)
    data = json.loads(zipfile.ZipFile(io.BytesIO(client.get("/account/export.zip").data)).read("data.json"))
    assert data["account"]["display_name"] == "Alex Jones" and data["account"]["signature"] == SIGNATURE


# --- letters sign off with the signature ---


@pytest.mark.parametrize("jurisdiction, letter, closing", [("england", "written_reasons", "Yours sincerely,"),
                                                           ("us", "pwn_request", "Sincerely,")])
def test_letters_sign_off_with_the_signature(app, parent, jurisdiction, letter, closing):
    script = minutes_scripted.variant("us_iep" if jurisdiction == "us" else "england_ehcp_annual_review")
    meeting_id = minutes_scripted.load(app, parent.email, script=script)
    # test that without a name or signature the letter is signed as the child's parent
    markdown = parent.api("GET", f"/meetings/{meeting_id}/letters/{letter}").json["markdown"]
    assert markdown.endswith(f"{closing}  \nParent of Sam J.\n")
    sign(parent)
    body = parent.api("GET", f"/meetings/{meeting_id}/letters/{letter}").json
    assert body["markdown"].endswith(f"{closing}  \nAlex Jones  \nParent of Sam, Year 5  \n07700 900123\n")
    assert f"<p>{closing}<br>\nAlex Jones<br>\nParent of Sam, Year 5<br>\n07700 900123</p>" in body["html"]
    assert render.to_text(body["markdown"]).endswith(f"{closing}\nAlex Jones\nParent of Sam, Year 5\n07700 900123\n")


def test_letter_page_copies_the_parent(app, parent, meeting_id):
    response = parent.post(f"/meetings/{meeting_id}/letters/written_reasons", {
        "action": "send", "subject": "Reasons please", "markdown": "Dear Mr Lee,\n\nMy own words.",
        "to": ["head@oak.example"], "copy_me": "1",
    }, token_from=f"/meetings/{meeting_id}/letters/written_reasons")
    assert response.status_code == 302
    assert outbox(app)[-1]["to"] == ["head@oak.example", parent.email]


# --- Markdown hard line breaks read the same in every format ---


def test_hard_line_breaks_in_text_html_and_docx():
    markdown = "Kind regards,  \nAlex  \nYear 5\n\nsoft\nwrap"
    assert render.to_text(markdown) == "Kind regards,\nAlex\nYear 5\n\nsoft wrap\n"
    assert str(render.to_html(markdown)) == "<p>Kind regards,<br>\nAlex<br>\nYear 5</p>\n<p>soft\nwrap</p>"
    assert render.docx_lines(render.to_docx(markdown)) == render.plain_lines(markdown) == [
        "Kind regards,\nAlex\nYear 5", "soft wrap"]


@pytest.mark.parametrize(
    "text, markdown",
    [
        ("Alex\nParent of Sam", "Alex  \nParent of Sam"),
        ("- Sam's mum", "\\- Sam's mum"),
        ("> quoted\n1. one\n2) two", "\\> quoted  \n1\\. one  \n2\\) two"),
        ("Alex\n\n--\n====\n*Sam*", "Alex  \n\\*Sam\\*"),
        ("Alex\x00\x1b", "Alex"),
        ("", ""),
    ],
)
def test_md_lines(text, markdown):
    assert render.md_lines(text) == markdown
