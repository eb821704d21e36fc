"""Audio in, timed transcript out: Minuted's transcription library.

No Flask and no database here. Typical use::

    from transcribe import decode, get_transcriber, attribute, to_vtt

    segments = get_transcriber().transcribe(decode("meeting.webm"))
    segments = attribute(segments, speaker_taps, agenda_events)
    print(to_vtt(segments, names))
"""

from .align import attribute
from .audio import AudioDecodeError, decode, decode_chunks, duration_ms
from .cli import transcribe_file
from .engines import FakeTranscriber, FasterWhisperTranscriber, OpenAIWhisperTranscriber, Transcriber, get_transcriber
from .formats import to_json, to_srt, to_txt, to_vtt
from .types import Segment, Transcript, Word
from .windows import IncrementalTranscriber

__all__ = [
    "AudioDecodeError",
    "FakeTranscriber",
    "FasterWhisperTranscriber",
    "IncrementalTranscriber",
    "OpenAIWhisperTranscriber",
    "Segment",
    "Transcriber",
    "Transcript",
    "Word",
    "attribute",
    "decode",
    "decode_chunks",
    "duration_ms",
    "get_transcriber",
    "to_json",
    "to_srt",
    "to_txt",
    "to_vtt",
    "transcribe_file",
]
