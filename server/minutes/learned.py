"""A learned second opinion on refusals, commitments, offers and agreements: what no phrase rule reads.

Refusals in school meetings are worded in more ways than rules can list
("where would I find the staff for that?", "that sits with the trust",
"realistically we'd be looking at next year"); each meeting written by
someone who had not read the rules lost about half of its refusals to them
(``bench/README.md``). This is a logistic regression over the words, word
pairs and word triples of one normalised sentence
(:func:`server.minutes.findings.normalise`), trained by
``tools/train_findings.py`` on labelled sentences (``bench/sentences/``),
the phrase corpus and the evaluation meetings' truth files; its weights are
data (``server/data/findings_model.json``), read once.

It only ever adds what the rules missed, in a sentence where they found no
refusal, promise or agreement (a refusal or an offer only from the school's
side), one kind per sentence (the likeliest); each kind has its own
threshold, chosen with ``bench/minutes.py --cross`` so that a false point
costs more than a missed one. What it adds is marked "from the recording:
check" like everything else found in the words. It also learns from the
meetings as tiny.en heard them, so a promise the transcription garbled
("I ring the DP tomorrow") still reads as one.
"""
from __future__ import annotations

import functools
import json
import math
import re
from importlib import resources

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def tokens(norm):
    """The words of a normalised sentence, numbers as one token."""
    return ["<n>" if w.isdigit() else w for w in _WORD.findall(norm)]


def features(norm):
    """The sentence's features: its words, word pairs and triples (with the sentence's ends), each once."""
    words = ["<s>", *tokens(norm), "</s>"]
    out = {f"w:{w}" for w in words[1:-1]}
    out.update(f"b:{a} {b}" for a, b in zip(words, words[1:]))
    out.update(f"t:{a} {b} {c}" for a, b, c in zip(words, words[1:], words[2:]))
    if norm.rstrip().endswith("?"):
        out.add("q:?")
    return sorted(out)


@functools.cache
def model():
    """The trained weights: {"kinds": {kind: {"weights": {feature: w}, "bias": b, "threshold": t}}, …}."""
    text = resources.files("server.data").joinpath("findings_model.json").read_text(encoding="utf-8")
    return json.loads(text)


def probability(kind, norm):
    """How likely the normalised sentence says a point of this kind (0-1); 0 for a kind with no model."""
    return probabilities(norm, (kind,))[kind]


def probabilities(norm, kinds):
    """{kind: probability} for each of kinds, the sentence's features made once."""
    feats = features(norm)
    out = {}
    for kind in kinds:
        m = model()["kinds"].get(kind)
        if m is None:
            out[kind] = 0.0
            continue
        weights = m["weights"]
        z = m["bias"] + sum(weights.get(f, 0.0) for f in feats)
        out[kind] = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
    return out


def threshold(kind):
    """The least probability at which the model reads a sentence as this kind (above 1 for a kind with no model)."""
    m = model()["kinds"].get(kind)
    return m["threshold"] if m else 2.0


def says(kind, norm):
    """True when the model reads the normalised sentence as a point of this kind."""
    return probability(kind, norm) >= threshold(kind)
