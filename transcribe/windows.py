"""Incremental transcription of long or streamed audio with flat memory.

Whisper looks at 30 s at a time and whole-file runs keep every sample and
decoder state in memory (about 53 MB per minute of audio). This module feeds
the engine one window at a time as audio arrives, and stitches the windows:

1. A window runs from a second before the committed point (``overlap_s``),
   in the words already committed, to the quietest moment in its last few
   seconds (``search_s``), so that the cut falls in a pause between words
   where the audio allows it. (Whisper heard cold, from the pause before a
   sentence, sometimes skips that sentence; with the words before it as
   context it reads it.)
2. Words whose middle lies before the committed point were already committed
   by the previous window and are dropped, so no word is doubled.
3. Words ending in the last ``guard_s`` before the cut are not trusted (the cut
   may have clipped them); of the rest, the window commits up to the last
   pause between words in its final third, so the next window starts at the
   beginning of a phrase, where Whisper reads best.
4. Whisper often ends a window at its last complete sentence and says nothing
   of the half sentence the cut went through, sometimes stops early and
   skips the rest (its last word "lasting" seconds), and sometimes jumps over
   a sentence or two and goes on after them (a gap of seconds between two
   words, or before the first, with speech in it). The next window starts
   where the trusted words stop, or at such a gap (or, at the end of the
   audio, where sound well above the noise floor remains untranscribed). A
   window that makes no progress is tried again without the vocabulary
   prompt (which sometimes makes the model jump the same quiet sentence
   every time): at half length and a second earlier, then from the
   committed point itself, with no lead-in (the model sometimes runs the
   end of the last sentence kept into the next and skips it); the third
   try is accepted whatever it holds.
5. Audio that has piled up (an upload, a phone catching up after the
   meeting) is split at pauses into ``batch_size`` regions, transcribed side
   by side: each round of windows, one per region, goes to the engine as one
   batch (:func:`transcribe.engines.transcribe_batch`; faster-whisper decodes
   each window in a single pass). An engine that decodes several batches at
   once (:func:`transcribe.engines.parallel_batches`: faster-whisper's
   workers on a CPU's cores) gets them shared by that many lanes, threads
   that each take a batch of ready regions at a time (:meth:`_share`), so
   one lane encodes while another decodes and no lane waits while another
   has work it could take. Every region but the live edge ends at its
   pause, where its last window keeps everything (that window hears a few
   seconds past the pause, for context). The live edge itself
   (:meth:`drain`, a window or two during a meeting) goes one window at a
   time.

On the shared recordings, with batches of 4 on 2 cores, this runs about 2.2x
as fast as one whole-file pass at a lower WER when the engine reads windows
greedily first (faster-whisper's default here), or 1.4-1.6x as fast with the
beam for every window (see ``bench/README.md``), at a
peak RSS that does not grow with the recording.

The state worth persisting is tiny: the committed point and the committed
segments (:meth:`IncrementalTranscriber.state`). A resumed job recreates the
transcriber with :meth:`IncrementalTranscriber.from_state` and feeds audio
from :attr:`IncrementalTranscriber.resume_from_ms` on (or from anywhere
earlier, with ``start_ms``: audio already covered is skipped).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from .audio import SAMPLE_RATE, frame_levels
from .engines import Transcriber, parallel_batches, transcribe_batch
from .types import Segment, Word

__all__ = ["IncrementalTranscriber", "transcribe_windowed"]

_SPM = SAMPLE_RATE // 1000  # samples per millisecond
_LONGEST_WORD_MS = 1500
_PAUSE_MS = 300
_SKIP_MS = 2000  # a gap between words this long, with speech in it, is speech the model skipped
_REGION_SEARCH_MS = 5000  # regions end at their cut, so look harder for a pause there
_RETRY_LEAD_MS = 1000  # a second try at a window starts this much earlier, where the audio allows
_PCM_FULL_SCALE = 32767
_REACH_MS = 4000  # a region's last window goes on this far past the region's end, where there is room


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
            to cut at. The default keeps windows nearly full: on 30 minutes
            of the shared recordings 2.5 s took 88 windows where 5 s took
            93, at 3.00 % WER against 3.18 %.
        guard_s: Words ending within this many seconds of a cut are left
            for the next window.
        vocabulary: Names and terms passed to the engine on every call.
        beam_size: Beam width passed to the engine.
        batch_size: Windows the engine decodes side by side when audio has
            piled up (an upload, or a phone catching up after the meeting):
            the backlog is split at pauses into this many regions, each
            transcribed window after window. 1 keeps strictly one window at a
            time.
    """

    def __init__(
        self,
        transcriber: Transcriber,
        *,
        window_s: float = 30.0,
        overlap_s: float = 1.0,
        search_s: float = 2.5,
        guard_s: float = 1.0,
        vocabulary: list[str] | None = None,
        beam_size: int = 5,
        batch_size: int = 1,
    ):
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if overlap_s < 0 or guard_s < 0 or search_s < 0 or window_s <= search_s + guard_s + overlap_s + 1:
            raise ValueError("window_s must exceed search_s + guard_s + overlap_s by more than 1 s")
        self.transcriber = transcriber
        self.window_ms = round(window_s * 1000)
        self.overlap_ms = round(overlap_s * 1000)
        self.search_ms = round(search_s * 1000)
        self.guard_ms = round(guard_s * 1000)
        self.vocabulary = vocabulary
        self.beam_size = beam_size
        self.batch_size = batch_size
        self.committed_ms = 0
        self.segments: list[Segment] = []
        # Kept as 16-bit PCM, half the memory of float32 (an 8-minute gather
        # holds 15 MB instead of 31); windows are converted back as they are read.
        self._buffer = np.zeros(0, dtype=np.int16)
        self._pieces: list[np.ndarray] = []  # appended since the buffer was last joined
        self._buffered = 0  # samples in the buffer and the pieces
        self._buffer_start_ms = 0
        self._finished = False

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
        return self._buffer_start_ms + self._buffered // _SPM

    # -- feeding ---------------------------------------------------------

    def append(self, samples: np.ndarray, *, start_ms: int | None = None) -> list[Segment]:
        """Add samples and transcribe what is ready.

        With ``batch_size`` 1, every complete window is transcribed as soon as
        it is here. With a larger batch, audio is gathered until there is work
        for a whole batch (``batch_size`` × 4 windows); call :meth:`drain` when
        no more audio is coming for now, to transcribe complete windows anyway.

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
            # Joined only when a window is needed: joining on every small
            # piece would copy the whole buffer each time.
            self._pieces.append(_pcm16(samples))
            self._buffered += samples.size
        gather = self.window_ms if self.batch_size == 1 else 4 * self.batch_size * self.window_ms
        if self.audio_end_ms - self.resume_from_ms >= gather:
            return self._run(final=False)
        return []

    def drain(self) -> list[Segment]:
        """Transcribe every complete window now, one after another, without waiting for a full batch.

        This is the live edge of a meeting: a window or two at a time. It is
        not split into regions: with so little audio that would cost more
        windows than it saves (each region ends in a part-filled one), and a
        worker a little behind would fall further behind.

        Returns:
            The segments committed by this call.
        """
        if self._finished or self.audio_end_ms - self.resume_from_ms < self.window_ms:
            return []
        return self._run(final=False, batch_size=1)

    def finish(self) -> list[Segment]:
        """Transcribe whatever audio is left (the end of the recording).

        Returns:
            The segments committed by this call.
        """
        if self._finished:
            return []
        new = self._run(final=True) if self.audio_end_ms > self.committed_ms else []
        self._finished = True
        self._buffer = np.zeros(0, dtype=np.int16)
        self._pieces, self._buffered = [], 0
        return new

    # -- internals -------------------------------------------------------

    def _join(self) -> None:
        """Join the pieces appended since last time onto the buffer."""
        if self._pieces:
            self._buffer = np.concatenate([self._buffer, *self._pieces])
            self._pieces = []

    def _audio(self, start_ms: int, end_ms: int) -> np.ndarray:
        self._join()
        a = (start_ms - self._buffer_start_ms) * _SPM
        b = (end_ms - self._buffer_start_ms) * _SPM
        return np.multiply(self._buffer[max(a, 0) : max(b, 0)], 1 / _PCM_FULL_SCALE, dtype=np.float32)

    def _run(self, *, final: bool, batch_size: int | None = None) -> list[Segment]:
        """Transcribe the buffered audio as up to ``batch_size`` streams decoded side by side.

        The audio after the committed point is split at pauses into regions,
        one per stream; every region but (unless ``final``) the last is
        transcribed to its end, window after window, each round of windows
        going to the engine as one batch (or, with an engine that runs
        batches side by side, one batch per lane). The last region is the
        live edge: like a single stream, it moves on only by whole windows.
        """
        start = self.committed_ms
        end = self.audio_end_ms
        # Windows this audio needs (each moves on by about a window less the
        # cut search and the guard), spread evenly over as few rounds as the
        # batch allows, so that every window the engine pays for is nearly full.
        step = self.window_ms - self.search_ms // 2 - self.guard_ms
        needed = max(1, -(-(end - start) // step))
        rounds = -(-needed // (batch_size or self.batch_size))
        count = -(-needed // rounds)
        if not final:
            count = min(count, (end - self.resume_from_ms) // self.window_ms)
        count = max(1, count)
        bounds = [start]
        for k in range(1, count):
            target = start + k * (end - start) // count
            bounds.append(max(bounds[-1] + 1000, self._quiet_cut(target - self.window_ms, target, _REGION_SEARCH_MS)))
        # Regions overlap by a guard's width each side of their cut, so a word
        # the cut goes through is heard whole by one of them; it belongs to the
        # region its middle falls in.
        streams = [_Stream(a, b, self.overlap_ms if k == 0 else self.guard_ms, self.guard_ms)
                   for k, (a, b) in enumerate(zip(bounds, bounds[1:]))]
        streams.append(_Stream(bounds[-1], end if final else None,
                               self.overlap_ms if count == 1 else self.guard_ms, 0))
        self._join()  # from here on the buffer is only read, by every lane
        lanes = min(parallel_batches(self.transcriber), len(streams))
        if lanes == 1:
            self._transcribe_streams(streams)
        else:
            self._share(streams, lanes)
        new = [segment for stream in streams for segment in stream.segments]
        self.segments.extend(new)
        self.committed_ms = min(streams[-1].committed_ms, self.audio_end_ms)
        # Drop audio that no later window needs (a retry may start a little early).
        drop = (self.resume_from_ms - _RETRY_LEAD_MS - self._buffer_start_ms) * _SPM
        if drop > 0:
            self._join()
            self._buffer = self._buffer[drop:].copy()  # a copy, so the dropped audio is freed
            self._buffered = self._buffer.size
            self._buffer_start_ms = self.resume_from_ms - _RETRY_LEAD_MS
        return new

    def _transcribe_streams(self, streams: list[_Stream]) -> None:
        """Transcribe the streams to their ends (or to the live edge), their windows going to the engine as batches."""
        while True:
            ready = [s for s in streams if self._can_step(s)]
            if not ready:
                return
            self._step(ready, [self._window(s) for s in ready])

    def _share(self, streams: list[_Stream], lanes: int) -> None:
        """Transcribe the streams on ``lanes`` threads, each sending a batch of windows at a time.

        A lane that is free takes its share of the streams that are ready (not
        in another lane's batch, with a window to transcribe; see
        :func:`_batch_share`), so a stream may change lanes from one window to
        the next and a lane whose streams have ended takes over another's
        instead of waiting for it. The transcript does not depend on which
        lane took what: a window's text and timings are the same whichever
        windows share its batch (CTranslate2 decodes each row of a batch on
        its own; a test holds the engine to it).
        """
        most = -(-len(streams) // lanes)
        flying: set[int] = set()  # the streams in a lane's batch now
        busy = 0  # lanes running a batch
        failed = False
        changed = threading.Condition()

        def lane() -> None:
            nonlocal busy, failed
            while True:
                with changed:
                    while True:
                        if failed:
                            return
                        ready = [s for s in streams if id(s) not in flying and self._can_step(s)]
                        if ready or not flying:
                            break
                        changed.wait()
                    if not ready:
                        return
                    plans = [self._window(s) for s in ready]
                    share = _batch_share(len(ready), lanes, busy, most, last=all(plan[2] for plan in plans))
                    take, plans = ready[:share], plans[:share]
                    flying.update(id(s) for s in take)
                    busy += 1
                try:
                    self._step(take, plans, workers=1)
                except BaseException:
                    failed = True  # the other lanes stop at their next batch
                    raise
                finally:
                    with changed:
                        flying.difference_update(id(s) for s in take)
                        busy -= 1
                        changed.notify_all()

        with ThreadPoolExecutor(lanes, thread_name_prefix="lane") as pool:
            for running in [pool.submit(lane) for _ in range(lanes)]:
                running.result()

    def _step(self, ready: list[_Stream], plans: list[tuple[int, int, bool]], workers: int | None = None) -> None:
        """Transcribe each stream's planned window (:meth:`_window`), as one batch, and move the streams on."""
        results: list[list[Segment]] = [[] for _ in ready]
        # A second try goes without the vocabulary prompt: names and terms
        # given as the text before the window sometimes make the model jump
        # a quiet speaker's sentence every time (it is then read unprompted).
        for retry in (False, True):
            todo = [i for i, s in enumerate(ready) if bool(s.tries) == retry]
            if not todo:
                continue
            out = transcribe_batch(
                self.transcriber,
                [(self._audio(plans[i][0], plans[i][1]), plans[i][0], plans[i][2]) for i in todo],
                vocabulary=None if retry else self.vocabulary,
                beam_size=self.beam_size,
                workers=workers,
            )
            for i, segments in zip(todo, out):
                results[i] = segments
        for stream, plan, segments in zip(ready, plans, results):
            before = (stream.committed_ms, stream.tries)
            self._advance(stream, plan, segments)
            if stream.end_ms is not None and (stream.committed_ms, stream.tries) == before:  # pragma: no cover
                stream.committed_ms = stream.end_ms  # safety net: a closed region always ends

    def _can_step(self, stream: _Stream) -> bool:
        if stream.end_ms is not None:
            return stream.committed_ms < stream.end_ms
        return self.audio_end_ms - max(0, stream.committed_ms - stream.lead_ms) >= self.window_ms

    def _window(self, stream: _Stream) -> tuple[int, int, bool]:
        """Return the stream's next window: (start, cut, whether it reaches the stream's end)."""
        start = max(0, stream.committed_ms - stream.lead_ms)
        length = self.window_ms
        if stream.tries == 1:
            # The second try at a window that made no progress: half as long, and
            # starting a little earlier, in the words before (Whisper heard cold
            # sometimes skips a first sentence that it reads in context).
            start = max(self._buffer_start_ms, start - _RETRY_LEAD_MS)
            length //= 2
        elif stream.tries == 2:
            # The third: from the committed point, in the pause after the words
            # kept. Heard with the end of that last sentence, the model
            # sometimes runs it on into the next and skips the next every time
            # (on the shared recordings, a 17-word sentence after "himself.").
            start = stream.committed_ms
        limit = stream.end_ms if stream.end_ms is not None else self.audio_end_ms
        last = stream.end_ms is not None and limit + stream.tail_ms - start <= length
        if last:
            # Past the region's end, as far as the window allows (up to a few
            # seconds): the words there belong to the next region, but heard
            # with what follows them, the region's own last words come out
            # whole instead of stretched to the window's edge or left out.
            return start, min(limit + max(stream.tail_ms, _REACH_MS), start + length, self.audio_end_ms), True
        end = min(limit, start + length)
        return start, self._quiet_cut(start, end), False

    def _quiet_cut(self, start_ms: int, end_ms: int, search_ms: int | None = None) -> int:
        """Return the quietest moment in the last ``search_ms`` (default: the setting) before ``end_ms``."""
        search_ms = self.search_ms if search_ms is None else max(search_ms, self.search_ms)
        lo = max(start_ms + self.overlap_ms + self.guard_ms + 1000, end_ms - search_ms)
        energy = frame_levels(self._audio(lo, end_ms))
        if energy.size < 10:
            return end_ms
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

    def _has_speech(self, start_ms: int, end_ms: int, window_start_ms: int, *, at_least_ms: int = 200,
                    loudness: float = 0.0) -> bool:
        """Whether ``[start_ms, end_ms]`` holds at least ``at_least_ms`` of sound well above the window's noise floor.

        With ``loudness``, the sound must also reach that fraction of the
        window's loud level (its 90th-percentile frame), so breaths and room
        noise between sentences do not count.
        """
        energy = frame_levels(self._audio(start_ms, end_ms))
        if energy.size < 10:
            return False
        floor, loud = np.percentile(frame_levels(self._audio(window_start_ms, end_ms)), [10, 90])
        return int(np.sum(energy > max(4 * floor, loudness * loud, 1e-3))) * 20 >= at_least_ms

    def _first_skip(self, units: Sequence[tuple[int, Word | Segment]], window_start_ms: int, from_ms: int) -> int:
        """Return the index of the first unit after speech the model skipped (len(units) if none).

        Whisper sometimes jumps over a sentence or two inside a window and goes
        on after it: a gap of seconds between two words (or one word stretched
        over it) where the audio has speech. What follows the gap is left for
        the next window, which starts at the gap. A window whose words start
        seconds after ``from_ms`` (the committed point) with speech before
        them skipped its first sentence: nothing of it is kept.
        """
        for i in range(len(units)):
            after = units[i][1]
            if i == 0:
                end = from_ms
            else:
                before = units[i - 1][1]
                end = min(before.end_ms, before.start_ms + _LONGEST_WORD_MS)
            if after.start_ms - end >= _SKIP_MS and self._has_speech(
                end, after.start_ms, window_start_ms, at_least_ms=1000, loudness=0.1
            ):
                return i
        return len(units)

    def _advance(self, stream: _Stream, plan: tuple[int, int, bool], segments: list[Segment]) -> None:
        """Commit what a window's transcript settles and move the stream on."""
        start, cut, final = plan
        previous = stream.committed_ms
        tries = stream.tries
        stream.lead_ms = self.overlap_ms
        # the stream's end, for its last window; else short of the cut, whose words may be clipped
        limit = stream.end_ms if final else cut - self.guard_ms
        # Units are words where the engine gives them, else whole segments.
        units: list[tuple[int, Word | Segment]] = []
        for index, segment in enumerate(segments):
            for unit in segment.words or (segment,):
                # (a word "lasting" seconds is placed by its start: its end is not where it ends)
                lasting = unit.end_ms - unit.start_ms > _LONGEST_WORD_MS
                middle = unit.start_ms if lasting else (unit.start_ms + unit.end_ms) / 2
                if middle >= previous and not (final and middle >= limit):
                    units.append((index, unit))
        heard = units
        units = units[: self._first_skip(units, start, previous)]
        keep = 0
        while keep < len(units) and (final or units[keep][1].end_ms <= limit):
            keep += 1
        # A last word "lasting" seconds is the model's end timestamp jumping
        # past words it never wrote ("it is of the ⟨first importance that⟩"):
        # leave it for the next window, which hears them again (a region's
        # last window too, if that still moves it on).
        trusted = keep
        while trusted and units[trusted - 1][1].end_ms - units[trusted - 1][1].start_ms > _LONGEST_WORD_MS:
            trusted -= 1
        if not final or (trusted and units[trusted - 1][1].end_ms > previous + 1000):
            keep = trusted
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
        elif keep and not final:
            # Start the next window where the words stopped: Whisper often ends
            # a window at its last complete sentence and says nothing of the
            # half sentence the cut went through.
            committed = last_end
        elif last_end < limit - 1000 and self._has_speech(last_end, limit, start, loudness=0.05):
            # Whisper sometimes stops early in a window and skips what follows;
            # go back for the sound it did not transcribe.
            committed = last_end
        else:
            committed = limit
        if committed <= previous + 1000 and (not final or committed < limit):
            if tries < 2:
                # No progress: try again (a shorter window starting a little
                # earlier, then one starting at the committed point), which
                # usually gets the model past whatever stopped it.
                stream.tries = tries + 1
                return
            # No progress the third time either: take all it heard and move on.
            units = heard
            keep = len(units)
            committed = max(limit, units[-1][1].end_ms if units else limit)
        stream.tries = 0
        stream.segments.extend(_regroup(segments, units[:keep]))
        limit_ms = stream.end_ms if stream.end_ms is not None else self.audio_end_ms
        stream.committed_ms = min(committed, limit_ms)


def _pcm16(samples: np.ndarray) -> np.ndarray:
    """Return float samples in [-1, 1] as 16-bit PCM (louder samples are clipped)."""
    return np.rint(np.clip(samples, -1.0, 1.0) * _PCM_FULL_SCALE).astype(np.int16)


def _batch_share(ready: int, lanes: int, busy: int, most: int, *, last: bool) -> int:
    """Return how many of ``ready`` streams a free lane takes for its next batch.

    Its share of them among the lanes free now (itself included), so that a
    lane coming back while the others are busy takes as many as it may and
    batches stay large; but never more than ``most`` (an even split of all
    the streams), and, when these are the streams' ``last`` windows, its
    share among all the lanes: nothing else will come for a busy lane, so
    the last windows go one to a lane rather than two to one while another
    waits (on 10 minutes, about a second a gather).
    """
    sharing = lanes if last else max(1, lanes - busy)
    return max(1, min(most, -(-ready // sharing)))


class _Stream:
    """One region of the buffer being transcribed window after window.

    ``end_ms`` is None for the open region at the live edge (it grows as
    audio arrives); otherwise the region ends there, at a pause, and its last
    window reaches ``tail_ms`` past it, so that a word the cut goes through is
    heard whole (the next region's first window starts ``lead_ms`` early for
    the same reason; each word is kept by the region its middle is in).
    """

    __slots__ = ("committed_ms", "end_ms", "lead_ms", "tail_ms", "tries", "segments")

    def __init__(self, committed_ms: int, end_ms: int | None, lead_ms: int, tail_ms: int):
        self.committed_ms = committed_ms
        self.end_ms = end_ms
        self.lead_ms = lead_ms  # audio before committed_ms the next window includes
        self.tail_ms = tail_ms  # audio after end_ms the last window includes
        self.tries = 0  # windows in a row that made no progress: the next is try tries + 1
        self.segments: list[Segment] = []


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
