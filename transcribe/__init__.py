"""Audio in, timed transcript out: Minuted's transcription library.

No Flask and no database here. Typical use::

    from transcribe import decode, get_transcriber, utterances, voice_frames

    audio = decode("meeting.webm")
    segments = get_transcriber().transcribe(audio)
    words = [w for s in segments for w in s.words]
    lines = utterances(words, speaker_taps, voices=voice_frames(audio), agenda=agenda_events)
"""

from .audio import AudioDecodeError, decode, decode_chunks, duration_ms
from .cli import transcribe_file
from .engines import FakeTranscriber, FasterWhisperTranscriber, OpenAIWhisperTranscriber, Transcriber, get_transcriber
from .formats import to_json, to_srt, to_txt, to_vtt
from .types import Segment, Transcript, Word
from .utterances import Utterance, marker_target, utterances
from .voices import VoiceFrames, voice_frames
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
    "Utterance",
    "VoiceFrames",
    "Word",
    "decode",
    "decode_chunks",
    "duration_ms",
    "get_transcriber",
    "marker_target",
    "to_json",
    "to_srt",
    "to_txt",
    "to_vtt",
    "transcribe_file",
    "utterances",
    "voice_frames",
]
