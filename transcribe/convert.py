"""Turn a CTranslate2 Whisper model into an openai-whisper checkpoint.

The CTranslate2 ``model.bin`` that faster-whisper loads holds the same tensors
as an openai-whisper ``.pt`` checkpoint, under other names and with some
matrices fused. :func:`ct2_to_openai` reads it directly (no CTranslate2 code)
and writes ``{"dims", "model_state_dict"}`` in float16, which
``whisper.load_model("/abs/path.pt")`` loads with no download.
:func:`converted_checkpoint` does this once per model and keeps the result in
a cache directory, keyed by the ``model.bin``'s SHA-256.

The layout of ``model.bin`` (binary version 6, little-endian)::

    u32 version (6) · string spec name · u32 revision · u32 n_variables
    n_variables x (string name · u8 rank · rank x u32 dim · u8 dtype ·
                   u32 n_bytes · n_bytes of data)
    u32 n_aliases · n_aliases x (string alias · string target)

A string is a u16 length (counting a trailing NUL), the UTF-8 bytes and the
NUL. Names are ``/``-separated (``encoder/layer_0/ffn/linear_0/weight``).
Scalars (rank 0) are configuration flags such as ``encoder/num_heads``. The
one alias in a Whisper model is ``decoder/projection/weight`` →
``decoder/embeddings/weight`` (the tied output projection).

Only numpy is needed to read; writing the checkpoint needs torch (the
``whisper`` extra).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import struct
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "WhisperDims",
    "read_ct2_model",
    "openai_state_dict",
    "alignment_heads",
    "ct2_to_openai",
    "converted_checkpoint",
    "default_cache_dir",
]

_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}
"""CTranslate2's DataType enum (5, bfloat16, does not occur in Whisper models)."""


@dataclass(frozen=True)
class WhisperDims:
    """openai-whisper's ``ModelDimensions``, derived from the tensors' shapes.

    Attributes:
        n_mels: Mel bins the encoder takes (80, or 128 for large-v3).
        n_audio_ctx: Encoder positions (1500 for 30 s).
        n_audio_state: Encoder width.
        n_audio_head: Encoder attention heads.
        n_audio_layer: Encoder blocks.
        n_vocab: Token vocabulary size (51864 for English-only models).
        n_text_ctx: Decoder positions (448).
        n_text_state: Decoder width.
        n_text_head: Decoder attention heads.
        n_text_layer: Decoder blocks.
    """

    n_mels: int
    n_audio_ctx: int
    n_audio_state: int
    n_audio_head: int
    n_audio_layer: int
    n_vocab: int
    n_text_ctx: int
    n_text_state: int
    n_text_head: int
    n_text_layer: int


def read_ct2_model(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read every variable of a CTranslate2 ``model.bin``.

    Args:
        path: The ``model.bin`` file, or the model directory holding it.

    Returns:
        Variables by name, as numpy arrays (scalars as 0-d arrays). Aliases
        appear under their own name too, sharing the target's array.

    Raises:
        ValueError: Not a version-6 CTranslate2 model, or an unknown data type.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "model.bin"
    data = memoryview(path.read_bytes())
    pos = 0

    def take(fmt: str) -> int:
        nonlocal pos
        (value,) = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return value

    def string() -> str:
        nonlocal pos
        length = take("H")
        text = bytes(data[pos : pos + length - 1]).decode("utf-8")
        pos += length
        return text

    version = take("I")
    if version != 6:
        raise ValueError(f"{path}: CTranslate2 binary version {version}, expected 6")
    string()  # spec name, e.g. "WhisperSpec"
    take("I")  # spec revision
    variables: dict[str, np.ndarray] = {}
    for _ in range(take("I")):
        name = string()
        shape = tuple(take("I") for _ in range(take("B")))
        dtype_id = take("B")
        if dtype_id not in _DTYPES:
            raise ValueError(f"{path}: variable {name} has unsupported data type {dtype_id}")
        size = take("I")
        variables[name] = np.frombuffer(data[pos : pos + size], dtype=_DTYPES[dtype_id]).reshape(shape)
        pos += size
    for _ in range(take("I")):
        alias = string()
        variables[alias] = variables[string()]
    return variables


def _layers(variables: dict[str, np.ndarray], stack: str) -> int:
    found = {int(m.group(1)) for name in variables if (m := re.match(rf"{stack}/layer_(\d+)/", name))}
    return max(found) + 1 if found else 0


def openai_state_dict(variables: dict[str, np.ndarray]) -> tuple[WhisperDims, dict[str, np.ndarray]]:
    """Rename and split CTranslate2 Whisper variables into openai-whisper's layout.

    Fused self-attention QKV matrices are cut into ``query``/``key``/``value``
    and fused cross-attention KV into ``key``/``value``. openai-whisper's keys
    have no bias; CTranslate2 stores a zero one, which is checked and dropped.
    Layer-norm ``gamma``/``beta`` become ``weight``/``bias`` and the feed-forward
    ``linear_0``/``linear_1`` become ``mlp.0``/``mlp.2``.

    Args:
        variables: What :func:`read_ct2_model` returns.

    Returns:
        The model's dimensions and the state dict (numpy arrays, original dtype).

    Raises:
        ValueError: A key bias is not zero (the model is not a plain Whisper).
    """
    v = variables
    state: dict[str, np.ndarray] = {}

    def norm(src: str, dst: str) -> None:
        state[f"{dst}.weight"] = v[f"{src}/gamma"]
        state[f"{dst}.bias"] = v[f"{src}/beta"]

    def linear(src: str, dst: str, *, bias: bool = True) -> None:
        state[f"{dst}.weight"] = v[f"{src}/weight"]
        if bias:
            state[f"{dst}.bias"] = v[f"{src}/bias"]

    def split(src: str, dsts: list[str]) -> None:
        weight, bias = v[f"{src}/weight"], v[f"{src}/bias"]
        n = weight.shape[0] // len(dsts)
        for i, dst in enumerate(dsts):
            state[f"{dst}.weight"] = weight[i * n : (i + 1) * n]
            if dst.endswith(".key"):
                if np.any(bias[i * n : (i + 1) * n]):
                    raise ValueError(f"{src}: the key bias is not zero; openai-whisper keys have none")
            else:
                state[f"{dst}.bias"] = bias[i * n : (i + 1) * n]

    def block(src: str, dst: str, *, cross: bool) -> None:
        norm(f"{src}/self_attention/layer_norm", f"{dst}.attn_ln")
        split(f"{src}/self_attention/linear_0", [f"{dst}.attn.query", f"{dst}.attn.key", f"{dst}.attn.value"])
        linear(f"{src}/self_attention/linear_1", f"{dst}.attn.out")
        if cross:
            norm(f"{src}/attention/layer_norm", f"{dst}.cross_attn_ln")
            linear(f"{src}/attention/linear_0", f"{dst}.cross_attn.query")
            split(f"{src}/attention/linear_1", [f"{dst}.cross_attn.key", f"{dst}.cross_attn.value"])
            linear(f"{src}/attention/linear_2", f"{dst}.cross_attn.out")
        norm(f"{src}/ffn/layer_norm", f"{dst}.mlp_ln")
        linear(f"{src}/ffn/linear_0", f"{dst}.mlp.0")
        linear(f"{src}/ffn/linear_1", f"{dst}.mlp.2")

    for conv in ("conv1", "conv2"):
        linear(f"encoder/{conv}", f"encoder.{conv}")
    state["encoder.positional_embedding"] = v["encoder/position_encodings/encodings"]
    n_audio_layer = _layers(v, "encoder")
    for i in range(n_audio_layer):
        block(f"encoder/layer_{i}", f"encoder.blocks.{i}", cross=False)
    norm("encoder/layer_norm", "encoder.ln_post")

    state["decoder.token_embedding.weight"] = v["decoder/embeddings/weight"]
    state["decoder.positional_embedding"] = v["decoder/position_encodings/encodings"]
    n_text_layer = _layers(v, "decoder")
    for i in range(n_text_layer):
        block(f"decoder/layer_{i}", f"decoder.blocks.{i}", cross=True)
    norm("decoder/layer_norm", "decoder.ln")

    conv1 = v["encoder/conv1/weight"]
    audio_pos = v["encoder/position_encodings/encodings"]
    tokens = v["decoder/embeddings/weight"]
    text_pos = v["decoder/position_encodings/encodings"]
    dims = WhisperDims(
        n_mels=int(conv1.shape[1]),
        n_audio_ctx=int(audio_pos.shape[0]),
        n_audio_state=int(audio_pos.shape[1]),
        n_audio_head=int(v["encoder/num_heads"]),
        n_audio_layer=n_audio_layer,
        n_vocab=int(tokens.shape[0]),
        n_text_ctx=int(text_pos.shape[0]),
        n_text_state=int(tokens.shape[1]),
        n_text_head=int(v["decoder/num_heads"]),
        n_text_layer=n_text_layer,
    )
    return dims, state


def alignment_heads(model_dir: str | os.PathLike[str]) -> list[tuple[int, int]]:
    """Return the (decoder layer, head) pairs used for word timing.

    They are in the CTranslate2 model's ``config.json``; openai-whisper only
    knows them for the checkpoints it downloads itself.

    Args:
        model_dir: The CTranslate2 model directory.

    Returns:
        The pairs, or an empty list when the config has none.
    """
    config = Path(model_dir) / "config.json"
    if not config.is_file():
        return []
    heads = json.loads(config.read_text(encoding="utf-8")).get("alignment_heads") or []
    return [(int(layer), int(head)) for layer, head in heads]


def ct2_to_openai(model_dir: str | os.PathLike[str], out_path: str | os.PathLike[str]) -> Path:
    """Convert a CTranslate2 Whisper model to an openai-whisper checkpoint.

    Args:
        model_dir: The CTranslate2 model directory (with ``model.bin``).
        out_path: Where to write the ``.pt`` file. It is written to a
            temporary file beside it and renamed, so readers never see half
            a checkpoint.

    Returns:
        ``out_path`` as an absolute path.

    Raises:
        ImportError: torch is not installed (``pip install 'minuted[whisper]'``).
    """
    import torch

    dims, state = openai_state_dict(read_ct2_model(model_dir))
    checkpoint = {
        "dims": asdict(dims),
        # np.array copies: torch wants writable arrays, and these view the file's bytes
        "model_state_dict": {name: torch.from_numpy(np.array(a, dtype=np.float16)) for name, a in state.items()},
    }
    out = Path(out_path).absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=out.name + ".", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(checkpoint, f)
        os.replace(tmp, out)
    except BaseException:
        os.unlink(tmp)
        raise
    return out


def default_cache_dir() -> Path:
    """Return where converted checkpoints are kept: the per-user cache, ``whisper/``."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("minuted")) / "whisper"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def converted_checkpoint(
    model_dir: str | os.PathLike[str], cache_dir: str | os.PathLike[str] | None = None
) -> Path:
    """Return an openai-whisper checkpoint for a CTranslate2 model, converting it once.

    Args:
        model_dir: The CTranslate2 model directory (with ``model.bin``).
        cache_dir: Where to keep the checkpoint; :func:`default_cache_dir` when None.

    Returns:
        The absolute path of ``<cache_dir>/ct2-<sha256 of model.bin>.pt``.
    """
    model_bin = Path(model_dir) / "model.bin"
    directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    out = directory.absolute() / f"ct2-{_sha256(model_bin)}.pt"
    if not out.is_file():
        ct2_to_openai(model_dir, out)
    return out
