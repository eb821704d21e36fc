"""Follow-up letters are kept as versions, like the minutes: the parent's edits survive a visit, what was sent is kept."""
import io
import json
import zipfile

import pytest

import minutes_scripted

LETTER = "written_reasons"


@pytest.fixture
def meeting_id(app, parent):
    return minutes_scripted.load(app, parent.email, audio_seconds=20)


def test_saving_a_letter_makes_versions_and_the_latest_is_what_opens(app, parent, meeting_id):
    path = f"/meetings/{meeting_id}/letters/{LETTER}"
    draft = parent.api("GET", path).json
    assert draft["version"] is None and draft["versions"] == []

    mine = draft["markdown"].replace("Thank you for meeting with me", "Thank you for seeing us")
    saved = parent.api("PUT", path, {"subject": draft["subject"], "markdown": mine})
    assert saved.status_code == 201 and saved.json["version"] == 1
    # test that the saved words are what the letter opens with from now on, in the API and as a PDF
    again = parent.api("GET", path).json
    assert again["markdown"] == mine and again["version"] == 1 and [v["source"] for v in again["versions"]] == ["edit"]
    assert "Thank you for seeing us" in again["html"]
    # the same words again are the same version; an edit on a stale version is refused, nothing written
    assert parent.api("PUT", path, {"subject": draft["subject"], "markdown": mine, "base_version": 1}).status_code == 200
    second = parent.api("PUT", path, {"subject": "Reasons, please", "markdown": mine + "\nOne more line.\n",
                                      "base_version": 1})
    assert second.status_code == 201 and second.json["version"] == 2
    stale = parent.api("PUT", path, {"subject": "x", "markdown": "y", "base_version": 1})
    assert stale.status_code == 409 and stale.json["error"]["code"] == "conflict"
    assert parent.api("GET", path).json["version"] == 2
    # any saved version can be read back; one that does not exist is a 404
    assert parent.api("GET", path + "?version=1").json["markdown"] == mine
    assert parent.api("GET", path + "?version=99").status_code == 404
    # bad input: the one error shape, nothing saved
    for bad in ({"subject": "", "markdown": "x"}, {"subject": "s", "markdown": 5}, {"subject": "s", "markdown": "x",
                                                                                 "base_version": "2"}):
        response = parent.api("PUT", path, bad)
        assert response.status_code == 422 and response.json["error"]["code"] == "invalid", bad
    assert parent.api("PUT", f"/meetings/{meeting_id}/letters/nope", {"subject": "s", "markdown": "m"}).status_code \
        == 404
    assert len(parent.api("GET", path).json["versions"]) == 2

    # test that sending keeps the words as sent (a version of their own when they differ from the saved one)
    app.config["MAIL_BACKEND"] = "memory"
    sent = parent.api("POST", path + "/send", {"subject": "Reasons, please", "markdown": mine + "\nAs sent.\n",
                                              "to": ["head@oak.example"]})
    assert sent.status_code == 201
    latest = parent.api("GET", path).json
    assert latest["version"] == 3 and latest["versions"][0]["source"] == "sent" and "As sent." in latest["markdown"]


def test_another_account_cannot_read_or_save_the_letters(parent, other_parent, meeting_id):
    path = f"/meetings/{meeting_id}/letters/{LETTER}"
    assert other_parent.api("GET", path).status_code == 404
    assert other_parent.api("PUT", path, {"subject": "s", "markdown": "m"}).status_code == 404
    assert parent.api("GET", path).json["version"] is None


def test_the_letter_page_saves_and_can_start_again_from_a_fresh_draft(client, parent, meeting_id):
    page_path = f"/meetings/{meeting_id}/letters/{LETTER}"
    assert "A fresh draft, not saved yet" in client.get(page_path).text
    token = parent.csrf(page_path)
    response = client.post(page_path, data={"csrf_token": token, "action": "save", "subject": "Reasons please",
                                            "markdown": "Dear Mr Lee,\n\nMy own words, kept."})
    assert response.status_code == 302
    page = client.get(page_path).text
    assert "My own words, kept." in page and "Your saved version 1" in page and "Saved as version 1." in page
    fresh = client.get(page_path + "?fresh=1").text
    assert "My own words, kept." not in fresh and "Back to your saved version" in fresh
    # saving nothing new says so, and keeps one version
    client.post(page_path, data={"csrf_token": token, "action": "save", "subject": "Reasons please",
                                 "markdown": "Dear Mr Lee,\n\nMy own words, kept."})
    assert "No changes since the last saved version." in client.get(page_path).text
    assert len(parent.api("GET", page_path).json["versions"]) == 1


def test_the_saved_letters_are_in_the_download_of_everything(parent, meeting_id):
    path = f"/meetings/{meeting_id}/letters/{LETTER}"
    parent.api("PUT", path, {"subject": "Reasons, please", "markdown": "Dear Mr Lee,\n\nKept in the export."})
    data = json.loads(zipfile.ZipFile(io.BytesIO(parent.client.get("/account/export.zip").data)).read("data.json"))
    letters = data["children"][0]["meetings"][0]["letters"]
    assert [(v["letter"], v["version"], v["subject"]) for v in letters] == [(LETTER, 1, "Reasons, please")]
    assert "Kept in the export." in letters[0]["markdown"]
