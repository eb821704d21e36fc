"""Incremental transcription of long or streamed audio with flat memory.

Whisper looks at 30 s at a time and whole-file runs keep every sample and
decoder state in memory (about 53 MB per minute of audio). This module feeds
the engine one window at a time as audio arrives, and stitches the windows:

1. A window runs from a little before the committed point (``overlap_s``) to
   the quietest moment in its last few seconds (``search_s``), so that the cut
   falls in a pause between words where the audio allows it.
2. Words whose middle lies before the committed point were already committed
   by the previous window and are dropped, so no word is doubled.
3. Words ending in the last ``guard_s`` before the cut are not trusted (the cut
   may have clipped them); of the rest, the window commits up to the last
   pause between words in its final third, so the next window starts at the
   beginning of a phrase, where Whisper reads best.
4. Whisper sometimes stops early in a window and skips the rest of it. When
   the audio after the last committed word still has sound well above the
   noise floor, the next window starts there instead of at the cut. A window
   that makes no progress is retried once at half length, then accepted.

On the shared recordings joined into 2.5–5 minutes this gives the same or a
lower WER than one whole-file pass (see ``bench/transcribe.py``), at about
350 MB peak RSS however long the recording.

The state worth persisting is tiny: the committed point and the committed
segments (:meth:`IncrementalTranscriber.state`). A resumed job recreates the
transcriber with :meth:`IncrementalTranscriber.from_state` and feeds audio
from :attr:`IncrementalTranscriber.resume_from_ms` on (or from anywhere
earlier, with ``start_ms``: audio already covered is skipped).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .audio import SAMPLE_RATE
from .engines import Transcriber
from .types import Segment, Word

__all__ = ["IncrementalTranscriber", "transcribe_windowed"]

_SPM = SAMPLE_RATE // 1000  # samples per millisecond
_LONGEST_WORD_MS = 1500
_PAUSE_MS = 300


class IncrementalTranscriber:
    """Transcribe audio as it arrives, one window at a time.

    Example::

        inc = IncrementalTranscriber(get_transcriber())
        for chunk_samples in pieces:          # e.g. decoded upload chunks
            save(inc.append(chunk_samples))   # newly committed segments
        save(inc.finish())                    # the tail

    Args:
        transcriber: The engine.
        window_s: Longest window given to the engine, in seconds (Whisper's
            native window is 30 s).
        overlap_s: Audio before the committed point included again at the
            start of the next window, as context for its first word.
        search_s: How far back from the window's end to look for a pause
            to cut at.
        guard_s: Words ending within this many seconds of a cut are left
            for the next window.
        vocabulary: Names and terms passed to the engine on every call.
        beam_size: Beam width passed to the engine.
    """

    def __init__(
        self,
        transcriber: Transcriber,
        *,
        window_s: float = 30.0,
        overlap_s: float = 0.2,
        search_s: float = 5.0,
        guard_s: float = 1.0,
        vocabulary: list[str] | None = None,
        beam_size: int = 5,
    ):
        if overlap_s < 0 or guard_s < 0 or search_s < 0 or window_s <= search_s + guard_s + overlap_s + 1:
            raise ValueError("window_s must exceed search_s + guard_s + overlap_s by more than 1 s")
        self.transcriber = transcriber
        self.window_ms = round(window_s * 1000)
        self.overlap_ms = round(overlap_s * 1000)
        self.search_ms = round(search_s * 1000)
        self.guard_ms = round(guard_s * 1000)
        self.vocabulary = vocabulary
        self.beam_size = beam_size
        self.committed_ms = 0
        self.segments: list[Segment] = []
        self._buffer = np.zeros(0, dtype=np.float32)
        self._buffer_start_ms = 0
        self._finished = False
        self._stalled_at: int | None = None

    # -- persistence -----------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Return a small JSON-ready snapshot to persist between runs."""
        return {
            "committed_ms": self.committed_ms,
            "segments": [s.to_dict(words=True) for s in self.segments],
        }

    @classmethod
    def from_state(cls, transcriber: Transcriber, state: dict[str, Any], **settings: Any) -> IncrementalTranscriber:
        """Recreate a transcriber from :meth:`state` output.

        Feed audio from :attr:`resume_from_ms` on next (or pass ``start_ms``
        to :meth:`append`).
        """
        inc = cls(transcriber, **settings)
        inc.committed_ms = int(state["committed_ms"])
        inc.segments = [Segment.from_dict(s) for s in state.get("segments", ())]
        inc._buffer_start_ms = inc.resume_from_ms
        return inc

    @property
    def resume_from_ms(self) -> int:
        """Where the next window will start; audio before it is no longer needed."""
        return max(0, self.committed_ms - self.overlap_ms)

    @property
    def audio_end_ms(self) -> int:
        """End of the audio received so far, on the recording's timeline."""
        return self._buffer_start_ms + self._buffer.size // _SPM

    # -- feeding ---------------------------------------------------------

    def append(self, samples: np.ndarray, *, start_ms: int | None = None) -> list[Segment]:
        """Add samples and transcribe every window that is now complete.

        Args:
            samples: 16 kHz mono float32 samples that follow the audio given so
                far.
            start_ms: Where ``samples`` start on the recording's timeline, if
                not right after the audio given so far. Audio before
                :attr:`audio_end_ms` is skipped (useful when resuming); a gap
                is filled with silence.

        Returns:
            The segments committed by this call (also added to :attr:`segments`).
        """
        if self._finished:
            raise RuntimeError("finish() was already called")
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        if start_ms is not None:
            skip = (self.audio_end_ms - start_ms) * _SPM
            if skip > 0:
                samples = samples[skip:]
            elif skip < 0:
                samples = np.concatenate([np.zeros(-skip, dtype=np.float32), samples])
        if samples.size:
            self._buffer = np.concatenate([self._buffer, samples])
        new: list[Segment] = []
        while self.audio_end_ms - self.resume_from_ms >= self.window_ms:
            new.extend(self._step(final=False))
        return new

    def finish(self) -> list[Segment]:
        """Transcribe whatever audio is left (the end of the recording).

        Returns:
            The segments committed by this call.
        """
        if self._finished:
            return []
        new: list[Segment] = []
        while self.audio_end_ms > self.committed_ms:
            before = (self.committed_ms, self._stalled_at)
            new.extend(self._step(final=True))
            if (self.committed_ms, self._stalled_at) == before:  # pragma: no cover - safety net
                break
        self._finished = True
        self._buffer = np.zeros(0, dtype=np.float32)
        return new

    # -- internals -------------------------------------------------------

    def _audio(self, start_ms: int, end_ms: int) -> np.ndarray:
        a = (start_ms - self._buffer_start_ms) * _SPM
        b = (end_ms - self._buffer_start_ms) * _SPM
        return self._buffer[max(a, 0) : max(b, 0)]

    def _quiet_cut(self, start_ms: int, end_ms: int) -> int:
        """Return the quietest moment in the last ``search_ms`` before ``end_ms``."""
        lo = max(start_ms + self.overlap_ms + self.guard_ms + 1000, end_ms - self.search_ms)
        region = self._audio(lo, end_ms)
        frame = 20 * _SPM
        n = region.size // frame
        if n < 10:
            return end_ms
        energy = np.sqrt(np.mean(region[: n * frame].astype(np.float64).reshape(n, frame) ** 2, axis=1))
        smooth = np.convolve(energy, np.ones(10) / 10, mode="valid")  # 200-ms span
        # A slight preference for later cuts, so windows stay long.
        bias = 1 + 0.2 * (np.arange(smooth.size)[::-1] / max(smooth.size, 1))
        best = int(np.argmin(smooth * bias))
        return lo + (best + 5) * 20

    @staticmethod
    def _pause_before(units: Sequence[tuple[int, Word | Segment]], keep: int, limit: int, progress_from: int) -> int:
        """Return how many units to commit so that the next window starts in a pause.

        Whisper reads a window best when it starts at the beginning of a
        phrase, so prefer the last pause (a gap of at least ``_PAUSE_MS``
        between words) after ``progress_from``; keep ``keep`` if there is none.
        """
        for i in range(keep - 1, -1, -1):
            end = units[i][1].end_ms
            if end < progress_from:
                break
            following = units[i + 1][1].start_ms if i + 1 < len(units) else limit
            if following - end >= _PAUSE_MS:
                return i + 1
        return keep

    def _has_speech(self, start_ms: int, end_ms: int) -> bool:
        """Whether ``[start_ms, end_ms]`` holds sound well above the window's noise floor."""
        region = self._audio(start_ms, end_ms)
        frame = 20 * _SPM
        n = region.size // frame
        if n < 10:
            return False
        energy = np.sqrt(np.mean(region[: n * frame].astype(np.float64).reshape(n, frame) ** 2, axis=1))
        window = self._audio(self.resume_from_ms, end_ms)
        m = window.size // frame
        floor = np.percentile(np.sqrt(np.mean(window[: m * frame].astype(np.float64).reshape(m, frame) ** 2, axis=1)), 10)
        return int(np.sum(energy > max(4 * floor, 1e-3))) >= 10  # at least 200 ms of it

    def _step(self, *, final: bool) -> list[Segment]:
        start = self.resume_from_ms
        previous = self.committed_ms
        retry = self._stalled_at == start
        length = self.window_ms // 2 if retry else self.window_ms
        final = final and self.audio_end_ms - start <= length
        end = self.audio_end_ms if final else min(self.audio_end_ms, start + length)
        cut = end if final else self._quiet_cut(start, end)
        segments = self.transcriber.transcribe(
            self._audio(start, cut), offset_ms=start, vocabulary=self.vocabulary, beam_size=self.beam_size
        )
        # Units are words where the engine gives them, else whole segments.
        units: list[tuple[int, Word | Segment]] = []
        for index, segment in enumerate(segments):
            for unit in segment.words or (segment,):
                if (unit.start_ms + unit.end_ms) / 2 >= previous:
                    units.append((index, unit))
        limit = cut if final else cut - self.guard_ms
        keep = 0
        while keep < len(units) and (final or units[keep][1].end_ms <= limit):
            keep += 1
        if not final:
            keep = self._pause_before(units, keep, limit, progress_from=start + 2 * (cut - start) // 3)
        last_end = previous
        if keep:
            # A word "lasting" seconds usually hides speech the model skipped.
            last = units[keep - 1][1]
            last_end = max(previous, min(last.end_ms, last.start_ms + _LONGEST_WORD_MS))
        if keep < len(units):
            # Stop in the gap before the first word left for the next window.
            committed = max((last_end + units[keep][1].start_ms) // 2, last_end)
        elif last_end < limit - 2000 and self._has_speech(last_end, limit):
            # Whisper sometimes stops early in a window and skips what follows;
            # go back for the sound it did not transcribe.
            committed = last_end
        else:
            committed = limit
        if committed <= previous + 1000 and not final:
            if not retry:
                # No progress: try once more with a shorter window, which
                # usually gets the model past whatever stopped it.
                self._stalled_at = start
                return []
            keep = len(units)
            committed = max(limit, units[-1][1].end_ms if units else limit)
        if final and committed < limit and committed <= previous + 1000:
            committed = limit
        self._stalled_at = None
        new = _regroup(segments, units[:keep])
        self.segments.extend(new)
        self.committed_ms = committed
        if committed >= self.audio_end_ms:
            self.committed_ms = self.audio_end_ms
        # Drop audio that no later window needs.
        drop = (self.resume_from_ms - self._buffer_start_ms) * _SPM
        if drop > 0:
            self._buffer = self._buffer[drop:]
            self._buffer_start_ms = self.resume_from_ms
        return new


def _regroup(segments: Sequence[Segment], units: Sequence[tuple[int, Word | Segment]]) -> list[Segment]:
    """Rebuild segments from the kept units, keeping the engine's segmentation."""
    out: list[Segment] = []
    by_index: dict[int, list[Word | Segment]] = {}
    for index, unit in units:
        by_index.setdefault(index, []).append(unit)
    for index in sorted(by_index):
        kept = by_index[index]
        original = segments[index]
        if isinstance(kept[0], Segment):
            out.append(original)
        elif len(kept) == len(original.words):
            out.append(original)
        else:
            words = tuple(w for w in kept if isinstance(w, Word))
            out.append(Segment(words[0].start_ms, words[-1].end_ms, " ".join(w.text for w in words), words))
    return out


def transcribe_windowed(
    transcriber: Transcriber,
    audio: np.ndarray,
    *,
    piece_s: float = 5.0,
    **settings: Any,
) -> list[Segment]:
    """Transcribe a whole array through :class:`IncrementalTranscriber`.

    Args:
        transcriber: The engine.
        audio: 16 kHz mono float32 samples.
        piece_s: Size of the pieces fed in, in seconds.
        **settings: Passed to :class:`IncrementalTranscriber`.

    Returns:
        All segments.
    """
    inc = IncrementalTranscriber(transcriber, **settings)
    step = max(1, round(piece_s * SAMPLE_RATE))
    for i in range(0, audio.size, step):
        inc.append(audio[i : i + step])
    inc.finish()
    return inc.segments
