"""Convert Resemblyzer's GE2E voice encoder to ``transcribe/data/ge2e.npz`` (run once; the npz is committed).

The voice encoder in :mod:`transcribe.voices` runs on numpy alone, so its
weights are shipped as a plain ``.npz`` instead of a torch checkpoint. This
script reads the checkpoint that the ``resemblyzer==0.1.4`` wheel (PyPI,
Apache-2.0, by Corentin Jemine / Resemble AI) ships as
``resemblyzer/pretrained.pt`` and writes the model's weights, nothing else (the
checkpoint's Adam optimizer state, two thirds of its 17 MB, is dropped).

The checkpoint is in torch's legacy (pre-zip) pickle format, so reading it
needs torch. Use a scratch virtual environment, never the project's own::

    python -m venv /tmp/convvenv && /tmp/convvenv/bin/pip install torch==2.13.0 numpy
    pip download resemblyzer==0.1.4 --no-deps -d /tmp/rz
    /tmp/convvenv/bin/python tools/convert_ge2e.py /tmp/rz/Resemblyzer-0.1.4-py3-none-any.whl

The argument may be the wheel or the ``pretrained.pt`` inside it. The script
refuses any other file than the one converted for Minuted:

* ``Resemblyzer-0.1.4-py3-none-any.whl`` sha256
  ``8f12eb2f1a9982d32e8db7856de754709b59c93a77bcf0ff536584b619a9dd1f``
* ``resemblyzer/pretrained.pt`` sha256
  ``39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e``

Arrays written (PyTorch's layout and gate order, i f g o; no other change):

* ``lstm_w_ih_l{0,1,2}`` float16 [1024, 40 or 256], ``lstm_w_hh_l{0,1,2}``
  float16 [1024, 256]: the LSTM's input and recurrent weights.
* ``lstm_b_l{0,1,2}`` float32 [1024]: ``bias_ih + bias_hh`` (they are only
  ever added together).
* ``linear_w`` float16 [256, 256], ``linear_b`` float32 [256]: the projection.
* ``source`` and ``source_sha256``: where the weights came from.

float16 halves the file (2.6 MB compressed) and costs nothing measurable:
embeddings from the numpy encoder on it and from the float32 torch model
agree to a cosine of 0.999999 (``--check`` compares them on random input).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

WHEEL_SHA256 = "8f12eb2f1a9982d32e8db7856de754709b59c93a77bcf0ff536584b619a9dd1f"
PT_SHA256 = "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e"
PT_IN_WHEEL = "resemblyzer/pretrained.pt"
SOURCE = "resemblyzer==0.1.4 (PyPI) resemblyzer/pretrained.pt"
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "transcribe" / "data" / "ge2e.npz"


def read_checkpoint_bytes(path: Path) -> bytes:
    """Return the bytes of ``pretrained.pt``, from the wheel or the file itself, checking both hashes."""
    data = path.read_bytes()
    if zipfile.is_zipfile(path):
        if hashlib.sha256(data).hexdigest() != WHEEL_SHA256:
            sys.exit(f"{path}: not the resemblyzer 0.1.4 wheel this script was written for")
        with zipfile.ZipFile(path) as wheel:
            data = wheel.read(PT_IN_WHEEL)
    if hashlib.sha256(data).hexdigest() != PT_SHA256:
        sys.exit(f"{path}: pretrained.pt has an unexpected sha256")
    return data


def convert(state: dict) -> dict[str, np.ndarray]:
    """Map the torch state dict to the npz's arrays."""

    def get(name):
        return state[name].detach().cpu().numpy().astype(np.float32)

    arrays: dict[str, np.ndarray] = {}
    for layer in range(3):
        arrays[f"lstm_w_ih_l{layer}"] = get(f"lstm.weight_ih_l{layer}").astype(np.float16)
        arrays[f"lstm_w_hh_l{layer}"] = get(f"lstm.weight_hh_l{layer}").astype(np.float16)
        arrays[f"lstm_b_l{layer}"] = get(f"lstm.bias_ih_l{layer}") + get(f"lstm.bias_hh_l{layer}")
    arrays["linear_w"] = get("linear.weight").astype(np.float16)
    arrays["linear_b"] = get("linear.bias")
    arrays["source"] = np.array(SOURCE)
    arrays["source_sha256"] = np.array(PT_SHA256)
    return arrays


def check(state: dict, out: Path) -> None:
    """Compare the numpy encoder on the written npz with the torch model on random mel-like input."""
    import torch

    # Load voices.py on its own: the transcribe package needs PyAV, this venv need not have it.
    spec = importlib.util.spec_from_file_location("voices", ROOT / "transcribe" / "voices.py")
    voices = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(voices)

    lstm = torch.nn.LSTM(40, 256, 3, batch_first=True)
    linear = torch.nn.Linear(256, 256)
    lstm.load_state_dict({k[5:]: v for k, v in state.items() if k.startswith("lstm.")})
    linear.load_state_dict({k[7:]: v for k, v in state.items() if k.startswith("linear.")})
    mels = np.random.default_rng(0).gamma(0.5, 0.05, size=(8, 160, 40)).astype(np.float32)
    with torch.no_grad():
        _, (hidden, _) = lstm(torch.from_numpy(mels))
        ref = torch.relu(linear(hidden[-1])).numpy()
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    ours = voices.VoiceEncoder(out).embed_mels(mels)
    cosine = np.sum(ref * ours, axis=1)
    print(f"numpy vs torch on random mels: min cosine {cosine.min():.6f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="Resemblyzer-0.1.4-py3-none-any.whl or its pretrained.pt")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="then compare with the torch model")
    args = parser.parse_args(argv)

    import torch  # only this one-off script needs torch

    checkpoint = torch.load(io.BytesIO(read_checkpoint_bytes(args.source)), map_location="cpu", weights_only=True)
    state = checkpoint["model_state"]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **convert(state))
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")
    if args.check:
        check(state, args.out)


if __name__ == "__main__":
    main()
