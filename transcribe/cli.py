"""Transcribe one audio file to text (behind ``minuted transcribe FILE``)."""

from __future__ import annotations

import os
import sys
from typing import Any

from .audio import decode
from .engines import get_transcriber
from .formats import render
from .windows import transcribe_windowed

__all__ = ["transcribe_file", "main"]


def transcribe_file(
    path: str | os.PathLike[str],
    fmt: str = "txt",
    *,
    engine: str = "faster-whisper",
    beam_size: int = 5,
    batch_size: int = 4,
    vocabulary: list[str] | None = None,
    **settings: Any,
) -> str:
    """Transcribe an audio file and return it in the requested format.

    The audio goes through :class:`~transcribe.windows.IncrementalTranscriber`
    whatever its length: memory stays flat, and batched windows are faster
    than one whole-file pass (``bench/transcribe.py``).

    Args:
        path: Any audio file FFmpeg reads (wav, flac, mp3, m4a, ogg, webm, mp4).
        fmt: ``"txt"``, ``"vtt"``, ``"srt"`` or ``"json"``.
        engine: Engine name (see :func:`transcribe.engines.get_transcriber`).
        beam_size: Beam width.
        batch_size: Windows decoded side by side (1 for one at a time).
        vocabulary: Names and terms to bias recognition towards.
        **settings: Engine settings, e.g. ``model``, ``compute_type``,
            ``cpu_threads``, ``device``.

    Raises:
        transcribe.audio.AudioDecodeError: The file is not readable audio.
        ValueError: Unknown engine or format.
    """
    if fmt not in ("txt", "vtt", "srt", "json"):
        raise ValueError(f"unknown transcript format {fmt!r}; choose one of: txt, vtt, srt, json")
    audio = decode(path)
    transcriber = get_transcriber(engine, **settings)
    segments = transcribe_windowed(
        transcriber, audio, piece_s=60.0, vocabulary=vocabulary, beam_size=beam_size, batch_size=batch_size
    )
    return render(segments, fmt)


def main(path: str, fmt: str = "txt", **settings: Any) -> None:
    """Print the transcript of ``path`` to stdout (for the click command)."""
    sys.stdout.write(transcribe_file(path, fmt, **settings))
