"""Train the learned reader (server/minutes/learned.py) and write its weights.

Usage::

    .venv/bin/python tools/train_findings.py [--hold-out NAME,...] [--out FILE] [--l2 L2]

One model per kind (refusal, commitment, offer, agreement), each learning
from sentences that say a point of that kind or not:

* ``bench/sentences/refusals.json`` and ``commitments.json``: labelled
  sentences written for this (a commitment file's commitments are not
  refusals); offers and agreements have no such file;
* ``bench/sentences/heard.json``: the evaluation meetings as tiny.en heard
  them (``bench/minutes.py --export-heard``);
* the phrase corpus (``tests/data/findings_corpus.json``);
* the evaluation meetings' truth (``bench/minutes_truth/``): every sentence
  said, a point when that kind's quote lies in it. ``--hold-out`` leaves
  meetings out (to score on them).

For refusals and offers the parent's side is left out: the finder never asks
the model about it. Sentences a truth file marks ``also_ok`` for the kind are
left out too.

The model is an L2-regularised logistic regression over
:func:`server.minutes.learned.features`, fitted by full-batch Adam; features
seen in fewer than two sentences are dropped, and so are weights too small
to matter, to keep the file small. It is deterministic.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.minutes import findings, learned  # noqa: E402

SENTENCES = ROOT / "bench" / "sentences"
CORPUS = ROOT / "tests" / "data" / "findings_corpus.json"
MEETINGS = ROOT / "bench" / "meetings"
TRUTH = ROOT / "bench" / "minutes_truth"
OUT = ROOT / "server" / "data" / "findings_model.json"
KINDS = ("refusal", "commitment", "offer", "agreement")
SCHOOL_ONLY = ("refusal", "offer")  # the finder keeps neither from the parent's side
# the least probability at which a sentence counts (chosen in bench/minutes.py --cross, the commitments' again
# in a five-fold cross-validation on 231 meetings; bench/README.md)
THRESHOLDS = {"refusal": 0.8, "commitment": 0.85, "offer": 0.9, "agreement": 0.95}


def labelled_sentences(kind):
    out = []
    if kind not in ("refusal", "commitment"):
        return out  # the sentence files label refusals and commitments only (a counter-offer is a refusal there)
    for path in sorted(SENTENCES.glob("*.json")):
        if path.stem == "heard":
            continue  # heard_sentences
        own = path.stem == f"{kind}s"  # refusals.json labels refusals; commitments.json, commitments
        for item in json.loads(path.read_text(encoding="utf-8"))["items"]:
            if kind in SCHOOL_ONLY and item.get("side") == "parent":
                continue  # never asked: the parent's side refuses nothing in the minutes
            if own:
                out.append((item["text"], int(item["label"] == kind), path.stem))
            elif kind == "refusal" and item["label"] == "commitment":
                out.append((item["text"], 0, path.stem))
    return out


def heard_sentences(kind, hold_out=()):
    """The evaluation meetings as tiny.en heard them (bench/minutes.py --export-heard): the words it gets wrong."""
    path = SENTENCES / "heard.json"
    if not path.exists():
        return []
    out = []
    for item in json.loads(path.read_text(encoding="utf-8"))["items"]:
        if item["meeting"] in hold_out or kind in item["also_ok"] or (kind in SCHOOL_ONLY and item["side"] == "parent"):
            continue
        out.append((item["text"], int(kind in item["kinds"]), f"heard:{item['meeting']}"))
    return out


def corpus_sentences(kind):
    out = []
    for item in json.loads(CORPUS.read_text(encoding="utf-8"))["items"]:
        if kind in item.get("also_ok", ()):
            continue
        out.append((item["text"], int(kind in item["kinds"]), "corpus"))
    return out


def meeting_sentences(kind, hold_out=()):
    from bench.minutes import role_id  # the family's side as the bench reads the attendees' roles

    out = []
    for path in sorted(TRUTH.glob("*.json")):
        name = path.stem
        if name in hold_out:
            continue
        meeting = json.loads((MEETINGS / f"{name}.json").read_text(encoding="utf-8"))
        truth = json.loads(path.read_text(encoding="utf-8"))
        side = findings.ruleset("us" if name.startswith("us_") else "england")["parent_side"]
        parent = {a["key"] for a in meeting["attendees"] if role_id(a["role"]) in side}
        skip = {a["turn"] for a in truth.get("also_ok", []) if kind in a.get("kinds", ())}
        quotes_of = {}
        for p in truth["points"]:
            if p["kind"] == kind:
                quotes_of.setdefault(p["turn"], []).append(p["quote"])
        for t, turn in enumerate(meeting["turns"]):
            speaker, text = turn[0], turn[1]
            if (kind in SCHOOL_ONLY and speaker in parent) or t in skip:
                continue
            quotes = [(text.find(q), text.find(q) + len(q)) for q in quotes_of.get(t, ()) if q in text]
            for a, b in findings.sentences(text):
                label = int(any(qa < b and qb > a for qa, qb in quotes))
                out.append((text[a:b], label, name))
    return out


def fit(rows, *, l2=1e-3, steps=600, rate=0.05, min_count=2):
    """Fit the regression; return (weights dict, bias)."""
    feats = [learned.features(findings.normalise(text)) for text, _, _ in rows]
    counts = {}
    for fs in feats:
        for f in fs:
            counts[f] = counts.get(f, 0) + 1
    vocab = sorted(f for f, n in counts.items() if n >= min_count)
    index = {f: i for i, f in enumerate(vocab)}
    cols = [np.array([index[f] for f in fs if f in index], dtype=np.int64) for fs in feats]
    lengths = np.array([len(c) for c in cols])
    flat = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    row_of = np.repeat(np.arange(len(rows)), lengths)
    y = np.array([label for _, label, _ in rows], dtype=np.float64)
    # each class weighs as much as the other
    pos = max(1.0, y.sum())
    neg = max(1.0, len(y) - y.sum())
    sample = np.where(y == 1, len(y) / (2 * pos), len(y) / (2 * neg))
    w = np.zeros(len(vocab))
    b = 0.0
    m_w, v_w, m_b, v_b = np.zeros_like(w), np.zeros_like(w), 0.0, 0.0
    for step in range(1, steps + 1):
        z = b + np.bincount(row_of, weights=w[flat], minlength=len(rows))
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        err = (p - y) * sample / len(y)
        g_w = np.bincount(flat, weights=err[row_of], minlength=len(vocab)) + l2 * w
        g_b = err.sum()
        m_w = 0.9 * m_w + 0.1 * g_w
        v_w = 0.999 * v_w + 0.001 * g_w * g_w
        m_b = 0.9 * m_b + 0.1 * g_b
        v_b = 0.999 * v_b + 0.001 * g_b * g_b
        correct = (1 - 0.9 ** step), (1 - 0.999 ** step)
        w -= rate * (m_w / correct[0]) / (np.sqrt(v_w / correct[1]) + 1e-8)
        b -= rate * (m_b / correct[0]) / (np.sqrt(v_b / correct[1]) + 1e-8)
    weights = {f: round(float(x), 4) for f, x in zip(vocab, w) if abs(x) >= 0.005}
    return weights, round(float(b), 4)


def rows_for(kind, hold_out=()):
    return labelled_sentences(kind) + corpus_sentences(kind) + meeting_sentences(kind, hold_out) + \
        heard_sentences(kind, hold_out)


def train(hold_out=(), thresholds=None, l2=1e-3):
    """The model file's contents: per kind, the weights, bias and threshold."""
    out = {"notes": "Weights of server/minutes/learned.py, written by tools/train_findings.py; do not edit by hand.",
           "held_out": sorted(hold_out), "l2": l2, "kinds": {}}
    for kind in KINDS:
        rows = rows_for(kind, hold_out)
        weights, bias = fit(rows, l2=l2)
        out["kinds"][kind] = {
            "sentences": len(rows), "positives": int(sum(label for _, label, _ in rows)),
            "threshold": (thresholds or THRESHOLDS)[kind], "bias": bias, "weights": dict(sorted(weights.items())),
        }
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hold-out", default="", help="meetings (comma-separated) to leave out of training")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--l2", type=float, default=1e-3)
    args = parser.parse_args(argv)
    model = train({n for n in args.hold_out.split(",") if n}, l2=args.l2)
    args.out.write_text(json.dumps(model, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    for kind, m in model["kinds"].items():
        print(f"{kind}: {m['sentences']} sentences ({m['positives']} positive), {len(m['weights'])} weights")
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()
