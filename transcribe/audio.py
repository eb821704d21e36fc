"""Decode recordings into 16 kHz mono float32 samples with PyAV.

PyAV bundles FFmpeg, so no system ``ffmpeg`` is needed. Any container and codec
FFmpeg reads works: wav, flac, mp3, m4a/AAC, ogg (Vorbis/Opus), WebM/Opus from
MediaRecorder, MP4 (including fragmented MP4 from Safari's MediaRecorder).
"""

from __future__ import annotations

import bisect
import io
import logging
import os
from collections.abc import Iterable, Iterator
from typing import BinaryIO, Union

import av
import numpy as np

__all__ = [
    "SAMPLE_RATE",
    "AudioDecodeError",
    "ChunkStream",
    "decode",
    "decode_chunks",
    "duration_ms",
    "encode",
    "frame_levels",
    "iter_decode",
]

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16000
"""Sample rate (Hz) that Whisper expects and that :func:`decode` returns by default."""

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, BinaryIO]
Chunk = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]


class AudioDecodeError(ValueError):
    """The input could not be read as audio.

    The message is written for the person who uploaded the file, e.g.
    ``"The file could not be read as audio (it is empty)."``.
    """

    def __init__(self, reason: str):
        super().__init__(f"The file could not be read as audio ({reason}).")
        self.reason = reason


class ChunkStream(io.RawIOBase):
    """A read-only, seekable file over ordered chunks, as if they were one file.

    MediaRecorder writes the container header only into its first chunk, so the
    chunks of a recording are one byte stream cut at arbitrary offsets. This
    presents them as that stream without concatenating them in memory.

    Args:
        chunks: Chunks in recording order: file paths or bytes-like objects.
    """

    def __init__(self, chunks: Iterable[Chunk]):
        super().__init__()
        self._chunks: list[Chunk] = []
        self._starts: list[int] = []
        size = 0
        for chunk in chunks:
            if isinstance(chunk, (bytes, bytearray, memoryview)):
                length = len(chunk)
            elif isinstance(chunk, (str, os.PathLike)):
                length = os.path.getsize(chunk)
            else:
                raise TypeError(f"chunks must be paths or bytes, not {type(chunk).__name__}")
            if length:
                self._chunks.append(chunk)
                self._starts.append(size)
                size += length
        self._size = size
        self._pos = 0
        self._open: tuple[int, BinaryIO] | None = None

    @property
    def size(self) -> int:
        """Total length of the chunks in bytes."""
        return self._size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = self._size + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if pos < 0:
            raise OSError("negative seek position")
        self._pos = pos
        return pos

    def readinto(self, buffer) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        total = 0
        while total < len(view) and self._pos < self._size:
            n = self._read_one(view[total:])
            if n <= 0:
                break
            total += n
        return total

    def _read_one(self, view: memoryview) -> int:
        """Read from the one chunk holding the current position."""
        index = bisect.bisect_right(self._starts, self._pos) - 1
        inner = self._pos - self._starts[index]
        chunk = self._chunks[index]
        if isinstance(chunk, (bytes, bytearray, memoryview)):
            data = memoryview(chunk).cast("B")[inner : inner + len(view)]
            n = len(data)
            view[:n] = data
        else:
            handle = self._handle(index)
            handle.seek(inner)
            n = handle.readinto(view) or 0
        self._pos += n
        return n

    def _handle(self, index: int) -> BinaryIO:
        if self._open is not None and self._open[0] == index:
            return self._open[1]
        if self._open is not None:
            self._open[1].close()
        handle = open(self._chunks[index], "rb")  # noqa: SIM115 - closed in close()/next switch
        self._open = (index, handle)
        return handle

    def close(self) -> None:
        if self._open is not None:
            self._open[1].close()
            self._open = None
        super().close()


def _is_ffmpeg_error(exc: BaseException) -> bool:
    return isinstance(exc, (av.FFmpegError, EOFError, UnicodeDecodeError)) or (
        isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError)
    )


def iter_decode(source: Source, *, sample_rate: int = SAMPLE_RATE) -> Iterator[np.ndarray]:
    """Decode audio piece by piece, yielding mono float32 arrays at ``sample_rate``.

    Memory stays flat however long the recording is, so a caller can feed the
    pieces to :class:`transcribe.windows.IncrementalTranscriber`.

    Args:
        source: A file path, a bytes-like object or a binary file-like object.
        sample_rate: Output sample rate in Hz.

    Yields:
        1-D ``numpy.float32`` arrays in [-1, 1] (at least one non-empty array).

    Raises:
        AudioDecodeError: The input is empty, not audio, or too damaged to give
            any samples. A recording whose end is damaged or cut off yields the
            samples before the damage.
        FileNotFoundError: ``source`` is a path that does not exist.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        if not len(source):
            raise AudioDecodeError("it is empty")
        source = io.BytesIO(bytes(source))
    elif isinstance(source, (str, os.PathLike)):
        if not os.path.exists(source):
            raise FileNotFoundError(source)
        if os.path.getsize(source) == 0:
            raise AudioDecodeError("it is empty")

    try:
        container = av.open(source, mode="r", metadata_errors="ignore")
    except Exception as exc:  # PyAV raises many FFmpegError subclasses
        if _is_ffmpeg_error(exc):
            raise AudioDecodeError("the format was not recognised or the file is damaged") from exc
        raise

    produced = 0
    try:
        if not container.streams.audio:
            raise AudioDecodeError("it contains no audio track")
        stream = container.streams.audio[0]
        stream.thread_type = "AUTO"
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        try:
            for frame in container.decode(stream):
                frame.pts = None  # the resampler must not try to fix up timestamps across chunks
                for out in resampler.resample(frame):
                    samples = out.to_ndarray().reshape(-1)
                    if samples.size:
                        produced += samples.size
                        yield samples.astype(np.float32, copy=False)
        except Exception as exc:
            if not _is_ffmpeg_error(exc):
                raise
            if not produced:
                raise AudioDecodeError("the audio data is damaged") from exc
            # A cut-off or damaged tail (or a recording still being uploaded):
            # keep what was decoded before it.
            logger.info("audio decoding stopped early after %d samples: %s", produced, type(exc).__name__)
        for out in resampler.resample(None):
            samples = out.to_ndarray().reshape(-1)
            if samples.size:
                produced += samples.size
                yield samples.astype(np.float32, copy=False)
        if not produced:
            raise AudioDecodeError("it contains no sound")
    finally:
        container.close()


def decode(source: Source, *, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decode a whole recording to a mono float32 array.

    Args:
        source: A file path, a bytes-like object or a binary file-like object.
        sample_rate: Output sample rate in Hz.

    Returns:
        1-D ``numpy.float32`` array of samples in [-1, 1].

    Raises:
        AudioDecodeError: The input is empty, not audio, or damaged beyond use.
        FileNotFoundError: ``source`` is a path that does not exist.
    """
    pieces = list(iter_decode(source, sample_rate=sample_rate))
    return pieces[0] if len(pieces) == 1 else np.concatenate(pieces)


def decode_chunks(chunks: Iterable[Chunk], *, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decode a MediaRecorder recording delivered as ordered chunks.

    Only the first chunk carries the container header (WebM or MP4), so the
    chunks are read in order as one stream (see :class:`ChunkStream`).

    Args:
        chunks: The chunks in sequence order: file paths or bytes.
        sample_rate: Output sample rate in Hz.

    Returns:
        1-D ``numpy.float32`` array of samples.

    Raises:
        AudioDecodeError: No chunks, or the stream cannot be read as audio.
    """
    stream = ChunkStream(chunks)
    if stream.size == 0:
        raise AudioDecodeError("it is empty")
    with stream:
        return decode(stream, sample_rate=sample_rate)


def frame_levels(samples: np.ndarray, frame_ms: int = 20, *, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Return the RMS level of each whole ``frame_ms`` frame of ``samples`` (float64; a partial last frame is left out)."""
    frame = frame_ms * sample_rate // 1000
    samples = np.asarray(samples).reshape(-1)
    n = samples.size // frame
    return np.sqrt(np.mean(samples[: n * frame].astype(np.float64).reshape(n, frame) ** 2, axis=1))


def duration_ms(source: Source | np.ndarray, *, sample_rate: int = SAMPLE_RATE) -> int:
    """Return the length of a recording in milliseconds.

    The audio is decoded rather than trusting the container's header, which
    MediaRecorder often leaves without a duration.

    Args:
        source: A path, bytes, binary file-like object, or already decoded
            samples at ``sample_rate``.
        sample_rate: Sample rate of ``source`` when it is an array.

    Raises:
        AudioDecodeError: As :func:`decode`.
    """
    if isinstance(source, np.ndarray):
        count = source.shape[-1]
    else:
        count = sum(piece.size for piece in iter_decode(source, sample_rate=sample_rate))
    return count * 1000 // sample_rate


def encode(
    samples: np.ndarray,
    target: str | os.PathLike[str] | BinaryIO,
    *,
    container: str,
    codec: str,
    rate: int = 48000,
    sample_rate: int = SAMPLE_RATE,
    options: dict[str, str] | None = None,
    codec_options: dict[str, str] | None = None,
) -> None:
    """Encode mono float32 samples into a file, e.g. to store or test a recording.

    Args:
        samples: 1-D float32 samples at ``sample_rate``.
        target: Output path or writable binary file-like object.
        container: FFmpeg container name (``"webm"``, ``"mp4"``, ``"ogg"``,
            ``"mp3"``, ``"wav"``, ``"flac"``, ``"ipod"`` for m4a).
        codec: FFmpeg encoder name (``"libopus"``, ``"aac"``, ``"libmp3lame"``…).
        rate: Output sample rate in Hz (Opus needs 48000).
        sample_rate: Sample rate of ``samples``.
        options: Container (muxer) options, e.g.
            ``{"movflags": "frag_keyframe+empty_moov"}`` for fragmented MP4.
        codec_options: Encoder options.
    """
    samples = np.ascontiguousarray(samples, dtype=np.float32).reshape(1, -1)
    with av.open(target, mode="w", format=container, options=options or {}) as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        if codec_options:
            stream.codec_context.options = dict(codec_options)
        frame = av.AudioFrame.from_ndarray(samples, format="flt", layout="mono")
        frame.sample_rate = sample_rate
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
