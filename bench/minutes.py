"""Benchmark the summary: do the draft's points carry the refusals and commitments said in the meeting?

Usage::

    .venv/bin/python bench/minutes.py [--meetings NAME,...] [--mode text|asr|both] [--json FILE]

For each scripted evaluation meeting (``bench/meetings/``) with a truth file
(``bench/minutes_truth/NAME.json``: every refusal, commitment, offer and
agreement said, with who, the due date and the words, written by hand):

* **text**: the script's own turns as utterances (perfect words and speakers);
* **asr**: as a parent gets it: the rendered meeting transcribed by the bundled
  tiny.en (cached by ``bench/attribution.py``), the words attributed by
  :func:`transcribe.utterances.utterances` with the parent's taps of scenario
  **b** (speaker taps on a third of the speaker changes, agenda taps, no
  markers) and the voice frames.

Then :func:`server.minutes.findings.find` (what the draft carries, "from the
recording: check") and the scores, per kind (refusal, commitment):

* **recall**: truth points with a finding of that kind on the turn's words
  (overlapping in time, sharing two content words with the truth's quote); a
  restated action counts once (found if either saying is);
* **precision**: findings of that kind that are a truth point (any saying), or
  a turn marked ``also_ok``; the rest are **false points**;
* **right person**: found points whose person (who refused, who owns the
  action) is the truth's (for an action on behalf of someone absent: that
  person or body, not the speaker);
* **right due**: found commitments with a due date in the truth whose date is
  the truth's;
* **draft / said**: characters of the quotes the draft carries (refusals,
  commitments, offers, agreements, requests, questions, after an action said
  twice is merged) against the characters of everything said.

Each meeting after the first three was written by someone who never read the
rules, and scored once before any rule was touched (the "first score" in
``bench/README.md``: the figure to expect on a meeting nobody has seen); the
rules were then widened in general forms from what it missed.

``--second-reader`` scores, in place of the finder, a second person's independent reading of a meeting
(``bench/second_reading/NAME.json``, written from the script alone under the truth files' conventions, without
seeing the truth file): how far two careful people agree, the ceiling the finder is judged against.

``--corpus`` scores the phrase corpus (``tests/data/findings_corpus.json``)
sentence by sentence instead: as written, and as tiny.en hears it after
espeak-ng reads each sentence (two voices, alternating; 1 s apart; the WAV
and its transcript cached in ``bench/.cache/``), per kind: recall and
precision.
"""
from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import attribution as attr_bench  # noqa: E402
from bench import meetings as meeting_gen  # noqa: E402

from server.minutes import findings  # noqa: E402
from server.minutes.drafting import content_words  # noqa: E402
from server.minutes.when import Due  # noqa: E402
from transcribe.spelling import respell  # noqa: E402

TRUTH = ROOT / "bench" / "minutes_truth"
KINDS = ("refusal", "commitment", "offer", "agreement")
# the free-text roles of the evaluation meetings, as role ids (for the parent's side and bodies)
ROLE_WORDS = [
    # the family's side first, as the parent would pick them from the roles file ("Solicitor acting for the parents"
    # is no parent; a grandmother who is the legal guardian, and the pupil (below), are no school staff)
    # (a probation officer or an education liaison the family invited is no member of the family)
    ("probation officer", "other"), ("tribal education liaison", "other"), ("school liaison officer", "other"),
    # a virtual school's adviser is no pupil; an older brother or sister, or a family friend, who comes along is the
    # second adult the parent brings
    ("virtual school", "virtual_school"), ("older brother", "supporter_notetaker"),
    ("older sister", "supporter_notetaker"), ("family friend", "supporter_notetaker"),
    ("interpreter", "interpreter"), ("solicitor", "solicitor_attorney"), ("attorney for the parents", "solicitor_attorney"),
    ("family's lawyer", "solicitor_attorney"), ("foster carer", "parent"),
    ("family's private", "independent_professional"), ("sendiass", "sendiass_adviser"), ("advice charity", "advocate"),
    ("advocate", "advocate"), ("family supporter", "supporter_notetaker"), ("note-taker", "supporter_notetaker"),
    ("notetaker", "supporter_notetaker"), ("private therapist", "independent_professional"), ("young person", "young_person"),
    ("guardian", "parent"), ("grandparent", "second_parent"),
    ("grandmother", "second_parent"), ("grandfather", "second_parent"), ("grandad", "second_parent"),
    ("lea", "lea_rep"), ("program specialist", "lea_rep"), ("head of year", "head_of_year"), ("partner", "partner"), ("dad", "second_parent"), ("father", "second_parent"), ("parent", "parent"),
    ("mum", "parent"), ("mother", "parent"), ("stepfather", "second_parent"), ("stepmother", "second_parent"),
    ("stepdad", "second_parent"), ("stepmum", "second_parent"), ("stepmom", "second_parent"), ("step-dad", "second_parent"),
    ("step-mum", "second_parent"), ("step-mom", "second_parent"), ("senco", "senco"), ("head", "head_teacher"), ("headteacher", "head_teacher"),
    ("principal", "principal"), ("class teacher", "class_teacher"), ("general education", "gen_ed_teacher"),
    ("special education", "sped_teacher"), ("district", "lea_rep"), ("la", "la_sen_officer"),
    ("local authority", "la_sen_officer"), ("case officer", "la_sen_officer"), ("sen officer", "la_sen_officer"),
    ("school psychologist", "evaluator"), ("educational psychologist", "educational_psychologist"),
    ("speech-language", "slp"), ("speech and language", "salt"), ("teaching assistant", "ta"),
    ("occupational", "ot"), ("teacher", "class_teacher"),
    # last: "Assistant director of student services" is the district's
    ("pupil", "young_person"), ("student", "student"),
]


def role_id(text):
    """The role an attendee's description in a meeting file names (whole words: "Inclusion lead" is no LEA)."""
    # "(invited by the mother)" says who asked them, not who they are
    low = re.sub(r"\binvited by (?:the|his|her|their) [a-z]+", "", text.lower())
    if low.startswith("private ") and not low.startswith("private school"):
        return "independent_professional"  # "Private structured literacy tutor", "Private speech-language pathologist"
    if low.startswith("key worker"):
        return "other"  # "Key worker, Riverside Centre (pupil referral unit)": no pupil
    if "interpreter" in low and "interpreter" not in low.split("(")[0]:
        low = low.split("(")[0]  # "Parent (mother; speaks mostly through the interpreter)" is the parent
    # whole words, not part of a hyphenated one (a TA who "runs the talking-partner sessions" is no partner)
    return next((rid for word, rid in ROLE_WORDS if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", low)), "other")


def attendees_of(meeting):
    return {a["key"]: types.SimpleNamespace(id=a["key"], name=a["name"], role=role_id(a["role"]))
            for a in meeting["attendees"]}


def child_of(meeting):
    m = re.search(r"\(([A-Z][a-z]+)", meeting["title"])
    return m.group(1) if m else ""


def seg(start_ms, end_ms, text, speaker, names, item=None, words=()):
    return types.SimpleNamespace(start_ms=start_ms, end_ms=end_ms, text=text, speaker_id=speaker,
                                 speaker=names.get(speaker), unsure=(), agenda_item_id=item, id=start_ms,
                                 words=tuple(words))


def text_segments(meeting):
    names = {a["key"]: a["name"] for a in meeting["attendees"]}
    return [seg(t["start_ms"], t["end_ms"], t["text"], t["speaker"], names) for t in meeting["turns"]]


def asr_segments(meeting, wav):
    """The meeting as the server reads it from the recording: words spelled as the meeting spells its names and
    terms (server/attribution.py), then who said what with scenario b's taps."""
    module = attr_bench.load_new_rule()
    segments, _ = attr_bench.transcribe_meeting(wav, None)
    frames = attr_bench.voice_frames_for(wav)
    taps = attr_bench.simulate_taps(meeting, "b")
    words = respell([w for s in segments for w in s.words],
                    [a["name"] for a in meeting["attendees"] if a["name"]] + attr_bench.glossary_terms())
    utts = module.utterances(words, taps["speaker"], voices=frames, agenda=taps["agenda"])
    names = {a["key"]: a["name"] for a in meeting["attendees"]}
    # with the words' probabilities, as the server's utterances carry them
    return [seg(u.start_ms, u.end_ms, u.text, u.speaker if u.speaker in names else None, names, u.agenda_item,
                u.to_dict()["words"]) for u in utts]


def on_turn(finding, turn, point):
    """A finding is the truth point when its words overlap the turn in time and share its quote's words."""
    s = finding.segment
    overlap = min(s.end_ms, turn["end_ms"]) - max(s.start_ms, turn["start_ms"])
    if overlap <= 0:
        return False
    truth = content_words(point.get("quote") or point.get("what") or "")
    mine = content_words(finding.quote)
    if not mine:
        # a reply with no content words ("Go on, do that."): the point when the truth's words hold it
        return _plain(finding.quote) in _plain(point.get("quote") or "")
    # a short finding ("Realistically, no.") is the point when all its words are the point's
    return len(truth & mine) >= min(2, len(truth), len(mine) or 2)


def _plain(text):
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def right_person(finding, point):
    """The finding names the truth's person (or one its ``also_ok_who`` allows: "I'll get Sharon to…" may be the
    speaker's or Sharon's): the attendee, a named absent person, or a body spoken for."""
    return any(_names(finding, who) for who in (point["who"], *point.get("also_ok_who", ())))


def _names(finding, who):
    if who.startswith("named:"):
        # the person as the words name them: "Fraser will see him" names Dr Fraser (by the surname said), "Gil'll
        # call you" Gil Navarro (by the first name alone, when the meeting never says the surname)
        said = re.findall(r"[a-z'-]+", (finding.who_label or "").lower())
        name = re.findall(r"[a-z'-]+", who.split(":", 1)[1].lower())
        return bool(said) and (name[-1] in said or said == name[:1])
    if who.startswith("org:"):
        # said on behalf of a body: the body itself, or the attendee who speaks for it (not the speaker's own promise)
        return bool(finding.who_label) or (finding.who is not None and finding.who != finding.said_by)
    return finding.who == who


def score(meeting, truth, found):
    turns = meeting["turns"]
    out = {}
    also = {(a["turn"], k) for a in truth.get("also_ok", []) for k in a.get("kinds", [])}
    for kind in KINDS:
        points = [p for p in truth["points"] if p["kind"] == kind]
        mine = [f for f in found if f.kind == kind]
        # group restatements with what they restate: one action
        groups = {}
        for i, p in enumerate(points):
            key = (p["same_as"], p["who"]) if p.get("restated") and p.get("same_as") is not None else (p["turn"], i)
            if p.get("restated") and p.get("same_as") is not None:
                # the restated action's key is the earlier point's
                # of the earlier turn's points by the same person, the one whose words are most like it
                said = content_words(p.get("quote") or p.get("what") or "")
                earlier = max((j for j, q in enumerate(points) if q["turn"] == p["same_as"] and q["who"] == p["who"]),
                              key=lambda j: len(said & content_words(points[j].get("quote") or points[j].get("what")
                                                                     or "")), default=None)
                key = (p["same_as"], earlier) if earlier is not None else (p["turn"], i)
            groups.setdefault(key, []).append(p)
        hit, person, due_right, due_total, due_unsaid = 0, 0, 0, 0, 0
        used, missed, wrong, wrong_person = set(), [], [], []
        for members in groups.values():
            match = None
            for p in members:
                # the finding on the turn whose words are most like the truth's
                candidates = [f for f in mine if id(f) not in used and on_turn(f, turns[p["turn"]], p)]
                truth_words = content_words(p.get("quote") or p.get("what") or "")
                match = max(candidates, key=lambda f: len(truth_words & content_words(f.quote)), default=None)
                if match is not None:
                    break
            if match is None:
                missed.append(members[0].get("quote") or members[0].get("what") or "")
                continue
            used.add(id(match))
            hit += 1
            if right_person(match, p):
                person += 1
            else:
                wrong_person.append(f"{p['who']} got {match.who or match.who_label}: {match.quote[:60]}")
            truth_due = next((q.get("due") for q in members if q.get("due")), None)
            if not truth_due and match.due and match.due.date:
                due_unsaid += 1  # a date the words did not give this action
                wrong.append(f"none said, got {match.due.iso()}: {match.quote[:70]}")
            if truth_due:
                due_total += 1
                if match.due and match.due.iso() == truth_due:
                    due_right += 1
                else:
                    wrong.append(f"{truth_due} got {match.due.iso() if match.due else None}: {match.quote[:70]}")
        true_findings = 0
        false = []
        for f in mine:
            if id(f) in used or any(on_turn(f, turns[p["turn"]], p) for p in points):
                true_findings += 1
                continue
            # also fine: a turn marked also_ok for this kind
            if any(min(f.segment.end_ms, turns[t]["end_ms"]) > max(f.segment.start_ms, turns[t]["start_ms"])
                   for t, k in also if k == kind):
                true_findings += 1
                continue
            false.append(f"[{f.rule.get('id')}] {f.quote[:90]}")
        out[kind] = {"truth": len(groups), "found": hit, "person": person, "due_right": due_right,
                     "due_total": due_total, "due_unsaid": due_unsaid, "findings": len(mine),
                     "true_findings": true_findings, "false": false, "missed": missed, "due_wrong": wrong, "wrong_person": wrong_person}
    said = sum(len(t["text"]) for t in turns)
    shown, kept = 0, []
    for f in found:
        if f.kind not in findings.IN_DRAFT:
            continue
        if f.kind == "commitment" and any(k.kind == "commitment" and k.who == f.who and
                                          len(content_words(k.quote) & content_words(f.quote)) >= 2 for k in kept):
            continue
        kept.append(f)
        shown += len(f.quote)
    out["draft_chars"], out["said_chars"] = shown, said
    return out


def use_model(model):
    """Make the finder's learned reader this one (a findings_model.json as tools/train_findings.py writes)."""
    findings.learned.model = lambda: model


def with_thresholds(model, thresholds):
    return {**model, "kinds": {k: {**m, "threshold": thresholds[k]} for k, m in model["kinds"].items()}}


def run(name, modes, second_opinion=True):
    if not (meeting_gen.CACHE / f"{name}.json").exists():
        meeting_gen.generate([name])
    meeting = json.loads((meeting_gen.CACHE / f"{name}.json").read_text())
    truth = json.loads((TRUTH / f"{name}.json").read_text())
    day = datetime.date.fromisoformat(truth["date"])
    jurisdiction = "us" if name.startswith("us_") else "england"
    result = {"name": name}
    for mode in modes:
        segments = text_segments(meeting) if mode == "text" else asr_segments(
            meeting, meeting_gen.CACHE / f"{name}.wav")
        found = findings.find(segments, attendees_of(meeting), jurisdiction, day, child_of(meeting),
                              second_opinion=second_opinion)
        result[mode] = score(meeting, truth, found)
    return result


SECOND = ROOT / "bench" / "second_reading"


def reader_findings(meeting, points):
    """A second person's reading of the meeting (``bench/second_reading/NAME.json``: points in the truth files'
    shape, written without seeing them) as findings on the script's turns, to score as the finder is scored."""
    out = []
    for p in points:
        turn = meeting["turns"][p["turn"]]
        who = p.get("who") or ""
        label = who.split(":", 1)[1] if ":" in who else None
        due = Due(p["due"], datetime.date.fromisoformat(p["due"])) if p.get("due") else None
        out.append(types.SimpleNamespace(
            segment=types.SimpleNamespace(start_ms=turn["start_ms"], end_ms=turn["end_ms"]), kind=p["kind"],
            quote=p.get("quote") or "", who=None if label else who, who_label=label,
            said_by=p.get("said_by") or turn["speaker"], due=due, rule={"id": "second reader"}))
    return out


def run_reader(name):
    """The second reading's scores against the truth file: how far two careful people agree."""
    if not (meeting_gen.CACHE / f"{name}.json").exists():
        meeting_gen.generate([name])
    meeting = json.loads((meeting_gen.CACHE / f"{name}.json").read_text())
    truth = json.loads((TRUTH / f"{name}.json").read_text())
    points = json.loads((SECOND / f"{name}.json").read_text())["points"]
    return {"name": name, "reader": score(meeting, truth, reader_findings(meeting, points))}


def heard_sentences(meeting, truth, segments, parent_side):
    """Each sentence of the transcribed meeting, with the kinds of the truth points it says (for training)."""
    out = []
    turns = meeting["turns"]
    for seg in segments:
        for a, b in findings.sentences(seg.text):
            sentence = seg.text[a:b].strip()
            mine = content_words(sentence)
            near = [t for t, turn in enumerate(turns)
                    if min(seg.end_ms, turn["end_ms"]) > max(seg.start_ms, turn["start_ms"])]
            kinds = sorted({p["kind"] for p in truth["points"] if p["turn"] in near and len(
                content_words(p["quote"]) & mine) >= min(2, len(content_words(p["quote"])), len(mine) or 2)})
            also = sorted({k for x in truth.get("also_ok", []) if x["turn"] in near for k in x.get("kinds", ())})
            out.append({"text": sentence, "kinds": kinds, "also_ok": also,
                        "side": "parent" if seg.speaker_id in parent_side else "school", "meeting": meeting["name"]})
    return out


def export_heard(names, path):
    """Write every evaluation meeting's sentences as tiny.en heard them (scenario b), labelled from the truth."""
    items = []
    for name in names:
        if not (meeting_gen.CACHE / f"{name}.json").exists():
            meeting_gen.generate([name])
        meeting = json.loads((meeting_gen.CACHE / f"{name}.json").read_text())
        meeting["name"] = name
        truth = json.loads((TRUTH / f"{name}.json").read_text())
        jurisdiction = "us" if name.startswith("us_") else "england"
        parent_side = {k for k, a in attendees_of(meeting).items()
                       if a.role in findings.ruleset(jurisdiction)["parent_side"]}
        items += heard_sentences(meeting, truth, asr_segments(meeting, meeting_gen.CACHE / f"{name}.wav"), parent_side)
    Path(path).write_text(json.dumps({
        "notes": "The evaluation meetings as the bundled tiny.en heard them (rendered with espeak-ng, names respelled, words "
                 "attributed with scenario b's taps), sentence by sentence; kinds: the truth points (bench/"
                 "minutes_truth) whose quote shares two content words with the sentence, said in a turn it "
                 "overlaps. Written by bench/minutes.py --export-heard; tools/train_findings.py learns from it.",
        "items": items}, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(items)} sentences -> {path}")


CORPUS = ROOT / "tests" / "data" / "findings_corpus.json"
CORPUS_VOICES = (("en-gb-x-rp+f2", 170, 50), ("en+m3", 160, 40))


def corpus_audio(items):
    """Render the corpus sentences one after another (cached); return the WAV path and each sentence's span."""
    import hashlib
    import wave

    import numpy as np

    key = hashlib.sha256(json.dumps([i["text"] for i in items]).encode()).hexdigest()[:16]
    wav = attr_bench.CACHE / "corpus" / f"corpus-{key}.wav"
    spans_path = wav.with_suffix(".json")
    if wav.exists() and spans_path.exists():
        return wav, json.loads(spans_path.read_text())
    wav.parent.mkdir(parents=True, exist_ok=True)
    parts, spans, at = [], [], 16000
    parts.append(np.zeros(16000, dtype=np.float32))
    for n, item in enumerate(items):
        voice, speed, pitch = CORPUS_VOICES[n % len(CORPUS_VOICES)]
        audio = meeting_gen.trim(meeting_gen.espeak(item["text"], voice, speed, pitch))
        spans.append((at * 1000 // 16000, (at + len(audio)) * 1000 // 16000))
        parts += [audio, np.zeros(16000, dtype=np.float32)]
        at += len(audio) + 16000
    samples = np.concatenate(parts)
    samples = samples / max(1e-6, float(np.abs(samples).max())) * 0.8
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((samples * 32767).astype("<i2").tobytes())
    spans_path.write_text(json.dumps(spans))
    return wav, spans


def run_corpus(modes):
    items = json.loads(CORPUS.read_text())["items"]
    speaker = types.SimpleNamespace(id="s", name="Helen Price", role="senco")
    texts = {"text": [i["text"] for i in items]}
    if "asr" in modes:
        wav, spans = corpus_audio(items)
        segments, _ = attr_bench.transcribe_meeting(wav, None)
        words = [w for s in segments for w in s.words]
        texts["asr"] = [" ".join(w.text.strip() for w in words if a - 300 <= (w.start_ms + w.end_ms) // 2 <= b + 300)
                        for a, b in spans]
    out = {}
    for mode in modes:
        scores = {}
        for item, text in zip(items, texts[mode]):
            j = "us" if item.get("region") == "us" else "england"
            said = types.SimpleNamespace(start_ms=0, end_ms=5000, text=text, speaker_id="s", speaker="Helen Price",
                                         unsure=(), agenda_item_id=None, id=0)
            got = {f.kind for f in findings.find([said], {"s": speaker}, j, datetime.date(2026, 3, 10))}
            for kind in ("refusal", "commitment", "offer", "agreement"):
                tp_fn_fp = scores.setdefault(kind, [0, 0, 0])
                if kind in item["kinds"]:
                    tp_fn_fp[0 if kind in got else 1] += 1
                elif kind in got and kind not in item.get("also_ok", []):
                    tp_fn_fp[2] += 1
        out[mode] = scores
        print(f"corpus {mode:<4}", "  ".join(
            f"{k}: recall {pct(tp, tp + fn)} precision {pct(tp, tp + fp)}" for k, (tp, fn, fp) in scores.items()))
    return out


def pct(n, d):
    return f"{100 * n / d:5.1f} % ({n}/{d})" if d else "    -"


def pool(results, mode):
    """The scores of several meetings added together, in the shape of one meeting's."""
    fields = ("truth", "found", "person", "due_right", "due_total", "due_unsaid", "findings", "true_findings")
    out = {k: {f: sum(r[mode][k][f] for r in results) for f in fields} for k in KINDS}
    for k in KINDS:
        out[k]["false"] = [q for r in results for q in r[mode][k]["false"]]
    out["draft_chars"] = sum(r[mode]["draft_chars"] for r in results)
    out["said_chars"] = sum(r[mode]["said_chars"] for r in results)
    return out


def print_line(label, s):
    print(label, end="")
    for kind in KINDS:
        k = s[kind]
        print(f" | {kind} recall {pct(k['found'], k['truth'])} precision {pct(k['true_findings'], k['findings'])}"
              f" right person {pct(k['person'], k['found'])}", end="")
    c = s["commitment"]
    print(f" | due right {pct(c['due_right'], c['due_total'])} (a date where none was said: {c['due_unsaid']})"
          f" | false points {sum(len(s[k]['false']) for k in KINDS)}"
          f" | draft/said {s['draft_chars'] / s['said_chars']:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--meetings", default=",".join(sorted(p.stem for p in TRUTH.glob("*.json"))))
    parser.add_argument("--mode", choices=("text", "asr", "both"), default="both")
    parser.add_argument("--json")
    parser.add_argument("--show-false", action="store_true", help="print each false point's words")
    parser.add_argument("--show-missed", action="store_true", help="print each missed point and each wrong due date")
    parser.add_argument("--corpus", action="store_true", help="score the phrase corpus instead of the meetings")
    parser.add_argument("--second-opinion", choices=("on", "off"), default="on",
                        help="ask the learned reader about what the rules missed (server/minutes/learned.py)")
    parser.add_argument("--model", help="the learned reader described by this findings_model.json "
                                        "(tools/train_findings.py --out-dir; its file and tokenizer as full paths)")
    parser.add_argument("--threshold", help="the learned reader's thresholds, e.g. refusal=0.9,commitment=0.85")
    parser.add_argument("--asr-model", metavar="DIR",
                        help="asr mode: transcribe with this CTranslate2 model directory (float32) instead of tiny.en")
    parser.add_argument("--second-reader", action="store_true",
                        help="score the second readings (bench/second_reading/) against the truth files instead")
    parser.add_argument("--export-heard", metavar="FILE",
                        help="write the meetings' sentences as tiny.en heard them, labelled, for training")
    args = parser.parse_args()
    attr_bench.ASR_MODEL = args.asr_model
    if args.export_heard:
        export_heard(args.meetings.split(","), args.export_heard)
        return
    modes = ("text", "asr") if args.mode == "both" else (args.mode,)
    if args.corpus:
        results = run_corpus(modes)
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1))
        return
    if args.second_reader:
        results = [run_reader(n) for n in args.meetings.split(",") if (SECOND / f"{n}.json").exists()]
        for r in results:
            print_line(f"{r['name']:<22} 2nd ", r["reader"])
        print()
        print_line(f"ALL ({len(results)} meetings) second reader", pool(results, "reader"))
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1, default=str))
        return
    second_opinion = args.second_opinion == "on"
    if args.model:
        use_model(json.loads(Path(args.model).read_text()))
    base = findings.learned.model()
    thresholds = {k: m["threshold"] for k, m in base["kinds"].items()}
    for pair in filter(None, (args.threshold or "").split(",")):
        kind, value = pair.split("=")
        thresholds[kind] = float(value)
    results = []
    for name in args.meetings.split(","):
        use_model(with_thresholds(base, thresholds))
        results.append(run(name, modes, second_opinion))
    for r in results:
        for mode in modes:
            print_line(f"{r['name']:<22} {mode:<4}", r[mode])
            if args.show_false:
                for kind in KINDS:
                    for q in r[mode][kind]["false"]:
                        print(f"    false {mode} {kind}: {q}")
            if args.show_missed:
                for kind in KINDS:
                    for q in r[mode][kind]["missed"]:
                        print(f"    missed {mode} {kind}: {q}")
                    for q in r[mode][kind]["due_wrong"]:
                        print(f"    due {mode} {kind}: {q}")
                    for q in r[mode][kind]["wrong_person"]:
                        print(f"    who {mode} {kind}: {q}")
    print()
    for mode in modes:
        print_line(f"ALL ({len(results)} meetings) {mode:<4}", pool(results, mode))
    print_speed(args.meetings.split(","))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))


def print_speed(names):
    """The finder's own time on the meetings' words: read afresh, and handed back from its cache (a review page
    asks for the same meeting's points several times)."""
    import time

    fresh = kept = minutes = 0.0
    for name in names:
        meeting = json.loads((meeting_gen.CACHE / f"{name}.json").read_text())
        day = datetime.date.fromisoformat(json.loads((TRUTH / f"{name}.json").read_text())["date"])
        args = (attendees_of(meeting), "us" if name.startswith("us_") else "england", day, child_of(meeting))
        began = time.perf_counter()
        findings.find_uncached(text_segments(meeting), *args)
        fresh += time.perf_counter() - began
        findings.find(text_segments(meeting), *args)
        began = time.perf_counter()
        findings.find(text_segments(meeting), *args)
        kept += time.perf_counter() - began
        minutes += meeting["turns"][-1]["end_ms"] / 60000
    print(f"finder: {1000 * fresh / minutes * 10:.0f} ms per 10 minutes of talk read afresh, "
          f"{1000 * kept / minutes * 10:.1f} ms from its cache ({fresh / kept:.0f}x)")


if __name__ == "__main__":
    main()
