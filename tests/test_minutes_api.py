"""The minutes API and pages: versions, edits, preview, letters, audio, hand-offs, access and injection."""
import email
import io
import re
from email import policy

import pypdf
import pytest
from icalendar import Calendar

import minutes_scripted
from server.db import db
from server.minutes import render
from server.minutes import drafting
from server.models import Meeting

PAYLOADS = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "[click me](javascript:alert(1))",
    "**bold** _it_ # heading ![i](http://evil.example/x.png)",
    "</textarea><svg onload=alert(1)>",
    "\nBEGIN:VEVENT\nSUMMARY:injected\nEND:VEVENT\n",
]
EVIL = " | ".join(PAYLOADS)


def main(page):
    """The page's own content (the layout around it carries the app's module scripts)."""
    return page.split('<main id="main">', 1)[1].split("</main>", 1)[0]


def assert_inert(html):
    """No live tags or attributes from the payloads: they may appear only as escaped text."""
    assert not re.search(r"<(script|img|svg|iframe)\b", html, re.IGNORECASE), html
    assert not re.search(r"<[^>]*\son\w+\s*=", html, re.IGNORECASE)
    assert not re.search(r"=\s*[\"']?\s*javascript:", html, re.IGNORECASE)
    assert "</textarea><" not in html


@pytest.fixture
def meeting_id(app, parent):
    return minutes_scripted.load(app, parent.email, audio_seconds=20)


def test_get_drafts_the_first_version(parent, meeting_id):
    response = parent.api("GET", f"/meetings/{meeting_id}/minutes")
    assert response.status_code == 200
    body = response.json
    assert body["version"] == 1 and body["source"] == "draft"
    assert body["markdown"].startswith("# Notes of Sam J.'s EHCP annual review")
    assert "<h1>Notes of Sam J." in body["html"]
    assert body["text"].startswith("Notes of Sam J.")
    assert [v["version"] for v in body["versions"]] == [1]


def test_edit_is_a_new_version_and_redraft_keeps_it(parent, meeting_id):
    v1 = parent.api("GET", f"/meetings/{meeting_id}/minutes").json
    edited = v1["markdown"].replace("- Not recorded as discussed.\n\n### 4.4",
                                    "- Not reached; the head said he would email about transport.\n\n### 4.4")
    assert edited != v1["markdown"]
    response = parent.api("PUT", f"/meetings/{meeting_id}/minutes", {"markdown": edited, "base_version": 1})
    assert response.status_code == 201
    assert response.json["version"] == 2 and response.json["source"] == "edit"
    # test that a stale edit is refused rather than overwriting
    stale = parent.api("PUT", f"/meetings/{meeting_id}/minutes", {"markdown": "# x\n", "base_version": 1})
    assert stale.status_code == 409
    # accept a suggestion in another section, then redraft: the edit to 4.3 survives, the new marker arrives
    refusal = next(s for s in parent.api("GET", f"/meetings/{meeting_id}/suggestions").json["suggestions"]
                   if "speech therapy at home" in s["text"])
    parent.api("POST", f"/meetings/{meeting_id}/suggestions/{refusal['id']}/accept", {})
    redraft = parent.api("POST", f"/meetings/{meeting_id}/minutes", {})
    assert redraft.status_code == 200
    body = redraft.json
    assert "the head said he would email about transport" in body["markdown"]
    assert "We can't offer speech therapy at home" in body["markdown"]
    assert body["conflicts"] == []
    # test that older versions stay readable
    assert parent.api("GET", f"/meetings/{meeting_id}/minutes?version=1").json["markdown"] == v1["markdown"]
    assert parent.api("GET", f"/meetings/{meeting_id}/minutes?version=99").status_code == 404


def test_redraft_warns_before_replacing_an_edited_section(parent, meeting_id):
    v1 = parent.api("GET", f"/meetings/{meeting_id}/minutes").json
    edited = v1["markdown"].replace("Reason given: No budget", "Reason given (my words): No budget")
    parent.api("PUT", f"/meetings/{meeting_id}/minutes", {"markdown": edited})
    refusal = next(s for s in parent.api("GET", f"/meetings/{meeting_id}/suggestions").json["suggestions"]
                   if "speech therapy at home" in s["text"])
    parent.api("POST", f"/meetings/{meeting_id}/suggestions/{refusal['id']}/accept", {})
    # the accepted refusal lands in 4.2 (not edited): no conflict yet
    plan = parent.api("POST", f"/meetings/{meeting_id}/minutes", {"dry_run": True}).json
    assert plan["conflicts"] == [] and plan["version"] is None
    # now edit 4.2 too: the new refusal and the edit collide there
    current = parent.api("GET", f"/meetings/{meeting_id}/minutes").json
    edited = current["markdown"].replace("- Question, the parent:", "- Question I raised:")
    assert edited != current["markdown"]
    parent.api("PUT", f"/meetings/{meeting_id}/minutes", {"markdown": edited})
    other = next(s for s in parent.api("GET", f"/meetings/{meeting_id}/suggestions").json["suggestions"]
                 if s["kind"] == "refusal" and "budget" in s["text"])
    parent.api("POST", f"/meetings/{meeting_id}/suggestions/{other['id']}/accept", {})
    plan = parent.api("POST", f"/meetings/{meeting_id}/minutes", {"dry_run": True}).json
    assert "4.1 Daily 1:1 reading support" in plan["conflicts"]
    # and one in the edited 4.2 as well
    other = next(s for s in parent.api("GET", f"/meetings/{meeting_id}/suggestions").json["suggestions"]
                 if s["kind"] == "commitment" and "before half term." in s["text"])
    parent.api("POST", f"/meetings/{meeting_id}/suggestions/{other['id']}/accept", {})
    plan = parent.api("POST", f"/meetings/{meeting_id}/minutes", {"dry_run": True}).json
    assert "4.2 Speech and language therapy" in plan["conflicts"]
    kept = parent.api("POST", f"/meetings/{meeting_id}/minutes", {}).json
    assert "- Question I raised:" in kept["markdown"] and "4.2 Speech and language therapy" in kept["conflicts"]
    replaced = parent.api("POST", f"/meetings/{meeting_id}/minutes",
                          {"replace": ["4.2 Speech and language therapy"]}).json
    assert "- Question I raised:" not in replaced["markdown"]
    assert replaced["replaced"] == ["4.2 Speech and language therapy"]
    assert "Reason given (my words)" in replaced["markdown"]


def test_preview_is_sanitised(parent, meeting_id):
    response = parent.api("POST", f"/meetings/{meeting_id}/minutes/preview", {"markdown": "# Hi\n\n" + EVIL})
    html = response.json["html"]
    assert "<h1>Hi</h1>" in html
    assert_inert(html)
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize("path", ["/minutes", "/suggestions", "/minutes.eml", "/minutes.docx", "/minutes.pdf",
                                  "/calendar.ics", "/sent", "/letters", "/letters/written_reasons.pdf"])
def test_api_needs_login_and_ownership(app, client, parent, other_parent, meeting_id, path):
    assert client.get(f"/api/v1/meetings/{meeting_id}{path}", headers={"Authorization": "Bearer nope"}).status_code == 401
    anonymous = app.test_client().get(f"/api/v1/meetings/{meeting_id}{path}")
    assert anonymous.status_code == 401 and anonymous.json["error"]["code"] == "unauthorized"
    response = other_parent.api("GET", f"/meetings/{meeting_id}{path}")
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


@pytest.mark.parametrize("path", ["/review", "/minutes/send", "/minutes/print", "/letters/written_reasons"])
def test_pages_need_login(app, parent, other_parent, meeting_id, path):
    response = app.test_client().get(f"/meetings/{meeting_id}{path}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert other_parent.client.get(f"/meetings/{meeting_id}{path}").status_code == 404


def test_review_page(client, parent, meeting_id):
    response = client.get(f"/meetings/{meeting_id}/review")
    assert response.status_code == 200
    page = response.text
    assert "That&#39;s not something we can offer" in page
    assert 'id="minutes-md"' in page and 'data-accept' in page
    assert f"/api/v1/meetings/{meeting_id}" in page
    # no inline script or style (CSP)
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert " style=" not in page and "<style" not in page


def test_audio_joins_the_chunks_in_order(app, parent, meeting_id):
    with app.app_context():
        recording = db.session.get(Meeting, meeting_id).recordings[0]
        recording_id = recording.id
        expected = b"".join(open(c.path, "rb").read() for c in recording.chunks)
    response = parent.api("GET", f"/meetings/{meeting_id}/recordings/{recording_id}/audio")
    assert response.status_code == 200 and response.data == expected
    assert response.headers["Content-Type"] == "audio/wav"
    # test that seeking works (range requests)
    part = parent.api("GET", f"/meetings/{meeting_id}/recordings/{recording_id}/audio", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.data == expected[100:200]


def test_send_page_and_handoffs_are_logged(app, client, parent, meeting_id):
    page = client.get(f"/meetings/{meeting_id}/minutes/send")
    assert page.status_code == 200
    assert "mailto:senco@oak.example,head@oak.example,rachel.green@northshire.example?cc=tom.patel" in page.text
    assert "Email isn't set up on this server" in page.text and "MINUTED_SMTP_URL" not in page.text
    minutes = parent.api("GET", f"/meetings/{meeting_id}/minutes").json
    import hashlib
    import html as html_lib

    # test that copy and share hash the text the page offers (the minutes in the covering note), print the minutes
    textarea = re.search(r'<textarea id="minutes-text"[^>]*>(.*?)</textarea>', page.text, re.S)
    offered = html_lib.unescape(textarea.group(1))
    assert offered.startswith("Dear ") and minutes["text"].strip() in offered
    for channel, handed in (("copy", offered), ("share", offered), ("print", minutes["text"])):
        response = parent.api("POST", f"/meetings/{meeting_id}/sent", {"channel": channel, "version": 1})
        assert response.status_code == 201
        assert response.json["sent"]["sha256"] == hashlib.sha256(handed.encode()).hexdigest()
    # test that the mail link's hash is of the link exactly as the page built it
    href = html_lib.unescape(re.search(r'href="(mailto:[^"]+)"', page.text).group(1))
    response = parent.api("POST", f"/meetings/{meeting_id}/sent", {"channel": "mailto", "version": 1})
    assert response.json["sent"]["sha256"] == hashlib.sha256(href.encode()).hexdigest()
    assert response.json["sent"]["recipients"][0] == "senco@oak.example"
    assert parent.api("POST", f"/meetings/{meeting_id}/sent", {"channel": "fax"}).status_code == 422
    log = parent.api("GET", f"/meetings/{meeting_id}/sent").json["sent"]
    assert sorted(s["channel"] for s in log) == ["copy", "mailto", "print", "share"]
    # test that the log is shown on the pages
    assert "Copied the minutes as text" in client.get(f"/meetings/{meeting_id}/minutes/send").text


def test_send_page_posts_through_the_mail_backend(app, client, parent, meeting_id):
    import html as html_lib

    app.config["MAIL_BACKEND"] = "memory"
    token = parent.csrf(f"/meetings/{meeting_id}/minutes/send")
    # test that the first press shows the confirmation and sends nothing
    response = client.post(f"/meetings/{meeting_id}/minutes/send",
                           data={"csrf_token": token, "to": ["senco@oak.example"], "cc": ["head@oak.example"],
                                 "copy_me": "1"})
    assert response.status_code == 200 and "Check before sending" in response.text
    assert app.extensions.get("minuted_mail_outbox", []) == []
    confirmation = html_lib.unescape(re.search(r'name="confirmation" value="([^"]+)"', response.text).group(1))
    response = client.post(f"/meetings/{meeting_id}/minutes/send",
                           data={"csrf_token": token, "confirm": "1", "confirmation": confirmation})
    assert response.status_code == 302
    outbox = app.extensions["minuted_mail_outbox"]
    assert len(outbox) == 1 and outbox[0]["to"] == ["senco@oak.example", "head@oak.example", parent.email]
    page = client.get(f"/meetings/{meeting_id}/minutes/send").text
    assert f"Sent to senco@oak.example, head@oak.example, {parent.email}" in page and "Emailed" in page


@pytest.mark.parametrize("jurisdiction, letter", [("england", "written_reasons"), ("us", "pwn_request")])
def test_letters(app, parent, jurisdiction, letter):
    script = minutes_scripted.variant("us_iep" if jurisdiction == "us" else "england_ehcp_annual_review")
    meeting_id = minutes_scripted.load(app, parent.email, script=script)
    letters = parent.api("GET", f"/meetings/{meeting_id}/letters").json["letters"]
    assert letter in {l["id"] for l in letters if l["ready"]}
    body = parent.api("GET", f"/meetings/{meeting_id}/letters/{letter}").json
    assert "Daily 1:1 reading with a TA: refused by Mr David Lee" in body["markdown"]
    assert "The reason given was: No budget for a one-to-one TA this year." in body["markdown"]
    if jurisdiction == "us":
        assert "34 CFR 300.503" in body["markdown"] and "Prior Written Notice" in body["subject"]
        assert "other options the IEP team considered" in body["markdown"]
        assert "- The LA will request a new SALT assessment" in body["markdown"]
    else:
        assert body["subject"] == "Sam J.: request for written reasons (EHCP annual review, Tuesday 1 December 2026)"
        assert "annual review report" in body["markdown"]
    app.config["MAIL_BACKEND"] = "memory"
    edited = body["markdown"].replace("Parent of Sam J.", "With thanks, Alex Jones")
    response = parent.api("POST", f"/meetings/{meeting_id}/letters/{letter}/send",
                          {"subject": body["subject"], "markdown": edited, "to": ["head@oak.example"]})
    assert response.status_code == 201
    sent = email.message_from_bytes(app.extensions["minuted_mail_outbox"][-1]["data"], policy=policy.default)
    assert "With thanks" in sent.get_body(("plain",)).get_content()
    assert response.json["sent"]["kind"] == "letter"
    assert parent.api("GET", f"/meetings/{meeting_id}/letters/nope").status_code == 404


def test_the_familys_own_no_is_not_put_to_the_school_as_its_refusal(app, parent):
    """The parent declining a reduced timetable is minuted as theirs; the written-reasons letter asks the school
    only about the school's refusals."""
    script = minutes_scripted.variant("england_ehcp_annual_review")
    script["events"].append({"id": "00000000-0000-4000-8000-0000000000f1", "kind": "refused", "at_ms": 160000,
                             "payload": {"text": "A reduced timetable, mornings only", "by": "a1"}})
    meeting_id = minutes_scripted.load(app, parent.email, script=script)
    body = parent.api("GET", f"/meetings/{meeting_id}/letters/written_reasons").json
    assert "Daily 1:1 reading with a TA: refused by Mr David Lee" in body["markdown"]
    assert "reduced timetable" not in body["markdown"].lower()
    minutes = parent.api("GET", f"/meetings/{meeting_id}/minutes").json
    # still in the minutes, as the family's own no
    assert "- Declined, Alex Jones" in minutes["markdown"] and "A reduced timetable, mornings only" in minutes["markdown"]


def test_letter_page_edits_and_downloads(client, parent, meeting_id):
    page = client.get(f"/meetings/{meeting_id}/letters/written_reasons")
    assert page.status_code == 200 and "What this letter should contain" in page.text
    token = parent.csrf(f"/meetings/{meeting_id}/letters/written_reasons")
    response = client.post(f"/meetings/{meeting_id}/letters/written_reasons", data={
        "csrf_token": token, "action": "eml", "subject": "Reasons please", "markdown": "Dear Mr Lee,\n\nMy own words.",
        "to": ["head@oak.example"],
    })
    assert response.status_code == 200 and response.headers["Content-Type"] == "message/rfc822"
    message = email.message_from_bytes(response.data, policy=policy.default)
    assert message["Subject"] == "Reasons please" and message["To"] == "head@oak.example"
    assert "My own words." in message.get_body(("plain",)).get_content()


def test_injection_is_inert_everywhere(app, client, parent):
    script = minutes_scripted.variant("england_ehcp_annual_review")
    script["attendees"][2]["name"] = "Mr Lee " + PAYLOADS[0]
    script["agenda"][0]["title"] = "Reading " + PAYLOADS[2]
    script["segments"][3]["text"] = "We cannot offer that " + EVIL
    for e in script["events"]:
        if e["kind"] in ("note", "refused", "action"):
            e["payload"]["text"] = e["payload"].get("text", "") + " " + EVIL
    script["events"][5]["payload"]["reason"] = EVIL
    meeting_id = minutes_scripted.load(app, parent.email, script=script)
    minutes = parent.api("GET", f"/meetings/{meeting_id}/minutes").json
    markdown, html = minutes["markdown"], minutes["html"]

    inert_html = assert_inert
    # test that Markdown syntax in captured text stays text: no links, images, emphasis or headings
    assert "<a " not in html and "<strong>" not in html and "<em>" not in html
    assert not re.search(r"^#+ .*heading", markdown, re.MULTILINE)
    assert "&lt;script&gt;alert(" in html
    inert_html(html)
    # the review page (autoescaped) and the send page
    for path in ("/review", "/minutes/send", "/minutes/print", "/letters/written_reasons"):
        inert_html(main(client.get(f"/meetings/{meeting_id}{path}").text))
    # the email's HTML part
    eml = email.message_from_bytes(parent.api("GET", f"/meetings/{meeting_id}/minutes.eml").data, policy=policy.default)
    email_html = eml.get_body(("html",)).get_content()
    inert_html(email_html)
    assert "&lt;script&gt;" in email_html
    # the DOCX holds the words as plain text
    docx = parent.api("GET", f"/meetings/{meeting_id}/minutes.docx").data
    lines = render.docx_lines(docx)
    assert any("<script>alert('x')</script>" in line for line in lines)
    assert any("[click me](javascript:alert(1))" in line for line in lines)
    # the PDF holds the words as text, and no link to anywhere
    reader = pypdf.PdfReader(io.BytesIO(parent.api("GET", f"/meetings/{meeting_id}/minutes.pdf").data))
    assert "<script>alert('x')</script>" in "".join("".join(page.extract_text() for page in reader.pages).split())
    uris = [str(a.get_object().get("/A", {}).get("/URI")) for page in reader.pages for a in page.get("/Annots") or []]
    assert not any("javascript" in uri or "evil" in uri for uri in uris), uris
    # the .ics: one event per thing, no injected components, text kept as text
    cal = Calendar.from_ical(parent.api("GET", f"/meetings/{meeting_id}/calendar.ics").data)
    summaries = [str(e["SUMMARY"]) for e in cal.walk("VEVENT")]
    assert "injected" not in summaries
    assert any("<script>alert('x')</script>" in s for s in summaries)
    assert all("\n" not in s for s in summaries)
    # letters too
    letter = parent.api("GET", f"/meetings/{meeting_id}/letters/written_reasons").json
    inert_html(letter["html"])
    # the evidence of each statement still parses and points at what was captured
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        assert drafting.draft(meeting) == drafting.draft(meeting)


def test_mail_link_says_when_the_minutes_are_too_long_for_it():
    from urllib.parse import unquote

    from server.views.minutes import MAILTO_MAX
    from server.views.minutes import mailto_url

    link = mailto_url(["a@example.org"], [], "Notes", "line\n" * (MAILTO_MAX // 3))
    body = unquote(link.split("body=", 1)[1])
    assert len(body) < MAILTO_MAX + 200
    assert body.endswith("paste the rest from 'Copy as text', or attach the Word document.]\n")
