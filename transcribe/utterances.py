"""Who said what: words, taps and voices in, utterances out (pure functions).

The engine gives words with times; during the meeting the parent taps who is
speaking, late (a thumb lands a few hundred milliseconds after the voice
starts) and not for every turn. This module turns them into **utterances**:
runs of words by one speaker, cut where the speaker changes and at long
pauses, each saying how its speaker was decided.

The rule, in order of authority:

1. **Edits win.** A parent's correction (``edits``: a time span and who
   spoke in it) decides every word whose middle falls inside it.
2. **Taps name the start of a turn.** A tap is first snapped back to the
   gap between words just before it (the reaction time); the words right
   after it belong to the person tapped, whatever the voice says (a voice
   that disagrees is flagged, not obeyed).
3. **Voices fill the gaps.** With voice embeddings (:mod:`transcribe.voices`)
   each tapped person's voice is learnt from the seconds right after their
   taps; further on, where nobody tapped, a stretch goes to whoever it
   sounds like. A voice that matches nobody tapped becomes an unnamed voice
   (``voice`` number set, ``speaker`` None) that the parent can name at once.
4. **Nothing is inherited blindly.** Without a tap before it or a voice that
   matches, a stretch is "not identified" (``speaker`` None), never silently
   the last person tapped. Within a tapped turn, with no voice evidence
   (voices off, or too little audio), the turn goes on until the next tap.

The decision is a Viterbi pass over short *pieces* of speech (words split at
gaps, at taps and every couple of seconds): each piece scores each candidate
speaker by its voice, the tap in force lends its speaker a prior that fades
with time, and changing speaker costs more inside continuous speech than
across a pause.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .types import Word

__all__ = [
    "Settings", "Utterance", "utterances", "snap_taps", "marker_target", "unsure_words", "agenda_at",
]

Tap = tuple[int, Hashable]
Edit = tuple[int, int, Hashable]

# how an utterance's speaker was decided
TAPPED, VOICE, EDITED, UNKNOWN = "tapped", "voice", "edited", "unknown"


@dataclass(frozen=True)
class Settings:
    """The rule's constants, in milliseconds and cosine similarities.

    Defaults come from ``bench/attribution.py`` on synthetic and real-voice
    meetings (``bench/README.md``); they are not tuned to any one meeting.
    """

    # tap snapping: look this far back (and a little forward) for the gap the turn began in
    snap_back_ms: int = 1800
    snap_forward_ms: int = 250
    expected_reaction_ms: int = 350
    min_snap_gap_ms: int = 60
    # agenda taps come later: the item is announced, then the parent moves on
    agenda_snap_back_ms: int = 4000
    agenda_reaction_ms: int = 1500
    # pieces: split at gaps at least this long, and keep pieces at most this long
    piece_gap_ms: int = 180
    piece_max_ms: int = 2400
    # utterances: a pause this long starts a new utterance even with the same speaker
    pause_ms: int = 1500
    # one sentence, one speaker: in a sentence (by the engine's punctuation) of at most this many words, up to
    # this many words the voices gave someone else go to whoever said the rest
    sentence_max_words: int = 40
    sentence_stray_words: int = 4
    max_utterance_ms: int = 45_000
    # enrolment: a tapped voice is learnt from speech this soon after its tap, while it sounds alike
    enrol_ms: int = 6000
    enrol_sim: float = 0.80
    relearn_rounds: int = 1
    # voices: a piece whose best similarity to every known voice is below this is someone else (a voice's own
    # pieces sit at a median 0.88 to it, an untapped speaker's at 0.68 to the nearest tapped one: bench/README.md)
    match_sim: float = 0.68
    # a new voice cluster is started below this similarity to every cluster (and an unnamed voice this close to a
    # named one is that person): someone nobody tapped is "not identified", not the nearest tapped voice
    cluster_sim: float = 0.75
    # an unnamed voice needs this much speech to become a voice of its own
    min_voice_ms: int = 4000
    # scoring (costs): voice weight per unit of similarity, the tap's prior and the cost of a change
    voice_weight: float = 20.0
    tap_prior: float = 0.6
    untapped_prior: float = 2.5
    tap_prior_fresh: float = 2.5
    tap_fresh_ms: int = 4000
    switch_cost: float = 2.0
    pause_discount_ms: int = 800
    # a tap whose first words sound like someone else by this margin is flagged
    disagree_margin: float = 0.12
    # words below this probability that matter (numbers, dates, names) are flagged
    unsure_probability: float = 0.6


DEFAULT = Settings()


@dataclass(frozen=True)
class Utterance:
    """Words by one speaker.

    Attributes:
        start_ms: First word's start.
        end_ms: Last word's end.
        text: The words joined.
        words: The words.
        speaker: The attendee it is attributed to, or None ("not identified").
        how: ``"tapped"``, ``"voice"``, ``"edited"`` or ``"unknown"``.
        confidence: For a voice decision, how sure (0..1); 1.0 for taps and
            edits; None when unknown.
        voice: The voice number (same number, same voice in this meeting),
            or None where there was no voice evidence.
        agenda_item: The agenda item open at the time, or None.
        check: Why the parent should check this speaker (e.g. the voice
            sounds like someone other than the person tapped), or None.
        check_speaker: Who the voice sounds like, when ``check`` says so.
        unsure: Indexes into ``words`` of numbers, dates and names the engine
            was unsure of ("check against the recording").
    """

    start_ms: int
    end_ms: int
    text: str
    words: tuple[Word, ...]
    speaker: Any = None
    how: str = UNKNOWN
    confidence: float | None = None
    voice: int | None = None
    agenda_item: Any = None
    check: str | None = None
    check_speaker: Any = None
    unsure: tuple[int, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """Return the utterance as a JSON-ready dict (words included)."""
        return {
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "text": self.text,
            "speaker": self.speaker,
            "how": self.how,
            "confidence": None if self.confidence is None else round(self.confidence, 3),
            "voice": self.voice,
            "agenda_item": self.agenda_item,
            "check": self.check,
            "check_speaker": self.check_speaker,
            "unsure": list(self.unsure),
            "words": [
                {"start_ms": w.start_ms, "end_ms": w.end_ms, "text": w.text, "probability": round(w.probability, 3)}
                for w in self.words
            ],
        }


# --- taps -------------------------------------------------------------------


def _sorted(events: Iterable[tuple[int, Any]] | None) -> list[tuple[int, Any]]:
    return sorted(((int(at), value) for at, value in events or () if value is not None), key=lambda e: e[0])


def snap_taps(words: Sequence[Word], taps: Sequence[Tap], settings: Settings = DEFAULT, *,
              back_ms: int | None = None, reaction_ms: int | None = None) -> list[Tap]:
    """Move each tap back to the gap between words where its turn most likely began.

    A thumb lands a few hundred milliseconds after the voice starts, so the
    words just before a tap usually belong to the person tapped. Among the
    gaps from ``snap_back_ms`` before the tap to ``snap_forward_ms`` after
    it, the widest wins, less a little for distance from the expected
    reaction time; a tap with no gap of at least ``min_snap_gap_ms`` near it
    moves to the nearest word boundary. A tap followed by another before any
    word is said was a slip corrected by the second one, and is dropped.

    Args:
        words: Time-ordered words.
        taps: ``(at_ms, speaker)`` pairs, sorted.
        back_ms: How far back to look (default ``settings.snap_back_ms``).
        reaction_ms: The usual delay (default ``settings.expected_reaction_ms``).

    Returns:
        ``(at_ms, speaker)`` pairs with ``at_ms`` snapped, still sorted.
    """
    if not words:
        return list(taps)
    # boundaries: (position, gap length); the one before the first word has an open gap
    bounds = [(words[0].start_ms - 1, 10_000)]
    for prev, nxt in zip(words, words[1:]):
        gap = nxt.start_ms - prev.end_ms
        bounds.append(((prev.end_ms + nxt.start_ms) // 2, gap))
    bounds.append((words[-1].end_ms + 1, 10_000))
    positions = [b[0] for b in bounds]
    mids = [(w.start_ms + w.end_ms) // 2 for w in words]
    back = settings.snap_back_ms if back_ms is None else back_ms
    reaction = settings.expected_reaction_ms if reaction_ms is None else reaction_ms
    out: list[Tap] = []
    for at, who in taps:
        lo = bisect.bisect_left(positions, at - back)
        hi = bisect.bisect_right(positions, at + settings.snap_forward_ms)
        target = at - reaction
        best, best_score = None, -math.inf
        nearest, nearest_d = None, math.inf
        for pos, gap in bounds[lo:hi]:
            d = abs(pos - target)
            if d < nearest_d:
                nearest, nearest_d = pos, d
            if gap >= settings.min_snap_gap_ms:
                score = min(gap, 700) - 0.35 * d
                if score > best_score:
                    best, best_score = pos, score
        # a tap inside a long silence stays where it is: nothing to snap to
        snapped = int(best if best is not None else nearest if nearest is not None else at)
        # the taps before it that no word follows were slips this tap corrects
        while out and (out[-1][0] >= snapped
                       or bisect.bisect_right(mids, snapped) == bisect.bisect_right(mids, out[-1][0])):
            out.pop()
        out.append((snapped, who))
    return out


def _tap_at(taps: Sequence[Tap], times: Sequence[int], ms: int) -> tuple[int, Any] | None:
    i = bisect.bisect_right(times, ms) - 1
    return taps[i] if i >= 0 else None


# --- pieces -----------------------------------------------------------------


@dataclass
class _Piece:
    first: int  # index of the first word
    last: int  # index after the last word
    start_ms: int
    end_ms: int
    gap_before: int
    forced: Any = None  # a tap or an edit fixes the speaker
    forced_how: str | None = None
    tap: Tap | None = None  # the tap in force
    edit: tuple[int, int] | None = None  # the parent's edit that decides it
    vector: np.ndarray | None = None
    weight: float = 0.0


def _pieces(words: Sequence[Word], cuts: Sequence[int], settings: Settings) -> list[_Piece]:
    """Split words into pieces at gaps, at the given cut times and every ``piece_max_ms``."""
    cut_set = sorted(set(cuts))
    pieces: list[_Piece] = []
    start = 0
    ci = 0
    for i in range(1, len(words) + 1):
        if i < len(words):
            prev, nxt = words[i - 1], words[i]
            mid = (prev.end_ms + nxt.start_ms) / 2
            crossed = False
            while ci < len(cut_set) and cut_set[ci] <= mid:
                if cut_set[ci] > words[start].start_ms:
                    crossed = True
                ci += 1
            long_piece = nxt.end_ms - words[start].start_ms > settings.piece_max_ms
            if not (crossed or nxt.start_ms - prev.end_ms >= settings.piece_gap_ms or long_piece):
                continue
        gap = words[start].start_ms - words[start - 1].end_ms if start else 10_000
        pieces.append(_Piece(start, i, words[start].start_ms, words[i - 1].end_ms, gap))
        start = i
    return pieces


def _attach_vectors(pieces: list[_Piece], centers: np.ndarray, vectors: np.ndarray, half_ms: int) -> None:
    """Give each piece the mean voice vector of the windows mostly inside it (weighted by overlap)."""
    if len(centers) == 0:
        return
    for p in pieces:
        lo = bisect.bisect_left(centers, p.start_ms - half_ms)
        hi = bisect.bisect_right(centers, p.end_ms + half_ms)
        if hi <= lo:
            continue
        c = centers[lo:hi]
        overlap = np.minimum(c + half_ms, p.end_ms) - np.maximum(c - half_ms, p.start_ms)
        # a window counts for the share of the piece it covers, or of itself, whichever is larger
        span = max(p.end_ms - p.start_ms, 1)
        w = np.clip(overlap, 0, None) / min(2 * half_ms, span)
        w = np.where(w >= 0.5, np.minimum(w, 1.0), 0.0)
        if w.sum() <= 0:
            continue
        v = (vectors[lo:hi] * w[:, None]).sum(axis=0)
        norm = np.linalg.norm(v)
        if norm > 0:
            p.vector = v / norm
            p.weight = float(min(w.sum(), 3.0))


def _centroid(vs: np.ndarray) -> np.ndarray:
    """A robust mean direction: the mean, then the mean of the three quarters nearest it."""
    c = vs.mean(axis=0)
    c /= np.linalg.norm(c) or 1.0
    if len(vs) >= 4:
        sims = vs @ c
        keep = sims >= np.quantile(sims, 0.25)
        c = vs[keep].mean(axis=0)
        c /= np.linalg.norm(c) or 1.0
    return c


def _cluster(vs: np.ndarray, weights: np.ndarray, threshold: float, rounds: int = 4) -> list[np.ndarray]:
    """Leader clustering then a few spherical k-means rounds; returns cluster centroids."""
    cents: list[np.ndarray] = []
    for v in vs:
        if cents:
            sims = np.stack(cents) @ v
            if sims.max() >= threshold:
                continue
        cents.append(v.copy())
    for _ in range(rounds):
        if not cents:
            break
        c = np.stack(cents)
        assign = np.argmax(vs @ c.T, axis=1)
        new = []
        for k in range(len(c)):
            members = assign == k
            if members.any():
                m = (vs[members] * weights[members, None]).sum(axis=0)
                new.append(m / (np.linalg.norm(m) or 1.0))
        # merge clusters that came together
        merged: list[np.ndarray] = []
        for v in new:
            if merged and (np.stack(merged) @ v).max() >= threshold + 0.08:
                continue
            merged.append(v)
        cents = merged
    return cents


# --- the decision -----------------------------------------------------------


def utterances(
    words: Sequence[Word],
    taps: Iterable[Tap] | None = None,
    *,
    voices: Any = None,
    edits: Iterable[Edit] | None = None,
    agenda: Iterable[tuple[int, Any]] | None = None,
    settings: Settings = DEFAULT,
) -> list[Utterance]:
    """Return the words as utterances, each with one speaker and how it was decided.

    Args:
        words: Every recognised word on the meeting timeline (sorted here).
        taps: ``(at_ms, speaker)`` "who is speaking" taps.
        voices: :class:`transcribe.voices.VoiceFrames` on the same timeline,
            or None to decide from taps alone.
        edits: ``(start_ms, end_ms, speaker)`` corrections by the parent;
            ``speaker`` None means "not identified" on purpose.
        agenda: ``(at_ms, agenda_item)`` taps.
        settings: The rule's constants.

    Returns:
        Utterances in time order.
    """
    words = sorted((w for w in words if w.text.strip()), key=lambda w: (w.start_ms, w.end_ms))
    if not words:
        return []
    snapped = snap_taps(words, _sorted(taps), settings)
    tap_times = [t for t, _ in snapped]
    agenda_taps = snap_taps(words, _sorted(agenda), settings, back_ms=settings.agenda_snap_back_ms,
                            reaction_ms=settings.agenda_reaction_ms)
    edit_list = sorted(((int(a), int(b), who) for a, b, who in edits or ()), key=lambda e: e[0])
    cuts = tap_times + [t for t, _ in agenda_taps] + [a for a, _, _ in edit_list] + [b for _, b, _ in edit_list]
    pieces = _pieces(words, cuts + _sentence_ends(words), settings)

    # the tap in force, the forced first piece after each tap, and the edits
    for p in pieces:
        p.tap = _tap_at(snapped, tap_times, p.start_ms)
    seen_taps: set[int] = set()
    for p in pieces:
        if p.tap is not None and p.tap[0] not in seen_taps and p.start_ms >= p.tap[0]:
            seen_taps.add(p.tap[0])
            p.forced, p.forced_how = p.tap[1], TAPPED
    for p in pieces:
        mid = (p.start_ms + p.end_ms) / 2
        for a, b, who in edit_list:
            if a <= mid < b:
                p.forced, p.forced_how, p.edit = who, EDITED, (a, b)

    # voices: attach vectors, learn the tapped voices, cluster the rest
    named: list[Any] = []
    for _, who in snapped:
        if who not in named:
            named.append(who)
    for _, _, who in edit_list:
        if who is not None and who not in named:
            named.append(who)
    centroids: dict[Any, np.ndarray] = {}
    unnamed: list[np.ndarray] = []
    if voices is not None and len(voices):
        centers = np.asarray(voices.centers_ms, dtype=np.int64)
        vectors = np.asarray(voices.vectors, dtype=np.float32)
        half = int(getattr(voices, "window_ms", 1600)) // 2
        _attach_vectors(pieces, centers, vectors, half)
        centroids = _learn(pieces, settings)
        unnamed = _unnamed_voices(pieces, centroids, settings)

    states = named + [("voice", k) for k in range(len(unnamed))] + [None]
    path, conf, disagree = _decide(pieces, states, centroids, unnamed, settings)
    for _ in range(settings.relearn_rounds if centroids else 0):
        # learn each voice again from everything now given to it, then decide again
        centroids, unnamed = _relearn(pieces, path, states, centroids, unnamed, settings)
        states = named + [("voice", k) for k in range(len(unnamed))] + [None]
        path, conf, disagree = _decide(pieces, states, centroids, unnamed, settings)

    path = _whole_sentences(words, pieces, path, states, settings)
    # voice numbers: the nearest voice of all (named and unnamed), numbered in order of appearance
    voice_of = _voice_numbers(pieces, [centroids[s] for s in named if s in centroids] + unnamed)

    items = [agenda_at(agenda_taps, p.start_ms) for p in pieces]
    out = _merge(words, pieces, path, conf, disagree, voice_of, states, items, settings)
    return [replace(u, unsure=unsure_words(u.words, settings)) for u in out]


# "Mrs." and "Dr." (as the engine writes titles) end no sentence: the name follows
_SENTENCE_END = re.compile(r"(?<!^mr)(?<!^ms)(?<!^dr)(?<!^mrs)(?<!^prof)[.?!][\"')\]]*$", re.IGNORECASE)


def _sentence_ends(words: Sequence[Word]) -> list[int]:
    """The gaps after words that end a sentence (pieces are cut there, so a piece is in one sentence)."""
    return [(w.end_ms + nxt.start_ms) // 2 for w, nxt in zip(words, words[1:])
            if _SENTENCE_END.search(w.text.strip())]


def _whole_sentences(words, pieces, path, states, settings):
    """Give a sentence's stray words to the person who said the rest of it; return the new path.

    One person says a sentence: where the voices hand a few of its words
    (at most ``sentence_stray_words``) to someone else, the change is in the
    wrong place, and the sentence would be quoted as two people's. Whoever
    has most of its words takes them ("not identified" never takes words
    from a known voice). A sentence with a tap in it is left alone (the tap
    says where a turn began: the engine often runs a quick reply into the
    sentence before it), as is one the parent edited or one longer than
    ``sentence_max_words`` (an engine that left out the full stops).
    Measured in ``bench/attribution.py``.
    """
    out = path.copy()
    start = 0
    for i, p in enumerate(pieces):
        ends = (i == len(pieces) - 1 or pieces[i + 1].gap_before >= settings.pause_ms
                or _SENTENCE_END.search(words[p.last - 1].text.strip()))
        if not ends:
            continue
        group = range(start, i + 1)
        start = i + 1
        if len({path[g] for g in group}) < 2 or any(pieces[g].forced_how is not None for g in group):
            continue
        size = sum(pieces[g].last - pieces[g].first for g in group)
        counts: dict[int, int] = {}
        for g in group:
            if states[path[g]] is not None:
                counts[path[g]] = counts.get(path[g], 0) + pieces[g].last - pieces[g].first
        if not counts or size > settings.sentence_max_words:
            continue
        winner = max(counts, key=counts.get)
        if size - counts[winner] <= settings.sentence_stray_words and 2 * counts[winner] > size:
            for g in group:
                out[g] = winner
    return out


def _learn(pieces: list[_Piece], settings: Settings) -> dict[Any, np.ndarray]:
    """Learn each tapped person's voice from the speech right after their taps.

    From each tap, pieces are taken in order for up to ``enrol_ms`` while
    they sound like the first ones (a short turn may be followed by someone
    nobody tapped); the parent's edits count double.
    """
    by: dict[Any, list[np.ndarray]] = {}
    run: list[np.ndarray] = []
    current: Tap | None = None
    for p in pieces:
        if p.tap != current:
            current, run = p.tap, []
        if p.vector is None or p.tap is None or p.forced_how == EDITED:
            continue
        if p.start_ms - p.tap[0] > settings.enrol_ms:
            continue
        if run:
            mean = np.mean(run, axis=0)
            if float(p.vector @ (mean / (np.linalg.norm(mean) or 1.0))) < settings.enrol_sim:
                current = None  # the voice changed: stop learning from this tap (until the next one)
                run = []
                continue
        if current is None:
            continue
        run.append(p.vector)
        by.setdefault(p.tap[1], []).extend([p.vector] * max(1, round(p.weight)))
    for p in pieces:  # the parent's edits are the surest voices of all
        if p.vector is not None and p.forced_how == EDITED and p.forced is not None:
            by.setdefault(p.forced, []).extend([p.vector] * max(1, round(p.weight)) * 2)
    return {who: _centroid(np.stack(vs)) for who, vs in by.items()}


def _relearn(pieces, path, states, centroids, unnamed, settings):
    """Centroids again from the pieces each voice was given (where they fit it well), and the unnamed voices."""
    by: dict[Any, list[np.ndarray]] = {}
    for p, k in zip(pieces, path):
        state = states[k]
        if p.vector is None or state is None or isinstance(state, tuple):
            continue
        old = centroids.get(state)
        if old is not None and float(p.vector @ old) < settings.enrol_sim:
            continue
        by.setdefault(state, []).extend([p.vector] * max(1, round(p.weight)))
    new = dict(centroids)
    for who, vs in by.items():
        new[who] = _centroid(np.stack(vs))
    return new, _unnamed_voices(pieces, new, settings)


def _unnamed_voices(pieces: list[_Piece], centroids: dict[Any, np.ndarray], settings: Settings) -> list[np.ndarray]:
    """Cluster the pieces that sound like nobody tapped; keep voices with enough speech."""
    known = np.stack(list(centroids.values())) if centroids else None
    idx = []
    for i, p in enumerate(pieces):
        if p.vector is None or p.forced is not None:
            continue
        if known is not None and float((known @ p.vector).max()) >= settings.match_sim:
            continue
        idx.append(i)
    if not idx:
        return []
    vs = np.stack([pieces[i].vector for i in idx])
    ws = np.array([pieces[i].weight for i in idx])
    cents = _cluster(vs, ws, settings.cluster_sim)
    if not cents:
        return []
    c = np.stack(cents)
    assign = np.argmax(vs @ c.T, axis=1)
    keep = []
    for k in range(len(c)):
        ms = sum(pieces[idx[j]].end_ms - pieces[idx[j]].start_ms for j in np.flatnonzero(assign == k))
        if ms >= settings.min_voice_ms:
            keep.append(c[k])
    # an unnamed voice too close to a named one is that person
    if known is not None:
        keep = [v for v in keep if float((known @ v).max()) < settings.cluster_sim]
    return keep


def _decide(pieces, states, centroids, unnamed, settings):
    """Viterbi over pieces; returns the state index per piece, a confidence and a disagreement flag."""
    n, m = len(pieces), len(states)
    none = m - 1
    cents = []
    for s in states:
        if isinstance(s, tuple) and len(s) == 2 and s[0] == "voice":
            cents.append(unnamed[s[1]])
        elif s is not None and s in centroids:
            cents.append(centroids[s])
        else:
            cents.append(None)
    has_voice = [c is not None for c in cents]
    mat = np.stack([c if c is not None else np.zeros_like(next(x for x in cents if x is not None))
                    for c in cents]) if any(has_voice) else None
    index = {s: i for i, s in enumerate(states)}
    cost = np.zeros((n, m))
    sims_all = np.full((n, m), np.nan)
    for i, p in enumerate(pieces):
        row = cost[i]
        if p.forced_how is not None:
            row[:] = np.inf
            row[index.get(p.forced, none)] = 0.0
            if mat is not None and p.vector is not None:
                sims_all[i] = np.where(has_voice, mat @ p.vector, np.nan)
            continue
        tapped = p.tap[1] if p.tap is not None else None
        if mat is not None and p.vector is not None:
            sims = np.where(has_voice, mat @ p.vector, np.nan)
            sims_all[i] = sims
            best = np.nanmax(sims)
            # someone with no learnt voice, or nobody known: as if at the matching threshold
            filled = np.where(np.isnan(sims), settings.match_sim - 0.02, sims)
            filled[none] = settings.match_sim - 0.04
            row += settings.voice_weight * (max(best, settings.match_sim) - filled) * math.sqrt(max(p.weight, 0.3))
        # the tap in force lends its speaker a prior that is strongest just after the tap
        if tapped is not None:
            fresh = p.start_ms - p.tap[0] <= settings.tap_fresh_ms
            prior = settings.tap_prior_fresh if fresh else settings.tap_prior
            row += prior
            row[index[tapped]] -= prior
        else:
            # before any tap, a named person needs their voice to claim the words
            for j, s in enumerate(states):
                if s is not None and not (isinstance(s, tuple) and s[0] == "voice"):
                    row[j] += settings.untapped_prior
    # transitions: changing speaker costs less across a pause
    back = np.zeros((n, m), dtype=np.int64)
    total = cost[0].copy()
    for i in range(1, n):
        gap = max(pieces[i].gap_before, 0)
        change = settings.switch_cost * max(0.15, 1.0 - gap / settings.pause_discount_ms / 2)
        stay = total
        best_prev = int(np.argmin(total))
        switch = total[best_prev] + change
        choose_stay = stay <= switch
        back[i] = np.where(choose_stay, np.arange(m), best_prev)
        total = np.where(choose_stay, stay, switch) + cost[i]
    path = np.zeros(n, dtype=np.int64)
    path[-1] = int(np.argmin(total))
    for i in range(n - 1, 0, -1):
        path[i - 1] = back[i, path[i]]
    conf = np.ones(n)
    disagree = [None] * n
    for i, p in enumerate(pieces):
        sims = sims_all[i]
        k = path[i]
        if np.all(np.isnan(sims)):
            conf[i] = np.nan
            continue
        best = int(np.nanargmax(sims))
        own = sims[k]
        if np.isnan(own):
            conf[i] = np.nan
        else:
            others = np.delete(sims, k)
            second = np.nanmax(others) if np.any(~np.isnan(others)) else settings.match_sim - 0.2
            conf[i] = float(np.clip(0.5 + (own - second) * 2.5, 0.0, 1.0))
        if p.forced_how == TAPPED and best != k and not np.isnan(sims[best]):
            if np.isnan(own) or sims[best] - own >= settings.disagree_margin:
                if sims[best] >= settings.match_sim:
                    disagree[i] = states[best]
    return path, conf, disagree


def _voice_numbers(pieces: list[_Piece], cents: list[np.ndarray]) -> list[int | None]:
    """Number each piece's voice by the nearest of all known voices, in order of first appearance."""
    if not cents:
        return [None] * len(pieces)
    c = np.stack(cents)
    order: dict[int, int] = {}
    out: list[int | None] = []
    for p in pieces:
        if p.vector is None:
            out.append(None)
            continue
        k = int(np.argmax(c @ p.vector))
        out.append(order.setdefault(k, len(order) + 1))
    return out


def _merge(words, pieces, path, conf, disagree, voice_of, states, items, settings) -> list[Utterance]:
    """Join consecutive pieces with one speaker into utterances, cut at long pauses."""
    out: list[Utterance] = []
    group: list[int] = []

    def flush():
        if not group:
            return
        first, last = pieces[group[0]], pieces[group[-1]]
        ws = tuple(words[first.first:last.last])
        state = states[path[group[0]]]
        hows = [_how(pieces[g], state) for g in group]
        how = EDITED if EDITED in hows else TAPPED if TAPPED in hows else hows[0]
        cs = [conf[g] for g in group if not np.isnan(conf[g])]
        voices = [voice_of[g] for g in group if voice_of[g] is not None]
        check_speaker = next((disagree[g] for g in group if disagree[g] is not None), None)
        speaker = None if (state is None or isinstance(state, tuple)) else state
        if isinstance(check_speaker, tuple):
            check_speaker = None
        if speaker is None:
            how = UNKNOWN if how != EDITED else EDITED
        confidence = 1.0 if how in (TAPPED, EDITED) else (float(np.mean(cs)) if cs and how == VOICE else None)
        out.append(Utterance(
            start_ms=first.start_ms, end_ms=last.end_ms, text=_join(ws), words=ws,
            speaker=speaker, how=how, confidence=confidence,
            voice=max(set(voices), key=voices.count) if voices else None, agenda_item=items[group[0]],
            check="voice differs from tap" if check_speaker is not None else None,
            check_speaker=check_speaker,
        ))
        group.clear()

    for i, p in enumerate(pieces):
        if group:
            prev = pieces[group[-1]]
            same = path[i] == path[group[-1]] and items[i] == items[group[-1]]
            long_pause = p.gap_before >= settings.pause_ms
            too_long = p.end_ms - pieces[group[0]].start_ms > settings.max_utterance_ms
            new_tap = p.forced_how == TAPPED and p.start_ms >= (p.tap[0] if p.tap else 0) and prev.tap != p.tap
            # a line the parent corrected stays the line they corrected
            edited_apart = p.edit != prev.edit
            if not same or long_pause or too_long or new_tap or edited_apart:
                flush()
        group.append(i)
    flush()
    return out


def _how(p: _Piece, state: Any) -> str:
    if p.forced_how is not None:
        return p.forced_how
    if state is None or isinstance(state, tuple):
        return UNKNOWN
    if p.tap is not None and p.tap[1] == state:
        return TAPPED
    return VOICE


def _join(words: Sequence[Word]) -> str:
    return " ".join(w.text.strip() for w in words if w.text.strip())


# --- agenda, markers, unsure words ------------------------------------------


def agenda_at(agenda: Sequence[tuple[int, Any]], ms: int) -> Any:
    """The agenda item open at ``ms``: the last (snapped) agenda tap at or before it, else None."""
    i = bisect.bisect_right([t for t, _ in agenda], ms) - 1
    return agenda[i][1] if i >= 0 else None


_NUMBERISH = re.compile(
    r"(\d|£|\$|%|\b(zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"hundred|thousand|half|quarter|first|second|third|fourth|fifth|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|june|july|"
    r"august|september|october|november|december|week|weeks|month|months|term|hours?|minutes?|sessions?)\b)",
    re.IGNORECASE,
)


def unsure_words(words: Sequence[Word], settings: Settings = DEFAULT) -> tuple[int, ...]:
    """Indexes of words worth checking against the recording.

    Numbers, amounts, dates and durations, and names (capitalised words
    not at the start of a sentence) whose probability is below
    ``unsure_probability``: "fifteen" heard as "50" is exactly what a parent
    must not get wrong.
    """
    out = []
    for i, w in enumerate(words):
        if w.probability >= settings.unsure_probability:
            continue
        text = w.text.strip()
        if not text:
            continue
        prev = words[i - 1].text.strip() if i else ""
        sentence_start = not prev or prev[-1] in ".?!"
        name = text[0].isupper() and not sentence_start and text.strip(".,?!;:").lower() not in ("i", "i'm", "i'll")
        if _NUMBERISH.search(text) or name:
            out.append(i)
    return tuple(out)


def marker_target(
    utterances: Sequence[Utterance],
    at_ms: int,
    prefer: Callable[[Utterance], float] | None = None,
) -> int | None:
    """Return the index of the utterance a marker tapped at ``at_ms`` points at.

    The parent taps after hearing the words: the utterance that had just
    ended (the nearer the likelier, up to 30 s before), or the one being said if it had been going for
    a while. An utterance that began only just before the tap is what the
    parent heard next, not what they marked. ``prefer`` may add a score for
    utterances whose words fit the marker (a refusal phrase for "Refused").

    Returns:
        An index into ``utterances``, or None when nothing was said near it.
    """
    best, best_score = None, -math.inf
    lo = bisect.bisect_left([u.end_ms for u in utterances], at_ms - 30_000)
    for i in range(lo, len(utterances)):
        u = utterances[i]
        if u.start_ms > at_ms:
            break
        if u.end_ms <= at_ms:
            reaction = at_ms - u.end_ms
            score = 3.0 - max(0, reaction - 5500) / 1500  # just ended: the likeliest
        else:
            running = at_ms - u.start_ms
            # words under way for a while may be what was marked; words just begun are not
            score = min(2.8, running / 3000) if running >= 1500 else -1.0
        if len(u.words) <= 2:
            score -= 1.0  # "Yes." is rarely what was marked
        if prefer is not None:
            score += prefer(u)
        if score > best_score:
            best, best_score = i, score
    return best
