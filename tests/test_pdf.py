"""The minutes and letters as PDF (server/minutes/pdf.py): made here by WeasyPrint, read back with pypdf."""
import io

import pypdf
import pytest

import minutes_scripted
from server.minutes import pdf


def read(data):
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return reader, text, " ".join(text.split())


@pytest.fixture
def meeting_id(app, parent):
    return minutes_scripted.load(app, parent.email, audio_seconds=20)


def test_the_minutes_as_pdf_carry_what_the_draft_says(parent, meeting_id):
    minutes = parent.api("GET", f"/meetings/{meeting_id}/minutes").json
    response = parent.api("GET", f"/meetings/{meeting_id}/minutes.pdf")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;") and ".pdf" in \
        response.headers["Content-Disposition"]
    reader, text, flat = read(response.data)
    # test that the words are the draft's (every heading), A4 in England, numbered pages, the title in its properties
    for heading in [line.lstrip("# ").strip() for line in minutes["markdown"].splitlines() if line.startswith("## ")]:
        assert " ".join(heading.split()) in flat, heading
    assert "Daily 1:1 reading with a TA" in flat
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    assert f"Page 1 of {len(reader.pages)}" in flat
    assert reader.metadata.title and reader.metadata.title.strip() in flat


def test_a_saved_version_and_a_letter_as_pdf(parent, meeting_id):
    first = parent.api("GET", f"/meetings/{meeting_id}/minutes").json
    edited = first["markdown"] + "\n\nA line only the second version has.\n"
    assert parent.api("PUT", f"/meetings/{meeting_id}/minutes",
                      {"markdown": edited, "base_version": first["version"]}).status_code == 201
    _, _, now = read(parent.api("GET", f"/meetings/{meeting_id}/minutes.pdf").data)
    _, _, before = read(parent.api("GET", f"/meetings/{meeting_id}/minutes.pdf?version={first['version']}").data)
    assert "A line only the second version has." in now and "only the second version" not in before

    letter = parent.api("GET", f"/meetings/{meeting_id}/letters/written_reasons").json
    _, _, flat = read(parent.api("GET", f"/meetings/{meeting_id}/letters/written_reasons.pdf").data)
    assert " ".join(letter["subject"].split()) in flat
    assert "Thank you for meeting with me" in letter["markdown"] and "Thank you for meeting with me" in flat
    assert parent.api("GET", f"/meetings/{meeting_id}/letters/nope.pdf").status_code == 404


def test_the_letter_page_makes_a_pdf_of_the_parents_own_words(client, parent, meeting_id):
    token = parent.csrf(f"/meetings/{meeting_id}/letters/written_reasons")
    response = client.post(f"/meetings/{meeting_id}/letters/written_reasons", data={
        "csrf_token": token, "action": "pdf", "subject": "Reasons please",
        "markdown": "Dear Mr Lee,\n\nMy own words, **as I wrote them**.",
    })
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    _, _, flat = read(response.data)
    assert "My own words, as I wrote them." in flat and "**" not in flat


def test_us_minutes_are_on_letter_paper(app, parent):
    meeting_id = minutes_scripted.load(app, parent.email, script=minutes_scripted.variant("us_iep"))
    reader, _, _ = read(parent.api("GET", f"/meetings/{meeting_id}/minutes.pdf").data)
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (612, 792)


def test_nothing_is_fetched_while_a_pdf_is_made():
    # test that an address in the text stays words: nh3 lets no image through, and the fetcher refuses any that asks
    data = pdf.to_pdf("# Notes\n\n![x](http://203.0.113.9/track.png) and <img src='http://203.0.113.9/t.png'>", "T")
    _, _, flat = read(data)
    assert "Notes" in flat
    with pytest.raises(ValueError):
        pdf._refuse("http://203.0.113.9/track.png")


def test_a_server_without_pango_says_so_in_the_one_error_shape(parent, meeting_id, monkeypatch):
    monkeypatch.setattr(pdf, "unavailable", lambda: "PDF needs the Pango library.")
    response = parent.api("GET", f"/meetings/{meeting_id}/minutes.pdf")
    assert response.status_code == 503
    assert response.json["error"]["code"] == "pdf_unavailable" and "Pango" in response.json["error"]["message"]
