"""Tell voices apart: speaker embeddings along a recording, on the CPU with numpy.

The model is Resemblyzer's GE2E voice encoder (Apache-2.0; see
``data/GE2E-NOTICE.txt``), converted once to ``data/ge2e.npz`` by
``tools/convert_ge2e.py``. It maps 1.6 s of speech to a 256-number unit
vector; two windows of the same voice have a higher cosine similarity than
windows of two different voices. No torch and no download: the frontend and
the network are re-implemented here.

* Frontend: a 40-band mel power spectrogram (16 kHz, 25 ms Hann window, 10 ms
  hop, Slaney mel filterbank, power 2, no log), as ``librosa.feature.melspectrogram``
  computes it with Resemblyzer's settings: frame ``j`` is centred on sample
  ``160 j`` of the window.
* Network: a 3-layer LSTM (hidden 256) over the 160 frames, then
  Linear(256, 256), ReLU and L2 normalisation of the last layer's final hidden
  state.
* Level: the mel is not log-scaled, so the input level matters. Resemblyzer
  normalises whole utterances to -30 dBFS; here each window is scaled so that
  its speech (its louder 10 ms blocks, pauses left out) is at -25 dBFS, which
  is about the same and separated voices best when measured (-15 to -40 dBFS
  tried). A near and a far voice then get the same embedding.

Typical use::

    frames = voice_frames(decode("meeting.webm"))        # a window every 1.6 s
    parent = frames.between(12_000, 20_000).mean()       # a stretch the parent tapped
    similarity(frames.vectors, parent[None])[:, 0] > SAME_VOICE
"""

from __future__ import annotations

import ctypes
import os
import struct
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = [
    "SAME_VOICE",
    "VoiceEncoder",
    "VoiceFrames",
    "get_encoder",
    "mel_filterbank",
    "similarity",
    "voice_frames",
]

WEIGHTS_PATH = Path(__file__).resolve().parent / "data" / "ge2e.npz"

SAMPLE_RATE = 16000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 40
HIDDEN = 256
TARGET_DBFS = -25.0  # each window's speech level (see _speech_gains)

SAME_VOICE = 0.75
"""Cosine similarity above which the mean voices of two stretches of speech (~4 s or more each) are one voice.

Measured on real recordings of seven people: 95 % of same-voice pairs of
~4 s means score above 0.75 and 99 % of different-voice pairs below 0.69.
Single 1.6 s windows are noisier (same voice: 5th percentile 0.64;
different: 99th percentile 0.60). Synthetic espeak-ng voices sit much closer
together (different variants 0.58 to 0.90, the same one 0.92 to 0.97): tell
those apart relative to each other, not with this threshold.
"""

_MAGIC = b"MVF1"
_HEADER = struct.Struct("<4sII")  # magic, number of frames, vector size


@dataclass(frozen=True)
class VoiceFrames:
    """Voice embeddings along a recording: one per window.

    Attributes:
        centers_ms: int64 [n], the centre of each window on the recording's
            timeline (``offset_ms`` applied), ascending.
        vectors: float32 [n, 256], L2-normalised embeddings.
    """

    centers_ms: np.ndarray
    vectors: np.ndarray

    def __post_init__(self):
        centers = np.asarray(self.centers_ms, dtype=np.int64).reshape(-1)
        vectors = np.asarray(self.vectors, dtype=np.float32).reshape(len(centers), HIDDEN)
        object.__setattr__(self, "centers_ms", centers)
        object.__setattr__(self, "vectors", vectors)

    def __len__(self) -> int:
        return len(self.centers_ms)

    def to_bytes(self) -> bytes:
        """Return a compact encoding (float16 vectors, ~520 bytes a frame) for :meth:`from_bytes`."""
        return b"".join(
            (
                _HEADER.pack(_MAGIC, len(self), HIDDEN),
                self.centers_ms.astype("<i8").tobytes(),
                self.vectors.astype("<f2").tobytes(),
            )
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> VoiceFrames:
        """Decode :meth:`to_bytes` output (vectors re-normalised after the float16 rounding).

        Raises:
            ValueError: ``data`` is not a voice-frames encoding.
        """
        data = bytes(data)
        try:
            magic, n, size = _HEADER.unpack_from(data)
        except struct.error:
            raise ValueError("not voice frames (too short)") from None
        if magic != _MAGIC or size != HIDDEN or len(data) != _HEADER.size + n * (8 + 2 * size):
            raise ValueError("not voice frames (bad header or length)")
        centers = np.frombuffer(data, "<i8", n, _HEADER.size)
        vectors = np.frombuffer(data, "<f2", n * size, _HEADER.size + 8 * n).astype(np.float32).reshape(n, size)
        return cls(centers.astype(np.int64), _unit(vectors))

    @classmethod
    def concat(cls, parts: Iterable[VoiceFrames]) -> VoiceFrames:
        """Join frames computed piece by piece into one, ordered by time."""
        parts = list(parts)
        if not parts:
            return cls.empty()
        centers = np.concatenate([p.centers_ms for p in parts])
        order = np.argsort(centers, kind="stable")
        return cls(centers[order], np.concatenate([p.vectors for p in parts])[order])

    @classmethod
    def empty(cls) -> VoiceFrames:
        """Return frames with no windows."""
        return cls(np.zeros(0, np.int64), np.zeros((0, HIDDEN), np.float32))

    def between(self, start_ms: int, end_ms: int) -> VoiceFrames:
        """Return the frames whose centre lies in ``[start_ms, end_ms)``."""
        lo, hi = np.searchsorted(self.centers_ms, [start_ms, end_ms])
        return VoiceFrames(self.centers_ms[lo:hi], self.vectors[lo:hi])

    def mean(self) -> np.ndarray:
        """Return the L2-normalised mean vector (the voice of a stretch), or zeros when empty."""
        if not len(self):
            return np.zeros(HIDDEN, np.float32)
        return _unit(self.vectors.mean(axis=0))


@lru_cache(maxsize=None)
def mel_filterbank(sample_rate: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """Return librosa's default (Slaney) mel filterbank, float32 [n_mels, n_fft // 2 + 1].

    Same as ``librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels)``:
    triangles on the Slaney mel scale (linear below 1 kHz, logarithmic above)
    from 0 Hz to Nyquist, each scaled to unit area (``norm="slaney"``).
    """
    fft_hz = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    mel_hz = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(sample_rate / 2), n_mels + 2))
    widths = np.diff(mel_hz)
    ramps = mel_hz[:, None] - fft_hz[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0, np.minimum(rising, falling))
    weights *= (2.0 / (mel_hz[2:] - mel_hz[:-2]))[:, None]
    return weights.astype(np.float32)


# Slaney's mel scale: linear (3 mels per 200 Hz) below 1 kHz, logarithmic above.
_F_SP = 200.0 / 3
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOG_STEP = np.log(6.4) / 27.0


def _hz_to_mel(hz):
    hz = np.asarray(hz, dtype=np.float64)
    return np.where(hz >= _MIN_LOG_HZ, _MIN_LOG_MEL + np.log(np.maximum(hz, 1e-10) / _MIN_LOG_HZ) / _LOG_STEP, hz / _F_SP)


def _mel_to_hz(mel):
    mel = np.asarray(mel, dtype=np.float64)
    return np.where(mel >= _MIN_LOG_MEL, _MIN_LOG_HZ * np.exp(_LOG_STEP * (mel - _MIN_LOG_MEL)), mel * _F_SP)


def _unit(vectors: np.ndarray) -> np.ndarray:
    """Return ``vectors`` scaled to unit L2 norm along the last axis (zero vectors stay zero)."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return the cosine similarities of the rows of ``a`` [n, d] with the rows of ``b`` [m, d], as [n, m]."""
    a = _unit(np.atleast_2d(np.asarray(a, dtype=np.float32)))
    b = _unit(np.atleast_2d(np.asarray(b, dtype=np.float32)))
    return a @ b.T


class VoiceEncoder:
    """The GE2E voice encoder, in numpy.

    Safe to share between threads: a call keeps its state in its own buffers.

    Args:
        weights_path: The converted weights; the bundled ``data/ge2e.npz`` by default.
        batch_size: Windows run through the network together (about 1 MB of
            memory each while they do).
        threads: Batches run at once, each on its own thread. Numpy's
            OpenBLAS is kept to one thread meanwhile (see :func:`_one_blas_thread`).
    """

    def __init__(self, weights_path: str | Path | None = None, *, batch_size: int = 32, threads: int | None = None):
        self.batch_size = batch_size
        self.threads = threads or min(2, os.cpu_count() or 1)
        with np.load(weights_path or WEIGHTS_PATH) as npz:
            self._layers = [
                _lstm_layer(npz[f"lstm_w_ih_l{i}"], npz[f"lstm_w_hh_l{i}"], npz[f"lstm_b_l{i}"], first=i == 0)
                for i in range(3)
            ]
            self._linear_w = np.ascontiguousarray(npz["linear_w"].astype(np.float32).T)
            self._linear_b = npz["linear_b"].astype(np.float32)
        self._filters = np.ascontiguousarray(mel_filterbank().T)  # [201, 40]
        # The periodic Hann window (scipy's get_window("hann", fftbins=True)), as librosa uses.
        self._hann = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)

    def embed(self, windows: np.ndarray) -> np.ndarray:
        """Embed windows of speech, each on its own.

        Each window is zero-padded by half an FFT at both ends (librosa's
        ``center=True``) and levelled like :func:`voice_frames` windows.

        Args:
            windows: float32 [n, 25600]: 1.6 s of 16 kHz mono samples per row
                (any whole number of 10 ms hops works).

        Returns:
            float32 [n, 256], L2-normalised.
        """
        windows = np.asarray(windows, dtype=np.float32)
        if windows.ndim == 1:
            windows = windows[None]
        if windows.shape[1] % HOP:
            raise ValueError(f"window length must be a multiple of {HOP} samples")
        pad = N_FFT // 2

        def run(batch: np.ndarray) -> np.ndarray:
            gains = _speech_gains(_block_power(batch))
            return self.embed_padded(np.pad(batch, ((0, 0), (pad, pad))), gains)

        return self._map_batches(run, windows)

    def _map_batches(self, fn: Callable[[np.ndarray], np.ndarray], items: np.ndarray) -> np.ndarray:
        """Return ``fn`` applied to ``items`` in batches, concatenated (float32 [n, 256]).

        Batches run on :attr:`threads` threads; ``fn`` should build its input
        there, so that only the batches in flight are in memory.
        """
        batches = [items[start : start + self.batch_size] for start in range(0, len(items), self.batch_size)]
        if not batches:
            return np.zeros((0, HIDDEN), np.float32)
        with _one_blas_thread():
            if self.threads == 1 or len(batches) == 1:
                return np.concatenate([fn(batch) for batch in batches])
            with ThreadPoolExecutor(self.threads, thread_name_prefix="voices") as pool:
                return np.concatenate(list(pool.map(fn, batches)))

    def embed_padded(self, padded: np.ndarray, gains: np.ndarray | None = None) -> np.ndarray:
        """Embed windows that carry the half FFT of audio around them (see :meth:`mels`).

        Args:
            padded: float32 [n, 160 T + 400].
            gains: Amplitude gain per window (the levelling); none by default.
        """
        mels = self.mels(padded)
        if gains is not None:
            mels *= np.square(gains, dtype=np.float32)[:, None, None]
        return self.embed_mels(mels)

    def mels(self, padded: np.ndarray) -> np.ndarray:
        """Return the mel power spectrogram, float32 [n, T, 40], of padded windows.

        Args:
            padded: float32 [n, 160 T + 400]: each window with the 200 samples
                before and after it (recorded audio, or zeros as librosa pads).
        """
        n, length = padded.shape
        count = (length - N_FFT) // HOP
        frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT, axis=1)[:, ::HOP][:, :count]
        mels = np.empty((n, count, N_MELS), np.float32)
        for start in range(0, n, 8):  # a few windows at a time: the FFT takes ~5 times its input in scratch memory
            spectrum = np.fft.rfft(frames[start : start + 8] * self._hann, axis=-1)
            mels[start : start + 8] = (np.square(spectrum.real) + np.square(spectrum.imag)) @ self._filters
        return mels

    def embed_mels(self, mels: np.ndarray) -> np.ndarray:
        """Run the network on mel spectrograms, float32 [n, T, 40] -> [n, 256] (no levelling)."""
        hidden = self._lstm(np.asarray(mels, dtype=np.float32))
        return _unit(np.maximum(hidden @ self._linear_w + self._linear_b, 0))

    def _lstm(self, mels: np.ndarray) -> np.ndarray:
        """Return the last layer's final hidden state, [n, 256], for mels [n, T, 40]."""
        x = np.ascontiguousarray(mels.transpose(1, 0, 2))  # time-major: x[t] is one contiguous step
        steps, n, _ = x.shape
        # Buffers are allocated once per call: fresh ones per layer cost more in page faults than the maths.
        chunk = 32  # steps whose input projection is computed at once
        projected = np.empty((chunk, n, 4 * HIDDEN), np.float32)
        outputs = np.empty((2, steps, n, HIDDEN), np.float32)  # layer k writes outputs[k % 2]
        gates = np.empty((n, 4 * HIDDEN), np.float32)
        sigmoids, cell = gates[:, : 3 * HIDDEN], gates[:, 3 * HIDDEN :]
        in_gate, forget, out_gate = (gates[:, k * HIDDEN : (k + 1) * HIDDEN] for k in range(3))
        for index, (w_ih, w_hh, bias) in enumerate(self._layers):
            out = outputs[index % 2]
            h = np.zeros((n, HIDDEN), np.float32)
            c = np.zeros((n, HIDDEN), np.float32)
            for t in range(steps):
                if t % chunk == 0:
                    # The input projection of the next steps in one large product; only h @ W_hh is sequential.
                    inputs = x[t : t + chunk]
                    part = projected[: len(inputs)]
                    np.matmul(inputs.reshape(-1, inputs.shape[-1]), w_ih, out=part.reshape(-1, 4 * HIDDEN))
                    part += bias
                np.matmul(h, w_hh, out=gates)
                gates += projected[t % chunk]
                # One tanh for all four gates: with the i, f, o rows halved at load
                # time, 1 + tanh gives twice their sigmoids (2i, 2f, 2o).
                np.tanh(gates, out=gates)
                sigmoids += 1.0
                c *= forget
                in_gate *= cell
                c += in_gate
                c *= 0.5  # c = f c + i g
                h = out[t]
                np.tanh(c, out=h)
                h *= out_gate  # 2h, which the halved W_hh and next layer's W_ih expect
            x = out
        return h * 0.5


def _lstm_layer(w_ih: np.ndarray, w_hh: np.ndarray, bias: np.ndarray, *, first: bool):
    """Return one layer's (W_ih^T, W_hh^T, bias), rearranged for ``VoiceEncoder._lstm``.

    * PyTorch stacks the gates as i, f, g, o; the three sigmoid gates go first
      here so that they are one slice.
    * Their rows are halved, since sigmoid(x) = (1 + tanh(x / 2)) / 2 lets one
      tanh compute all four gates.
    * The loop carries 2h rather than h (one multiplication fewer a step), so
      W_hh, and W_ih after the first layer, are halved as well.

    Halving is exact in floating point, so none of this changes the results.
    """
    i, f, g, o = (slice(k * HIDDEN, (k + 1) * HIDDEN) for k in range(4))
    order = np.r_[i, f, o, g]
    scale = np.r_[np.full(3 * HIDDEN, 0.5), np.ones(HIDDEN)].astype(np.float32)
    w_ih = w_ih.astype(np.float32)[order] * scale[:, None] * (1.0 if first else 0.5)
    w_hh = w_hh.astype(np.float32)[order] * scale[:, None] * 0.5
    return np.ascontiguousarray(w_ih.T), np.ascontiguousarray(w_hh.T), bias.astype(np.float32)[order] * scale


def _block_power(samples: np.ndarray) -> np.ndarray:
    """Return the mean power of each whole 10 ms block along the last axis, float32 [..., blocks]."""
    blocks = samples.shape[-1] // HOP
    shaped = samples[..., : blocks * HOP].reshape(*samples.shape[:-1], blocks, HOP)
    return np.einsum("...k,...k->...", shaped, shaped) / HOP


def _speech_gains(block_power: np.ndarray, floor_db: float = 30.0) -> np.ndarray:
    """Return the gain that brings each window's speech to ``TARGET_DBFS``.

    A window's speech level is the RMS of its 10 ms blocks within ``floor_db``
    of its loudest (pauses and silence left out), so a voice gets the same
    embedding whether it is near the phone or across the table, and however
    much of the window it fills.

    Args:
        block_power: float32 [n, blocks], from :func:`_block_power`.
    """
    loud = block_power >= block_power.max(axis=1, keepdims=True) * 10 ** (-floor_db / 10)
    speech = np.sqrt((block_power * loud).sum(axis=1) / np.maximum(loud.sum(axis=1), 1))
    return (10 ** (TARGET_DBFS / 20) / np.maximum(speech, 1e-6)).astype(np.float32)


def _cut(samples: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """Return ``samples[start : start + length]`` for each start as rows, zeros outside the recording."""
    out = np.zeros((len(starts), length), np.float32)
    for row, start in zip(out, starts):
        lo, hi = max(start, 0), min(start + length, len(samples))
        if hi > lo:
            row[lo - start : hi - start] = samples[lo:hi]
    return out


@lru_cache(maxsize=1)
def _openblas() -> tuple[Callable[[], int], Callable[[int], None]] | None:
    """Return (get, set) for the thread count of the OpenBLAS in numpy's wheel, or None if there is none."""
    package = Path(np.__file__).resolve().parent
    for path in sorted((*package.parent.glob("numpy.libs/*openblas*"), *package.glob(".dylibs/*openblas*"))):
        try:
            lib = ctypes.CDLL(str(path))
        except OSError:
            continue
        for prefix, suffix in (("scipy_openblas", "64_"), ("scipy_openblas", ""), ("openblas", "")):
            get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
            set_ = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
            if get is not None and set_ is not None:
                get.restype, set_.argtypes = ctypes.c_int, [ctypes.c_int]
                return get, set_
    return None


_blas_lock = threading.Lock()
_blas_users = 0
_blas_threads = 0


@contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Keep numpy's OpenBLAS on one thread (for the whole process) until the last user leaves.

    Because the encoder's ~500 small matrix products a batch gain nothing from
    OpenBLAS's own threads, and those threads spin-wait: with the cores busy
    (a transcription alongside), one product took 30 times longer. One thread
    per batch (:attr:`VoiceEncoder.threads`) uses the cores instead. A no-op
    where numpy has no OpenBLAS of its own (e.g. Accelerate on macOS).
    """
    global _blas_users, _blas_threads
    blas = _openblas()
    if blas is None:
        yield
        return
    get, set_ = blas
    with _blas_lock:
        if _blas_users == 0:
            _blas_threads = get()
            set_(1)
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0:
                set_(_blas_threads)


@lru_cache(maxsize=1)
def get_encoder() -> VoiceEncoder:
    """Return the process's voice encoder, loading the bundled weights on first use."""
    return VoiceEncoder()


def voice_frames(
    samples: np.ndarray,
    offset_ms: int = 0,
    *,
    step_ms: int = 1600,
    window_ms: int = 1600,
    encoder: VoiceEncoder | None = None,
    min_rms: float = 0.002,
) -> VoiceFrames:
    """Embed a recording window by window.

    Windows start every ``step_ms`` from the first sample; the last one may run
    past the end (it is zero-padded) as long as its centre is in the audio.
    Each window sees the real audio just around it (the half FFT that its edge
    frames overlap), as in Resemblyzer's own ``embed_utterance``.

    Args:
        samples: 16 kHz mono float32 samples.
        offset_ms: Where ``samples`` start on the recording's timeline.
        step_ms: Time between window starts (a multiple of 10 ms). The default
            tiles the recording (about 15 s of work an hour on two cores);
            800 gives half-overlapping windows, a finer time grid, for twice
            the work.
        window_ms: Window length (a multiple of 10 ms); the encoder was trained
            on 1600.
        encoder: The encoder; :func:`get_encoder` by default.
        min_rms: Windows whose overall RMS (full scale 1.0) is below this are
            (near) silent and skipped. 0.002 is -54 dBFS.

    Returns:
        One frame per window that is not skipped.
    """
    if step_ms % 10 or window_ms % 10 or step_ms <= 0 or window_ms <= 0:
        raise ValueError("step_ms and window_ms must be positive multiples of 10 ms")
    encoder = encoder or get_encoder()
    samples = np.asarray(samples, dtype=np.float32).reshape(-1)
    size, step = window_ms * SAMPLE_RATE // 1000, step_ms * SAMPLE_RATE // 1000
    count = (len(samples) - size // 2) // step + 1 if len(samples) >= size // 2 else 0
    if count <= 0:
        return VoiceFrames.empty()
    starts = np.arange(count) * step

    # Each window's 10 ms block powers (a view), zeros past the end; silent windows are skipped.
    power = _block_power(samples)
    power = np.pad(power, (0, max(0, (starts[-1] + size) // HOP - len(power))))
    window_power = np.lib.stride_tricks.sliding_window_view(power, size // HOP)[:: step // HOP][:count]
    keep = np.flatnonzero(np.sqrt(window_power.mean(axis=1)) >= min_rms)

    pad = N_FFT // 2
    gains = _speech_gains(window_power[keep])

    def run(batch: np.ndarray) -> np.ndarray:  # positions in keep
        padded = _cut(samples, starts[keep[batch]] - pad, size + 2 * pad)
        return encoder.embed_padded(padded, gains[batch])

    vectors = encoder._map_batches(run, np.arange(len(keep)))
    centers = offset_ms + (starts[keep] + size // 2) * 1000 // SAMPLE_RATE
    return VoiceFrames(centers.astype(np.int64), vectors)
