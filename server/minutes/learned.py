"""A learned second opinion on refusals, commitments, offers and agreements: what no phrase rule reads.

Refusals in school meetings are worded in more ways than rules can list
("where would I find the staff for that?", "that sits with the trust",
"realistically we'd be looking at next year"); each meeting written by
someone who had not read the rules lost about a quarter of its refusals to
them (``bench/README.md``). This reader is a small sentence encoder
(all-MiniLM-L6-v2, six layers, Apache-2.0) fine-tuned with one output per
kind on labelled sentences (``bench/sentences/``), the phrase corpus and the
evaluation meetings' truth files, as written and as tiny.en heard them, by
``tools/train_findings.py``; it ships as an int8 ONNX file
(``server/data/findings_encoder.onnx``, run on onnxruntime, which
faster-whisper already needs) with its tokenizer, and reads one normalised
sentence (:func:`server.minutes.findings.normalise`) in a few milliseconds.
Unlike the regression over words it replaced, it reads a hedged no it has
not seen word for word ("I'm not sure we'd be able to justify that") as one.

It only ever adds what the rules missed, in a sentence where they found no
refusal, promise or agreement (a refusal or an offer only from the school's
side), one kind per sentence (the likeliest); each kind has its own
threshold (``server/data/findings_model.json``), set so that a false point
costs more than a missed one. What it adds is marked "from the recording:
check" like everything else found in the words.
"""
from __future__ import annotations

import functools
import json
from importlib import resources

import numpy as np

KINDS = ("refusal", "commitment", "offer", "agreement")  # the encoder's outputs, in this order
MAX_TOKENS = 64  # a longer sentence is read by its first 64 word pieces


@functools.cache
def model():
    """What the reader is: {"kinds": {kind: {"threshold": t, …}}, "file": …, "tokenizer": …, training record}."""
    text = resources.files("server.data").joinpath("findings_model.json").read_text(encoding="utf-8")
    return json.loads(text)


@functools.cache
def _encoder(onnx_file, tokenizer_file):
    import onnxruntime
    from tokenizers import Tokenizer

    def path(name):  # a bare name is one of server/data's files; bench/minutes.py --model may give a full path
        return str(resources.files("server.data").joinpath(name)) if "/" not in name else name

    tokenizer = Tokenizer.from_file(path(tokenizer_file))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.no_padding()  # one sentence, its own length (the file pads to 128 otherwise)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1  # one sentence at a time: more threads cost more than they save
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(path(onnx_file), options, providers=["CPUExecutionProvider"])
    return tokenizer, session


@functools.lru_cache(maxsize=65536)
def _read(norm, onnx_file, tokenizer_file):
    tokenizer, session = _encoder(onnx_file, tokenizer_file)
    enc = tokenizer.encode(norm)
    ids = np.array([enc.ids], dtype=np.int64)
    mask = np.array([enc.attention_mask], dtype=np.int64)
    out = session.run(None, {"input_ids": ids, "attention_mask": mask})[0][0]
    return tuple(float(p) for p in out)


def probabilities(norm, kinds):
    """{kind: probability (0-1)} that the normalised sentence says a point of each of kinds."""
    m = model()
    read = _read(norm, m["file"], m["tokenizer"])
    return {kind: read[KINDS.index(kind)] if kind in m["kinds"] else 0.0 for kind in kinds}


def probability(kind, norm):
    """How likely the normalised sentence says a point of this kind (0-1)."""
    return probabilities(norm, (kind,))[kind]


def threshold(kind):
    """The least probability at which the reader reads a sentence as this kind (above 1 for a kind it lacks)."""
    m = model()["kinds"].get(kind)
    return m["threshold"] if m else 2.0


def says(kind, norm):
    """True when the reader reads the normalised sentence as a point of this kind."""
    return probability(kind, norm) >= threshold(kind)
