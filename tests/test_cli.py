"""The `minuted` command line."""
import re

from click.testing import CliRunner

import pytest

from server.cli import main


@pytest.fixture(autouse=True)
def restore_environment(tmp_path, monkeypatch):
    """The CLI sets MINUTED_DATA_DIR for the app it builds; put it back after each test."""
    monkeypatch.setenv("MINUTED_DATA_DIR", str(tmp_path / "default"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def run(*args, input=None):
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    return result


def test_user_add_and_token(tmp_path, monkeypatch):
    monkeypatch.setenv("MINUTED_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("MINUTED_ARGON2_MEMORY_KIB", "1024")
    data = str(tmp_path / "data")
    result = run("user", "add", "Parent@Example.org", "--password-stdin", "--data", data, input="a long enough password\n")
    assert result.exit_code == 0, result.output
    assert "Created an account for parent@example.org." in result.output
    # test that a second account with the same email is refused with a message
    result = run("user", "add", "parent@example.org", "--password-stdin", "--data", data, input="a long enough password\n")
    assert result.exit_code == 1 and "already an account" in result.output
    # test that a short password is refused
    result = run("user", "add", "b@example.org", "--password-stdin", "--data", data, input="short\n")
    assert result.exit_code == 1 and "at least 10 characters" in result.output
    result = run("token", "parent@example.org", "--data", data)
    assert result.exit_code == 0
    token = result.output.strip()
    assert re.fullmatch(r"mtd_[A-Za-z0-9_-]{40,}", token)
    # test that the token opens the API of a server on the same data directory
    from conftest import make_app

    client = make_app(tmp_path / "data").test_client()
    response = client.get("/api/v1/children", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.get_json() == {"children": []}


def test_token_for_unknown_account(tmp_path):
    result = run("token", "nobody@example.org", "--data", str(tmp_path))
    assert result.exit_code == 1 and "No account for nobody@example.org" in result.output


def test_data_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MINUTED_DATA_DIR", str(tmp_path / "env-data"))
    result = run("migrate")
    assert result.exit_code == 0 and "up to date" in result.output
    assert (tmp_path / "env-data" / "minuted.sqlite3").exists()


def test_help_lists_the_contract():
    result = run("--help")
    for command in ("serve", "user", "token"):
        assert command in result.output
    assert "--host" in run("serve", "--help").output


@pytest.mark.whisper
def test_transcribe_a_file(tmp_path):
    from pathlib import Path

    clip = Path(__file__).parent / "data" / "audio" / "jfk.flac"
    if not clip.exists():
        pytest.skip("the JFK clip is not in tests/data/audio")
    result = run("transcribe", str(clip), "--format", "vtt")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("WEBVTT")
    assert "ask not what your country can do for you" in result.output.lower()


def test_transcribe_refuses_non_audio(tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("this is not audio")
    result = run("transcribe", str(bogus))
    assert result.exit_code == 1 and "could not be read as audio" in result.output
