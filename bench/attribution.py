"""Benchmark who-said-what attribution on the evaluation meetings.

Usage::

    .venv/bin/python bench/attribution.py [--meetings NAME,...] [--regen]
        [--vocabulary none|names|names+glossary|all] [--no-voices] [--json FILE]

For each meeting of ``bench/meetings.py`` (rendered first if needed):

1. **Transcribe** as the server's job does: an
   :class:`transcribe.IncrementalTranscriber` on ``get_transcriber()``
   (bundled tiny.en), beam 5, batch 1, fed 5-s pieces of the decoded WAV,
   then ``finish()``. ``--vocabulary``: ``names`` = the attendees' names,
   ``names+glossary`` = the names then the SEN glossary
   (``server/data/glossary.json``), as ``server/jobs.py:vocabulary()`` does
   (the default); ``all`` transcribes with each of the three and prints
   their transcript figures, then attributes the default's. Printed: WER
   (:func:`transcribe.evaluation.word_error_rate`, the truth turns joined in
   time order against the segments joined), segments and their mean
   length, and the inserted vocabulary (:func:`inserted_vocabulary`). The
   segments and words are cached in ``bench/.cache/transcripts/`` by the
   WAV's sha256 and the settings, so runs that only change attribution are
   quick.
2. **Voice frames**: :func:`transcribe.voices.voice_frames` over the whole
   recording, cached in ``bench/.cache/voices/`` by the WAV's sha256 and the
   voices module's source. Skipped with ``--no-voices`` or when the module
   is missing.
3. **The parent's taps**, seeded by the meeting's name (the same taps every
   run), in three scenarios:

   * **a**: a speaker tap at the start of every turn where the speaker
     changes, 300 ms late ± 100 ms (uniform);
   * **b**: those taps on a random third of those turns only;
   * **c**: no speaker taps.

   In every scenario: an agenda tap 1-3 s after each item's first turn
   starts, and each of the meeting's four markers tapped 2-5 s after its
   turn's end.
4. **Attribution**, two rules side by side: ``baseline``,
   :func:`transcribe.align.attribute` on whole segments (the rule before
   utterances); ``new``, :func:`transcribe.utterances.utterances` on the
   words, with the voice frames (when there are any) and the agenda taps.
5. **Scores**, by the pure functions below (each docstring says what is
   counted): speaker right by speech duration (with wrong, "not
   identified" and uncovered shares), in scenario c the diarization-style
   figure for the voice numbers, markers (person and words), agenda item
   by duration, and the spans (count, mean length, how many mix two
   speakers).

One table per meeting, then a summary pooled over the meetings (frames and
markers summed, so longer meetings weigh more). ``--json FILE`` (``-`` for
standard output) writes every figure.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import json
import sys
import time
import zlib
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# bench/transcribe.py would shadow the transcribe package: keep this folder off sys.path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

from bench import meetings as meeting_files  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
GLOSSARY = ROOT / "server" / "data" / "glossary.json"
FRAME_MS = 10
PIECE_S = 5
VOCABULARIES = ("none", "names", "names+glossary")
DEFAULT_VOCABULARY = "none"  # as the server does (MINUTED_WHISPER_VOCABULARY)
# the Whisper model the meetings are transcribed with: None for the bundled tiny.en, or a
# CTranslate2 model directory (``--asr-model``; e.g. Whisper base, asr.md), run in float32
ASR_MODEL: str | None = None
SCENARIOS = {
    "a": "every turn, late",
    "b": "a third of turns",
    "c": "no speaker taps",
}
TAP_LATE_MS, TAP_JITTER_MS = 300, 100
AGENDA_LATE_MS = (1000, 3000)
MARKER_LATE_MS = (2000, 5000)
MIXED_MS = 300  # a span "mixes" speakers when a second one has this much sole speech in it
# the server's marker evidence window (server/minutes/drafting.py)
LOOK_BACK_MS, LOOK_AHEAD_MS = 30_000, 3_000


@dataclasses.dataclass(frozen=True)
class Span:
    """A stretch of hypothesis: a baseline segment or a new-rule utterance."""

    start_ms: int
    end_ms: int
    speaker: Hashable | None
    agenda_item: Hashable | None = None
    voice: int | None = None
    text: str = ""


# --- transcription ---------------------------------------------------------


def sha256_file(path: Path) -> str:
    """Return the file's sha256 (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def glossary_terms() -> list[str]:
    """Return the SEN glossary's terms, as the server reads them."""
    with open(GLOSSARY, encoding="utf-8") as f:
        return [t["term"] for t in json.load(f)["terms"]]


def vocabulary(meeting: dict, mode: str) -> list[str] | None:
    """Return the vocabulary prompt for ``mode`` (None for ``none``), as ``server/jobs.py`` builds it."""
    if mode == "none":
        return None
    names = [a["name"] for a in meeting["attendees"] if a["name"]]
    if mode == "names":
        return names
    return names + [t for t in glossary_terms() if t not in names]


def transcribe_meeting(wav: Path, words: list[str] | None, *, regen: bool = False) -> tuple[list, float | None]:
    """Return the meeting's segments (cached) and the seconds transcription took (None when cached)."""
    import faster_whisper

    from transcribe.types import Segment

    model = "bundled tiny.en" if ASR_MODEL is None else Path(ASR_MODEL).name
    settings = {"engine": "faster-whisper", "faster_whisper": faster_whisper.__version__, "model": model,
                "beam_size": 5, "batch_size": 1, "piece_s": PIECE_S, "vocabulary": words}
    if ASR_MODEL is not None:
        settings["compute_type"] = "float32"
    key = sha256_file(wav)[:20] + "-" + hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    path = CACHE / "transcripts" / f"{key}.json"
    if path.exists() and not regen:
        with open(path, encoding="utf-8") as f:
            return [Segment.from_dict(s) for s in json.load(f)["segments"]], None

    from transcribe import IncrementalTranscriber, decode, get_transcriber

    samples = decode(str(wav))
    engine = get_transcriber() if ASR_MODEL is None else get_transcriber(
        model=ASR_MODEL, compute_type="float32", language="en")
    inc = IncrementalTranscriber(engine, vocabulary=words, beam_size=5, batch_size=1)
    step = PIECE_S * 16000
    began = time.perf_counter()
    for start in range(0, len(samples), step):
        inc.append(samples[start:start + step])
    inc.finish()
    took = time.perf_counter() - began
    segments = list(inc.segments)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"wav": wav.name, "settings": settings, "seconds": round(took, 1),
                   "segments": [s.to_dict(words=True) for s in segments]}, f)
    return segments, took


def voice_frames_for(wav: Path, *, regen: bool = False):
    """Return the recording's voice frames (cached), or None when ``transcribe.voices`` is not importable."""
    try:
        from transcribe import voices
    except ImportError:
        return None
    source = hashlib.sha256(Path(voices.__file__).read_bytes()).hexdigest()[:10]
    path = CACHE / "voices" / f"{sha256_file(wav)[:20]}-{source}.mvf"
    if path.exists() and not regen:
        return voices.VoiceFrames.from_bytes(path.read_bytes())
    from transcribe import decode

    frames = voices.voice_frames(decode(str(wav)))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(frames.to_bytes())
    return frames


# --- taps ------------------------------------------------------------------


def _rng(*parts: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32("/".join(parts).encode()))


def simulate_taps(meeting: dict, scenario: str) -> dict[str, list[tuple[int, Any]]]:
    """Return the parent's taps for a scenario (see the module docstring), deterministic by meeting name.

    Returns:
        ``speaker``: ``(at_ms, attendee_key)``; ``agenda``: ``(at_ms, item_key)``;
        ``markers``: ``(at_ms, index into meeting["markers"])``. The agenda and
        marker taps are the same in every scenario.
    """
    turns = meeting["turns"]
    starts = [i for i, t in enumerate(turns) if i == 0 or t["speaker"] != turns[i - 1]["speaker"]]
    rng = _rng(meeting["name"], "speaker", scenario)
    if scenario == "a":
        tapped = starts
    elif scenario == "b":
        tapped = sorted(rng.choice(starts, size=max(1, round(len(starts) / 3)), replace=False).tolist())
    elif scenario == "c":
        tapped = []
    else:
        raise ValueError(f"unknown scenario {scenario!r}")
    late = rng.uniform(TAP_LATE_MS - TAP_JITTER_MS, TAP_LATE_MS + TAP_JITTER_MS, size=len(turns))
    speaker = [(int(turns[i]["start_ms"] + late[i]), turns[i]["speaker"]) for i in tapped]
    rng = _rng(meeting["name"], "agenda")
    agenda = [(int(item["start_ms"] + rng.uniform(*AGENDA_LATE_MS)), item["key"]) for item in meeting["agenda"]]
    rng = _rng(meeting["name"], "markers")
    markers = [(int(turns[m["turn"]]["end_ms"] + rng.uniform(*MARKER_LATE_MS)), k)
               for k, m in enumerate(meeting["markers"])]
    return {"speaker": speaker, "agenda": sorted(agenda), "markers": markers}


# --- the two rules ---------------------------------------------------------


def baseline_spans(segments: Sequence, taps: Sequence[tuple[int, Any]], agenda: Sequence[tuple[int, Any]]) -> list[Span]:
    """Attribute whole segments with :func:`transcribe.align.attribute` (the rule before utterances)."""
    from transcribe.align import attribute

    return [Span(s.start_ms, s.end_ms, s.speaker, s.agenda_item, None, s.text)
            for s in attribute(segments, taps, agenda)]


def load_new_rule():
    """Return ``transcribe.utterances`` if it can be imported, else None."""
    import importlib

    try:
        return importlib.import_module("transcribe.utterances")
    except ImportError:
        return None


def new_spans(module, segments: Sequence, taps, agenda, frames) -> tuple[list[Span], list]:
    """Attribute the words with ``transcribe.utterances.utterances``; return spans and the utterances."""
    words = [w for s in segments for w in s.words]
    utts = module.utterances(words, taps, voices=frames, agenda=agenda)
    return [Span(u.start_ms, u.end_ms, u.speaker, u.agenda_item, u.voice, u.text) for u in utts], utts


def server_evidence(spans: Sequence[Span], taps: Sequence[tuple[int, Any]], at_ms: int) -> int | None:
    """Return the index of the segment the server shows as a marker's evidence (server/minutes/drafting.py).

    Segments within 30 s before to 3 s after the tap; the tapped speaker's
    first (the last speaker tap at or before the marker), then the one
    ending nearest before the tap, then the later one.
    """
    speaker = speaker_at(taps, at_ms)
    lo, hi = at_ms - LOOK_BACK_MS, at_ms + LOOK_AHEAD_MS
    near = [i for i, s in enumerate(spans) if s.start_ms <= hi and s.end_ms >= lo]
    if not near:
        return None
    near.sort(key=lambda i: (spans[i].speaker != speaker if speaker else False,
                             abs(min(spans[i].end_ms, at_ms) - at_ms), -spans[i].start_ms))
    return near[0]


def speaker_at(taps: Sequence[tuple[int, Any]], at_ms: int) -> Any:
    """Return the speaker of the last tap at or before ``at_ms`` (None before the first)."""
    current = None
    for at, who in sorted(taps, key=lambda t: t[0]):
        if at > at_ms:
            break
        current = who
    return current


# --- scoring (pure) --------------------------------------------------------


def frame_range(start_ms: int, end_ms: int, n_frames: int, frame_ms: int = FRAME_MS) -> tuple[int, int]:
    """Return the frames ``[lo, hi)`` whose centres lie in ``[start_ms, end_ms)``.

    Frame ``f`` covers ``[f·frame_ms, (f+1)·frame_ms)``; its centre is ``f·frame_ms + frame_ms/2``.
    """
    half = frame_ms / 2
    lo = max(0, int(np.ceil((start_ms - half) / frame_ms)))
    hi = min(n_frames, int(np.ceil((end_ms - half) / frame_ms)))
    return lo, max(lo, hi)


def truth_frames(turns: Sequence[dict], keys: Sequence[Hashable], n_frames: int) -> np.ndarray:
    """Return a bool matrix [len(keys), n_frames]: who is speaking in each 10-ms frame.

    A turn speaks in every frame from its start to its end (the pauses
    between its sentences included); where turns overlap, several rows are
    true.
    """
    index = {k: i for i, k in enumerate(keys)}
    truth = np.zeros((len(keys), n_frames), dtype=bool)
    for t in turns:
        lo, hi = frame_range(t["start_ms"], t["end_ms"], n_frames)
        truth[index[t["speaker"]], lo:hi] = True
    return truth


def _n_frames(turns: Sequence[dict], spans: Sequence[Span]) -> int:
    end = max([t["end_ms"] for t in turns] + [s.end_ms for s in spans] + [0])
    return end // FRAME_MS + 2


def speaker_scores(turns: Sequence[dict], spans: Sequence[Span]) -> dict[str, int]:
    """Count the truth speech frames by what the hypothesis says of them.

    Over every 10-ms frame in which some truth turn speaks ("speech"):

    * ``right``: some hypothesis span covering the frame names a speaker who
      speaks in it (in an overlap, either truth speaker counts);
    * ``wrong``: spans cover it, at least one names someone, none rightly;
    * ``none``: only spans labelled None ("not identified") cover it;
    * ``uncovered``: no span covers it.

    The four add up to ``speech``. A span covers ``[start_ms, end_ms)``.
    """
    keys = sorted({t["speaker"] for t in turns}, key=str)
    n = _n_frames(turns, spans)
    truth = truth_frames(turns, keys, n)
    index = {k: i for i, k in enumerate(keys)}
    right = np.zeros(n, bool)
    covered = np.zeros(n, bool)
    labelled = np.zeros(n, bool)
    for s in spans:
        lo, hi = frame_range(s.start_ms, s.end_ms, n)
        covered[lo:hi] = True
        if s.speaker is not None:
            labelled[lo:hi] = True
            if s.speaker in index:
                right[lo:hi] |= truth[index[s.speaker], lo:hi]
    speech = truth.any(axis=0)
    return {
        "speech": int(speech.sum()),
        "right": int((speech & right).sum()),
        "wrong": int((speech & ~right & labelled).sum()),
        "none": int((speech & covered & ~labelled).sum()),
        "uncovered": int((speech & ~covered).sum()),
    }


def best_mapping(overlap: np.ndarray) -> dict[int, int]:
    """Return the one-to-one map of rows (clusters) to columns (speakers) with the largest total overlap.

    Exact (dynamic programming over the set of columns used), for up to
    about 12 columns; a row may stay unmapped.
    """
    rows, cols = overlap.shape
    if rows == 0 or cols == 0:
        return {}
    best = {0: (0.0, ())}  # columns used (bitmask) -> (total, assignment per row so far)
    for r in range(rows):
        nxt: dict[int, tuple[float, tuple]] = {}
        for mask, (total, chosen) in best.items():
            options = [(mask, total, chosen + (-1,))]
            options += [(mask | 1 << c, total + float(overlap[r, c]), chosen + (c,))
                        for c in range(cols) if not mask & 1 << c and overlap[r, c] > 0]
            for m, t, ch in options:
                if m not in nxt or t > nxt[m][0]:
                    nxt[m] = (t, ch)
        best = nxt
    _, chosen = max(best.values(), key=lambda v: v[0])
    return {r: c for r, c in enumerate(chosen) if c >= 0}


def diarization_scores(turns: Sequence[dict], spans: Sequence[Span]) -> dict[str, Any]:
    """Score the voice numbers alone, as diarization is scored.

    Each voice number is mapped to at most one truth speaker and each truth
    speaker to at most one voice number, choosing the mapping that
    maximises the speech frames where the voice's spans cover its mapped
    speaker (:func:`best_mapping`). ``right`` counts the truth speech frames
    covered by a span whose voice maps to a speaker speaking in that frame;
    spans with no voice number are never right.
    """
    keys = sorted({t["speaker"] for t in turns}, key=str)
    n = _n_frames(turns, spans)
    truth = truth_frames(turns, keys, n)
    voices = sorted({s.voice for s in spans if s.voice is not None})
    vindex = {v: i for i, v in enumerate(voices)}
    cover = np.zeros((len(voices), n), bool)
    for s in spans:
        if s.voice is not None:
            lo, hi = frame_range(s.start_ms, s.end_ms, n)
            cover[vindex[s.voice], lo:hi] = True
    overlap = cover.astype(np.int64) @ truth.T.astype(np.int64)
    mapping = best_mapping(overlap)
    right = np.zeros(n, bool)
    for r, c in mapping.items():
        right |= cover[r] & truth[c]
    return {"speech": int(truth.any(axis=0).sum()), "right": int(right.sum()), "voices": len(voices),
            "mapping": {str(voices[r]): keys[c] for r, c in mapping.items()}}


def agenda_scores(meeting: dict, spans: Sequence[Span]) -> dict[str, int]:
    """Count truth speech frames whose covering span carries the right agenda item.

    The truth item of a frame is the last item whose first turn started at
    or before it. ``right`` counts frames where some covering span has that
    item; uncovered frames are not right.
    """
    turns = meeting["turns"]
    n = _n_frames(turns, spans)
    keys = sorted({t["speaker"] for t in turns}, key=str)
    speech = truth_frames(turns, keys, n).any(axis=0)
    items = sorted(meeting["agenda"], key=lambda a: a["start_ms"])
    truth_item = np.full(n, -1)
    for k, item in enumerate(items):
        lo, _ = frame_range(item["start_ms"], item["start_ms"], n)
        truth_item[lo:] = k
    index = {item["key"]: k for k, item in enumerate(items)}
    right = np.zeros(n, bool)
    for s in spans:
        if s.agenda_item in index:
            lo, hi = frame_range(s.start_ms, s.end_ms, n)
            right[lo:hi] |= truth_item[lo:hi] == index[s.agenda_item]
    return {"speech": int(speech.sum()), "right": int((speech & right).sum())}


def words_overlap(span: Span, turn: dict) -> bool:
    """Return True when a span and a turn share at least half of the span or half of the turn."""
    shared = min(span.end_ms, turn["end_ms"]) - max(span.start_ms, turn["start_ms"])
    return shared > 0 and (2 * shared >= span.end_ms - span.start_ms or 2 * shared >= turn["end_ms"] - turn["start_ms"])


def marker_scores(meeting: dict, spans: Sequence[Span], picks: Sequence[tuple[int | None, Any]]) -> dict[str, int]:
    """Count the markers whose person and words are right.

    Args:
        meeting: The meeting (its ``markers`` and ``turns``).
        spans: The hypothesis spans.
        picks: For each marker, ``(index of the span it points at or None,
            the person it names or None)``.

    ``person`` counts markers whose named person is the marked turn's
    speaker; ``words`` those whose span shares at least half of itself or
    half of the marked turn with it (:func:`words_overlap`).
    """
    person = words = 0
    for marker, (index, who) in zip(meeting["markers"], picks):
        turn = meeting["turns"][marker["turn"]]
        person += who is not None and who == turn["speaker"]
        words += index is not None and words_overlap(spans[index], turn)
    return {"markers": len(meeting["markers"]), "person": int(person), "words": int(words)}


def span_stats(turns: Sequence[dict], spans: Sequence[Span]) -> dict[str, Any]:
    """Count the spans, their mean length, and those that mix speakers.

    A span mixes speakers when at least two truth speakers each have
    ``MIXED_MS`` (300 ms) or more of frames inside it where they are the only
    one speaking (so a span over a brief overlap does not count).
    """
    keys = sorted({t["speaker"] for t in turns}, key=str)
    n = _n_frames(turns, spans)
    truth = truth_frames(turns, keys, n)
    sole = truth & (truth.sum(axis=0) == 1)
    cums = np.concatenate([np.zeros((len(keys), 1), np.int64), np.cumsum(sole, axis=1)], axis=1)
    mixed = 0
    for s in spans:
        lo, hi = frame_range(s.start_ms, s.end_ms, n)
        per = cums[:, hi] - cums[:, lo]
        mixed += int((per * FRAME_MS >= MIXED_MS).sum() >= 2)
    lengths = [s.end_ms - s.start_ms for s in spans]
    return {"spans": len(spans), "mean_ms": round(float(np.mean(lengths))) if lengths else 0, "mixed": mixed}


def inserted_vocabulary(truth: str, hypothesis: str, terms: Sequence[str]) -> dict[str, int]:
    """Return, per term, how many more times it occurs in the hypothesis than in the truth (only those above 0).

    Both texts and the terms go through :func:`transcribe.evaluation.normalise`;
    a term occurs where its words appear in a row.
    """
    from transcribe.evaluation import normalise

    def count(words: list[str], term: list[str]) -> int:
        k = len(term)
        return sum(words[i:i + k] == term for i in range(len(words) - k + 1)) if k else 0

    ref, hyp = normalise(truth).split(), normalise(hypothesis).split()
    out = {}
    for term in terms:
        t = normalise(term).split()
        extra = count(hyp, t) - count(ref, t)
        if extra > 0:
            out[term] = extra
    return out


# --- one meeting -----------------------------------------------------------


def transcript_figures(meeting: dict, segments: Sequence) -> dict[str, Any]:
    """WER, segments and inserted vocabulary for one transcript."""
    from transcribe.evaluation import word_error_rate

    truth = " ".join(t["text"] for t in sorted(meeting["turns"], key=lambda t: t["start_ms"]))
    hyp = " ".join(s.text for s in segments)
    lengths = [s.end_ms - s.start_ms for s in segments]
    names = [a["name"] for a in meeting["attendees"]]
    return {
        "wer": word_error_rate([truth], [hyp]),
        "segments": len(segments),
        "mean_segment_ms": round(float(np.mean(lengths))) if lengths else 0,
        "words": sum(len(s.words) for s in segments),
        "inserted_glossary": inserted_vocabulary(truth, hyp, glossary_terms()),
        "inserted_names": inserted_vocabulary(truth, hyp, [p for n in names for p in n.split()]),
    }


def score(meeting: dict, spans: Sequence[Span], picks, scenario: str, *, voices: bool) -> dict[str, Any]:
    """All the figures of one rule in one scenario."""
    turns = meeting["turns"]
    out = {"speaker": speaker_scores(turns, spans), "agenda": agenda_scores(meeting, spans),
           "markers": marker_scores(meeting, spans, picks), "spans": span_stats(turns, spans)}
    if scenario == "c" and voices:
        out["diarization"] = diarization_scores(turns, spans)
    return out


def run_meeting(meeting: dict, wav: Path, args, module) -> dict[str, Any]:
    """Transcribe, embed, tap, attribute and score one meeting."""
    result: dict[str, Any] = {"name": meeting["name"], "kind": meeting["kind"],
                              "minutes": round(meeting["duration_ms"] / 60000, 2),
                              "voices_in_meeting": len(meeting["attendees"]), "turns": len(meeting["turns"]),
                              "transcripts": {}}
    modes = VOCABULARIES if args.vocabulary == "all" else (args.vocabulary,)
    main_mode = DEFAULT_VOCABULARY if args.vocabulary == "all" else args.vocabulary
    segments = None
    for mode in modes:
        segs, took = transcribe_meeting(wav, vocabulary(meeting, mode), regen=args.regen)
        figures = transcript_figures(meeting, segs)
        figures["seconds"] = None if took is None else round(took, 1)
        result["transcripts"][mode] = figures
        if mode == main_mode:
            segments = segs
    result["vocabulary"] = main_mode

    frames = None if args.no_voices else voice_frames_for(wav, regen=args.regen)
    result["voice_frames"] = None if frames is None else len(frames)

    result["scenarios"] = {}
    for scenario in SCENARIOS:
        taps = simulate_taps(meeting, scenario)
        rows = {}
        spans = baseline_spans(segments, taps["speaker"], taps["agenda"])
        picks = []
        for at, _ in taps["markers"]:
            picks.append((server_evidence(spans, taps["speaker"], at), speaker_at(taps["speaker"], at)))
        rows["baseline"] = score(meeting, spans, picks, scenario, voices=False)
        if module is not None:
            began = time.perf_counter()
            spans, utts = new_spans(module, segments, taps["speaker"], taps["agenda"], frames)
            picks = []
            for at, _ in taps["markers"]:
                i = module.marker_target(utts, at)
                picks.append((i, None if i is None else utts[i].speaker))
            rows["new"] = score(meeting, spans, picks, scenario, voices=frames is not None)
            rows["new"]["seconds"] = round(time.perf_counter() - began, 2)
        result["scenarios"][scenario] = {"taps": len(taps["speaker"]), "rules": rows}
    return result


# --- printing --------------------------------------------------------------


def _pct(n: int, d: int) -> str:
    return f"{100 * n / d:5.1f}" if d else "    -"


def _insert_text(found: dict[str, int]) -> str:
    total = sum(found.values())
    return f"{total}" + (f" ({', '.join(f'{t} ×{n}' for t, n in sorted(found.items()))})" if found else "")


HEADER = (f"{'scenario':<28} {'rule':<8} {'right':>5} {'wrong':>5} {'None':>5} {'uncov':>5} {'diar':>5} "
          f"{'mk-who':>6} {'mk-wds':>6} {'agenda':>6} {'spans':>5} {'mean s':>6} {'mixed':>5}")


def _row(label: str, rule: str, r: dict) -> str:
    sp, ag, mk, st = r["speaker"], r["agenda"], r["markers"], r["spans"]
    diar = _pct(r["diarization"]["right"], r["diarization"]["speech"]) if "diarization" in r else "    -"
    return (f"{label:<28} {rule:<8} {_pct(sp['right'], sp['speech'])} {_pct(sp['wrong'], sp['speech'])} "
            f"{_pct(sp['none'], sp['speech'])} {_pct(sp['uncovered'], sp['speech'])} {diar} "
            f"{mk['person']:>3}/{mk['markers']:<2} {mk['words']:>3}/{mk['markers']:<2} "
            f"{_pct(ag['right'], ag['speech']):>6} {st['spans']:5d} {st['mean_ms'] / 1000:6.1f} {st['mixed']:5d}")


def print_meeting(result: dict) -> None:
    """Print one meeting's transcript figures and attribution table."""
    print(f"\n== {result['name']} ({result['kind']}, {result['minutes']:.1f} min, "
          f"{result['voices_in_meeting']} voices, {result['turns']} turns) ==")
    for mode, t in result["transcripts"].items():
        took = "" if t["seconds"] is None else f", transcribed in {t['seconds']} s"
        print(f"transcript [{mode}]: WER {100 * t['wer']:.2f} %, {t['segments']} segments, "
              f"mean {t['mean_segment_ms'] / 1000:.1f} s, {t['words']} words; inserted vocabulary "
              f"{_insert_text(t['inserted_glossary'])}; inserted names {_insert_text(t['inserted_names'])}{took}")
    print("voices: not available" if result["voice_frames"] is None else f"voices: {result['voice_frames']} frames")
    print(HEADER)
    for scenario, s in result["scenarios"].items():
        label = f"{scenario} {SCENARIOS[scenario]} ({s['taps']} taps)"
        for rule, r in s["rules"].items():
            print(_row(label, rule, r))
            label = ""


def summarise(results: Sequence[dict]) -> dict[str, Any]:
    """Pool the counts over meetings (frames and markers summed: longer meetings weigh more)."""
    out: dict[str, Any] = {}
    for scenario in SCENARIOS:
        for rule in ("baseline", "new"):
            rows = [r["scenarios"][scenario]["rules"][rule] for r in results
                    if rule in r["scenarios"][scenario]["rules"]]
            if not rows:
                continue
            pooled: dict[str, Any] = {}
            for part in ("speaker", "agenda", "markers", "diarization"):
                have = [row[part] for row in rows if part in row]
                if have:
                    pooled[part] = {k: sum(h[k] for h in have) for k, v in have[0].items() if isinstance(v, int)}
            spans = [row["spans"] for row in rows]
            total = sum(s["spans"] for s in spans)
            pooled["spans"] = {"spans": total, "mixed": sum(s["mixed"] for s in spans),
                               "mean_ms": round(sum(s["mean_ms"] * s["spans"] for s in spans) / total) if total else 0}
            out.setdefault(scenario, {})[rule] = pooled
    wers = {}
    for mode in VOCABULARIES:
        have = [r["transcripts"][mode] for r in results if mode in r["transcripts"]]
        if have:
            wers[mode] = {
                "wer_mean": float(np.mean([h["wer"] for h in have])),
                "inserted_glossary": sum(sum(h["inserted_glossary"].values()) for h in have),
                "inserted_names": sum(sum(h["inserted_names"].values()) for h in have),
            }
    return {"scenarios": out, "transcripts": wers}


def print_summary(summary: dict, n: int) -> None:
    """Print the pooled table."""
    print(f"\n== all {n} meetings, pooled (duration-weighted) ==")
    for mode, t in summary["transcripts"].items():
        print(f"transcript [{mode}]: mean WER {100 * t['wer_mean']:.2f} %, inserted vocabulary "
              f"{t['inserted_glossary']}, inserted names {t['inserted_names']}")
    print(HEADER)
    for scenario, rules in summary["scenarios"].items():
        label = f"{scenario} {SCENARIOS[scenario]}"
        for rule, r in rules.items():
            print(_row(label, rule, r))
            label = ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", help="comma-separated names (default: all)")
    parser.add_argument("--regen", action="store_true",
                        help="render the meetings and transcribe and embed them again")
    parser.add_argument("--vocabulary", choices=(*VOCABULARIES, "all"), default=DEFAULT_VOCABULARY,
                        help="the vocabulary prompt (default: as the server: none)")
    parser.add_argument("--asr-model", metavar="DIR",
                        help="transcribe with this CTranslate2 model directory (float32) instead of the bundled tiny.en")
    parser.add_argument("--no-voices", action="store_true", help="attribute without voice frames")
    parser.add_argument("--json", metavar="FILE", help="write every figure as JSON (- for standard output)")
    args = parser.parse_args()
    global ASR_MODEL
    ASR_MODEL = args.asr_model

    names = [n for n in (args.meetings or "").split(",") if n] or None
    paths = meeting_files.generate(names, regen=args.regen)
    module = load_new_rule()
    if module is None:
        print("new rule: transcribe.utterances not available (baseline only)", file=sys.stderr)
    results = []
    # with --json -, the tables go to standard error and the JSON alone to standard output
    with contextlib.redirect_stdout(sys.stderr if args.json == "-" else sys.stdout):
        for path in paths:
            meeting = meeting_files.load(path)
            result = run_meeting(meeting, path.with_suffix(".wav"), args, module)
            print_meeting(result)
            sys.stdout.flush()
            results.append(result)
        summary = summarise(results)
        print_summary(summary, len(results))
        print("\nright/wrong/None/uncov: % of truth speech time (10-ms frames); diar: voice numbers mapped one-to-one "
              "to speakers (scenario c); mk-who/mk-wds: markers whose person / words are right; agenda: % of "
              "speech time with the right item; mixed: spans with 300 ms or more of two speakers.")
    if args.json:
        text = json.dumps({"meetings": results, "summary": summary}, indent=1, default=str)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
