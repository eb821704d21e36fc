"""The openai-whisper engine on the bundled tiny.en, converted from CTranslate2.

Needs the ``whisper`` extra (``pip install 'torch==2.13.0' '.[whisper]'``;
CI installs it). /work/shared/asr.md §6 found openai-whisper on the converted
checkpoint gives the same WER as faster-whisper float32 on the same clips; the
test allows half a point.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import pytest

whisper = pytest.importorskip("whisper", reason="openai-whisper is not installed (pip install '.[whisper]')")
import torch  # noqa: E402 - after the skip: torch comes with the whisper extra

from transcribe.audio import decode  # noqa: E402
from transcribe.convert import alignment_heads, converted_checkpoint, read_ct2_model  # noqa: E402
from transcribe.engines import (  # noqa: E402
    FasterWhisperTranscriber,
    OpenAIWhisperTranscriber,
    bundled_model_path,
    get_transcriber,
)
from transcribe.evaluation import normalise, word_error_rate  # noqa: E402

pytestmark = pytest.mark.whisper

AUDIO = Path(__file__).parent / "data" / "audio"
JFK = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("whisper-cache")


@pytest.fixture(scope="module")
def checkpoint(cache_dir) -> Path:
    return converted_checkpoint(bundled_model_path(), cache_dir)


@pytest.fixture(scope="module")
def engine(cache_dir, checkpoint) -> OpenAIWhisperTranscriber:
    model = get_transcriber("whisper", cpu_threads=2, cache_dir=cache_dir)
    model.load()
    return model


@pytest.fixture(scope="module")
def corpus() -> list[tuple[str, np.ndarray, str]]:
    items = json.loads((AUDIO / "manifest.json").read_text(encoding="utf-8"))["items"]
    return [(item["id"], decode(AUDIO / item["file"]), item["ref"]) for item in items]


@pytest.fixture(scope="module")
def heard(engine, corpus) -> dict[str, list]:
    """Every clip transcribed once at beam 5 (shared by the tests below: the engine is slow)."""
    return {clip_id: engine.transcribe(samples) for clip_id, samples, _ref in corpus}


def text_of(segments) -> str:
    return " ".join(s.text for s in segments)


def test_checkpoint_holds_the_ct2_tensors(checkpoint, cache_dir):
    ct2 = read_ct2_model(bundled_model_path())
    saved = torch.load(checkpoint, map_location="cpu", weights_only=True)
    dims, state = saved["dims"], saved["model_state_dict"]
    assert dims == {
        "n_mels": 80, "n_audio_ctx": 1500, "n_audio_state": 384, "n_audio_head": 6, "n_audio_layer": 4,
        "n_vocab": 51864, "n_text_ctx": 448, "n_text_state": 384, "n_text_head": 6, "n_text_layer": 4,
    }
    assert all(t.dtype == torch.float16 for t in state.values())

    # Every tensor an openai-whisper model of these dims has, with its shape, and nothing else.
    reference = whisper.model.Whisper(whisper.model.ModelDimensions(**dims)).state_dict()
    assert {k: tuple(v.shape) for k, v in state.items()} == {k: tuple(v.shape) for k, v in reference.items()}

    def same(name, array):
        return np.array_equal(state[name].numpy(), np.asarray(array, dtype=np.float16))

    qkv = ct2["encoder/layer_2/self_attention/linear_0/weight"]
    assert same("encoder.blocks.2.attn.query.weight", qkv[:384])
    assert same("encoder.blocks.2.attn.key.weight", qkv[384:768])
    assert same("encoder.blocks.2.attn.value.weight", qkv[768:])
    assert same("encoder.blocks.2.attn.value.bias", ct2["encoder/layer_2/self_attention/linear_0/bias"][768:])
    assert not np.any(ct2["encoder/layer_2/self_attention/linear_0/bias"][384:768])  # the dropped key bias
    kv = ct2["decoder/layer_3/attention/linear_1/weight"]
    assert same("decoder.blocks.3.cross_attn.key.weight", kv[:384])
    assert same("decoder.blocks.3.cross_attn.value.weight", kv[384:])
    assert same("decoder.blocks.0.mlp.2.weight", ct2["decoder/layer_0/ffn/linear_1/weight"])
    assert same("decoder.ln.weight", ct2["decoder/layer_norm/gamma"])
    assert same("decoder.token_embedding.weight", ct2["decoder/projection/weight"])  # the alias
    assert state["encoder.conv1.weight"][5, 7, 1].item() == float(ct2["encoder/conv1/weight"][5, 7, 1])

    # Cached by the model's hash: asking again converts nothing.
    assert checkpoint.parent == cache_dir and checkpoint.name.startswith("ct2-") and len(checkpoint.stem) == 4 + 64
    before = checkpoint.stat().st_mtime_ns
    assert converted_checkpoint(bundled_model_path(), cache_dir) == checkpoint
    assert checkpoint.stat().st_mtime_ns == before
    assert [p.name for p in cache_dir.iterdir()] == [checkpoint.name]  # no temporary left behind


def test_engine_is_selected_by_name_and_by_server_config(engine, tmp_path, monkeypatch):
    assert isinstance(engine, OpenAIWhisperTranscriber)
    heads = alignment_heads(bundled_model_path())
    assert len(heads) == 8
    assert sorted(map(tuple, engine.load().alignment_heads.indices().T.tolist())) == sorted(heads)

    from server import create_app
    from server.db import db
    from server.jobs import get_transcriber as jobs_transcriber

    monkeypatch.setenv("MINUTED_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MINUTED_WHISPER_ENGINE", "whisper")
    app = create_app()
    assert isinstance(jobs_transcriber(app), OpenAIWhisperTranscriber)
    with app.app_context():
        db.engine.dispose()


def test_jfk_exact_text(heard):
    segments = heard["jfk"]
    assert normalise(text_of(segments)) == normalise(JFK)
    words = [w for s in segments for w in s.words]
    assert words[0].text == "And" and words[-1].text == "country."
    assert all(isinstance(w.start_ms, int) and 0 <= w.start_ms <= w.end_ms <= 11000 for w in words)
    assert [w.start_ms for w in words] == sorted(w.start_ms for w in words)
    assert all(0 < w.probability <= 1 for w in words)


def test_offset_shifts_every_time_and_short_audio_is_silent(engine, heard):
    plain = heard["psphinx_sas_0880"]
    shifted = engine.transcribe(decode(AUDIO / "psphinx_sas_0880.wav"), offset_ms=60_000)
    assert [s.text for s in shifted] == [s.text for s in plain]
    assert [s.start_ms - 60_000 for s in shifted] == [s.start_ms for s in plain]
    assert [w.end_ms - 60_000 for s in shifted for w in s.words] == [w.end_ms for s in plain for w in s.words]
    assert engine.transcribe(np.zeros(800, dtype=np.float32)) == []


def test_vocabulary_is_a_prompt_of_terms(engine):
    segments = engine.transcribe(decode(AUDIO / "ami_ES2011a_hs0_40-46.wav"), vocabulary=["Abigail Claflin", "Abbie"])
    text = normalise(text_of(segments))
    assert "abigail" in text
    assert "claflin abbie" not in text  # the prompt itself is not echoed as transcript


def test_clip_wer_equals_faster_whisper_float32(heard, corpus):
    references = [ref for *_x, ref in corpus]
    ours = word_error_rate(references, [text_of(heard[clip_id]) for clip_id, _samples, _ref in corpus])
    faster = FasterWhisperTranscriber(compute_type="float32", cpu_threads=2)
    theirs = word_error_rate(references, [text_of(faster.transcribe(samples)) for _id, samples, _ref in corpus])
    print(f"\ntiny.en beam 5, {len(corpus)} clips: openai-whisper {ours:.2%}, faster-whisper float32 {theirs:.2%}")
    assert abs(ours - theirs) <= 0.005
