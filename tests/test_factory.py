"""The app factory and its configuration order: defaults → instance/config.py → MINUTED_* env."""
import os

from server import create_app
from server import config


def test_testing_config(app):
    assert app.testing


def test_defaults_and_derived_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("MINUTED_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.chdir(tmp_path)
    app = create_app()
    assert app.config["DATA_DIR"] == str((tmp_path / "d").resolve())
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{(tmp_path / 'd').resolve()}/minuted.sqlite3"
    # test that the secret key is made once, kept private, and reused
    key_file = tmp_path / "d" / "secret_key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert create_app().config["SECRET_KEY"] == app.config["SECRET_KEY"] == key_file.read_text()


def test_environment_overrides_instance_file(tmp_path, monkeypatch):
    monkeypatch.setenv("MINUTED_DATA_DIR", str(tmp_path / "d"))
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("CORRECTION_WORKING_DAYS = 7\nMAX_TEXT_CHARS = 100\n")
    monkeypatch.setattr(
        "flask.Flask.auto_find_instance_path", lambda self: str(instance)
    )
    app = create_app()
    assert app.config["CORRECTION_WORKING_DAYS"] == 7
    monkeypatch.setenv("MINUTED_CORRECTION_WORKING_DAYS", "10")
    monkeypatch.setenv("MINUTED_DATABASE_URL", "sqlite:///" + str(tmp_path / "other.db"))
    app = create_app()
    # test that the environment wins, typed as JSON, and the database URL switches
    assert app.config["CORRECTION_WORKING_DAYS"] == 10
    assert app.config["MAX_TEXT_CHARS"] == 100
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("other.db")


def test_default_data_dir_is_per_user(monkeypatch):
    monkeypatch.delenv("MINUTED_DATA_DIR", raising=False)
    path = config.default_data_dir()
    assert "minuted" in str(path) and str(path).startswith(os.path.expanduser("~"))
