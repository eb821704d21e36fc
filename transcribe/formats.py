"""Write transcripts as plain text, WebVTT, SubRip or JSON.

Each writer takes segments (with ``speaker`` set by
:func:`transcribe.utterances.utterances`, or not) and an optional mapping from
speaker id to display name, e.g. ``{7: "Ms Khan (SENCO)"}``. A speaker id with
no name is shown as ``str(id)``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

from .types import Segment

__all__ = ["format_timestamp", "to_txt", "to_vtt", "to_srt", "to_json", "FORMATS", "render"]

Names = Mapping[Hashable, str] | None


def format_timestamp(ms: int, *, separator: str = ".", always_hours: bool = True) -> str:
    """Format milliseconds as ``HH:MM:SS.mmm``.

    Args:
        ms: Time in milliseconds (negative values are treated as 0).
        separator: Between seconds and milliseconds: ``"."`` for WebVTT,
            ``","`` for SubRip, ``""`` to leave milliseconds out.
        always_hours: Include the hours even when zero.
    """
    ms = max(0, int(ms))
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    out = f"{hours:02d}:{minutes:02d}:{seconds:02d}" if hours or always_hours else f"{minutes:02d}:{seconds:02d}"
    return out + (f"{separator}{millis:03d}" if separator else "")


def _one_line(text: str) -> str:
    # A blank line ends a cue in VTT and SRT; keep each cue's text on one line.
    return re.sub(r"\s+", " ", text).strip()


def _name(segment: Segment, names: Names) -> str | None:
    if segment.speaker is None:
        return None
    if names is not None and segment.speaker in names:
        return names[segment.speaker]
    return str(segment.speaker)


def to_txt(segments: Iterable[Segment], names: Names = None) -> str:
    """Return one line per segment: ``[HH:MM:SS] Speaker: text``."""
    lines = []
    for s in segments:
        name = _name(s, names)
        prefix = f"[{format_timestamp(s.start_ms, separator='')}] "
        lines.append(prefix + (f"{_one_line(name)}: " if name else "") + _one_line(s.text))
    return "\n".join(lines) + ("\n" if lines else "")


def _vtt_escape(text: str) -> str:
    # Escaping ">" also means no "-->" can survive inside cue text.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(segments: Iterable[Segment], names: Names = None) -> str:
    """Return a WebVTT document; speakers become voice spans (``<v Name>``)."""
    out = ["WEBVTT", ""]
    for index, s in enumerate(segments, start=1):
        name = _name(s, names)
        text = _vtt_escape(_one_line(s.text))
        if name:
            text = f"<v {_vtt_escape(_one_line(name))}>{text}</v>"
        out += [
            str(index),
            f"{format_timestamp(s.start_ms)} --> {format_timestamp(max(s.end_ms, s.start_ms))}",
            text,
            "",
        ]
    return "\n".join(out)


def to_srt(segments: Iterable[Segment], names: Names = None) -> str:
    """Return a SubRip document; speakers are written as ``Name: text``."""
    out = []
    for index, s in enumerate(segments, start=1):
        name = _name(s, names)
        text = _one_line(s.text)
        if name:
            text = f"{_one_line(name)}: {text}"
        text = text.replace("-->", "->")  # SubRip has no escaping; keep the arrow for timings only
        out += [
            str(index),
            f"{format_timestamp(s.start_ms, separator=',')} --> {format_timestamp(max(s.end_ms, s.start_ms), separator=',')}",
            text,
            "",
        ]
    return "\n".join(out)


def to_json(segments: Iterable[Segment], names: Names = None, *, words: bool = False) -> str:
    """Return ``{"segments": [...]}`` in the API's segment shape.

    Each segment has ``start_ms``, ``end_ms``, ``text``, ``speaker``,
    ``agenda_item`` and ``speaker_name`` (None without a speaker), plus
    ``words`` when asked for.
    """
    items: list[dict[str, Any]] = []
    for s in segments:
        item = s.to_dict(words=words)
        item["speaker_name"] = _name(s, names)
        items.append(item)
    return json.dumps({"segments": items}, ensure_ascii=False, indent=2) + "\n"


FORMATS = {"txt": to_txt, "vtt": to_vtt, "srt": to_srt, "json": to_json}
"""Writers by format name."""


def render(segments: Iterable[Segment], fmt: str = "txt", names: Names = None) -> str:
    """Write segments in the named format (one of :data:`FORMATS`).

    Raises:
        ValueError: Unknown format.
    """
    try:
        writer = FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown transcript format {fmt!r}; choose one of: {', '.join(FORMATS)}") from None
    return writer(segments, names)
