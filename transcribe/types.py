"""Plain data passed in and out of the transcription library.

All times are integer milliseconds on the recording's timeline (the same
timeline as the meeting's taps and notes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Word", "Segment", "Transcript"]


@dataclass(frozen=True)
class Word:
    """One recognised word.

    Attributes:
        start_ms: Start time in milliseconds.
        end_ms: End time in milliseconds.
        text: The word as written by the engine, with its punctuation and no
            surrounding spaces (``"Americans,"``).
        probability: The engine's confidence in the word, 0..1.
    """

    start_ms: int
    end_ms: int
    text: str
    probability: float = 1.0


@dataclass(frozen=True)
class Segment:
    """A stretch of transcript, usually a sentence or a clause.

    Attributes:
        start_ms: Start time in milliseconds.
        end_ms: End time in milliseconds.
        text: The segment's text, stripped.
        words: Word timings, when the engine gives them.
        speaker: The attendee id this segment is attributed to (see
            :func:`transcribe.utterances.utterances`), or None.
        agenda_item: The agenda item id open when the segment started, or None.
    """

    start_ms: int
    end_ms: int
    text: str
    words: tuple[Word, ...] = field(default=())
    speaker: Any = None
    agenda_item: Any = None

    def to_dict(self, *, words: bool = False) -> dict[str, Any]:
        """Return the segment as a JSON-ready dict (the API's segment shape).

        Args:
            words: Include the word timings under ``"words"``.
        """
        data: dict[str, Any] = {
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "text": self.text,
            "speaker": self.speaker,
            "agenda_item": self.agenda_item,
        }
        if words:
            data["words"] = [
                {"start_ms": w.start_ms, "end_ms": w.end_ms, "text": w.text, "probability": w.probability}
                for w in self.words
            ]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Segment:
        """Build a segment from :meth:`to_dict` output (e.g. persisted job state)."""
        return cls(
            start_ms=int(data["start_ms"]),
            end_ms=int(data["end_ms"]),
            text=str(data["text"]),
            words=tuple(
                Word(int(w["start_ms"]), int(w["end_ms"]), str(w["text"]), float(w.get("probability", 1.0)))
                for w in data.get("words", ())
            ),
            speaker=data.get("speaker"),
            agenda_item=data.get("agenda_item"),
        )


@dataclass(frozen=True)
class Transcript:
    """The result of transcribing one recording.

    Attributes:
        language: Language code of the transcript (``"en"``).
        duration_ms: Length of the audio in milliseconds.
        segments: The segments in time order.
    """

    language: str
    duration_ms: int
    segments: tuple[Segment, ...]

    @property
    def text(self) -> str:
        """The whole transcript as one string."""
        return " ".join(s.text for s in self.segments if s.text)
