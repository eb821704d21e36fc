"""Generate the evaluation meetings for the attribution bench.

Usage::

    .venv/bin/python bench/meetings.py [--meetings NAME,...] [--regen] [--out DIR]

Each meeting is described by a file in ``bench/meetings/`` and rendered,
deterministically from its seed, into ``--out`` (default
``bench/.cache/meetings/``, git-ignored) as:

* ``NAME.wav``: 16 kHz mono, 16-bit, every voice on one timeline;
* ``NAME.json``: ``attendees`` [{key, name, role}], ``turns`` [{speaker,
  start_ms, end_ms, text}] (the truth, from the sample positions each turn
  was mixed at, trimmed to its first and last audible 10-ms frame),
  ``agenda`` [{key, title, turn, start_ms}], ``markers`` [{kind, turn}], and
  how it was made (voices, gaps, noise, reverb).

Two kinds of meeting:

* **Scripted** (``"turns"`` in the file): UK SEN-meeting dialogue, one line
  per turn (speaker key, text, and optionally a gap hint: ``"quick"``,
  ``"normal"``, ``"pause"`` or ``"overlap"``), rendered with espeak-ng, a
  distinct voice per attendee (language variant, voice variant, speed,
  pitch). A pound amount is spoken as "N pounds"; the truth keeps "£N".
  The voices were picked so that no two in a meeting are closer than about
  0.85 in :mod:`transcribe.voices` embedding similarity (the shared real
  voices are 0.5-0.8 apart; espeak-ng's ``+f1``..``+f4`` variants of one
  accent come out 0.9 or more alike, hence some named variants such as
  ``+Annie``, ``+steph`` and ``+edward``), and so that tiny.en reads each
  one (``+Alicia`` at pitch 70 came out at 90 % WER, and was dropped);
  even so, espeak-ng speech costs tiny.en 20-25 % WER where the real
  voices cost 3-5 %.
* **Real voices** (``"clips"`` per attendee): clips from
  ``/work/shared/audio`` (its ``manifest.json`` gives each clip's reference
  text, the truth here), dealt to turns by the seed: no one speaks twice in
  a row, each attendee's clips are used in a shuffled cycle (so they repeat),
  until the meeting is ``"minutes"`` long. The two channels of
  ``fw_stereo_diarization.wav`` are two people.

Both kinds then go through the same room:

* each turn's audio is trimmed to its audible part and brought to a common
  speech level, then to its speaker's ``level_db`` (near or far from the
  phone: a few dB apart);
* gaps: a hinted turn gets its hint; otherwise quick (0.1-0.4 s) after or
  before a short turn (under 1.5 s) six times in ten, else quick three times
  in ten and normal (0.5-1.5 s) the rest; a turn that follows the same
  speaker always gets a normal gap. ``"pause"`` (1.5-3 s) is used where an
  agenda item starts, ``"overlap"`` starts the turn 0.3-1.0 s before the
  previous one ends (at most 40 % into it); real-voice meetings draw
  overlaps at random (one turn in ten);
* light reverb (sox ``reverb``, 15-35 % reverberance, small room) on the mix,
  then pink or brown noise (seeded numpy, 1/f or 1/f² spectrum above 20 Hz)
  25-35 dB below the speech level, and a gain that keeps peaks under
  -1 dBFS.

A meeting is rendered again when its description, the clips or this
generator's version changes (``generator`` in the JSON), or with
``--regen``.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import re
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "bench" / "meetings"
CACHE = ROOT / "bench" / ".cache" / "meetings"
AUDIO = Path("/work/shared/audio")
SAMPLE_RATE = 16000
GENERATOR = "meetings-1"

FRAME = SAMPLE_RATE // 100  # 10-ms frames
SPEECH_DBFS = -23.0  # every turn's speech level before its speaker's level_db
LEAD_IN_S = 1.0
TAIL_S = 1.5
GAPS_S = {"quick": (0.1, 0.4), "normal": (0.5, 1.5), "pause": (1.5, 3.0)}
OVERLAP_S = (0.3, 1.0)
SHORT_S = 1.5


# --- descriptions --------------------------------------------------------


def descriptions(directory: Path = SCRIPTS) -> dict[str, dict]:
    """Return every meeting description in ``directory``, by name."""
    out = {}
    for path in sorted(directory.glob("*.json")):
        with open(path, encoding="utf-8") as f:
            spec = json.load(f)
        out[spec["name"]] = spec
    return out


def manifest(audio_dir: Path = AUDIO) -> dict[str, dict]:
    """Return the shared clips' manifest entries, by id."""
    with open(audio_dir / "manifest.json", encoding="utf-8") as f:
        return {item["id"]: item for item in json.load(f)["items"]}


# --- audio in ------------------------------------------------------------


def _sox_to_f32(args_in: list[str], data: bytes | None = None, effects: tuple[str, ...] = ()) -> np.ndarray:
    cmd = ["sox", "-V1", *args_in, "-t", "raw", "-e", "floating-point", "-b", "32", "-r", str(SAMPLE_RATE),
           "-c", "1", "-", *effects]
    out = subprocess.run(cmd, input=data, capture_output=True, check=True).stdout
    return np.frombuffer(out, dtype="<f4").astype(np.float32)


def speakable(text: str) -> str:
    """Return the text as espeak-ng should read it ("£6,000" → "6,000 pounds")."""
    return re.sub(r"£\s?([\d,]+(?:\.\d+)?)", r"\1 pounds", text)


def espeak(text: str, voice: str, speed: int, pitch: int) -> np.ndarray:
    """Render ``text`` with espeak-ng; 16 kHz mono float32."""
    wav = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", "--stdin"],
        input=speakable(text).encode("utf-8"), capture_output=True, check=True,
    ).stdout
    return _sox_to_f32(["-t", "wav", "-"], wav)


def load_clip(path: Path, channel: int | None = None) -> np.ndarray:
    """Decode a clip to 16 kHz mono float32 (one channel of it when ``channel`` is given, 0-based)."""
    effects = ("remix", str(channel + 1)) if channel is not None else ()
    return _sox_to_f32([str(path)], effects=effects)


def frame_db(samples: np.ndarray) -> np.ndarray:
    """Return the level of each 10-ms frame in dBFS."""
    n = len(samples) // FRAME
    frames = samples[: n * FRAME].reshape(n, FRAME).astype(np.float64)
    return 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)


def audible(samples: np.ndarray) -> np.ndarray:
    """Return a mask of the 10-ms frames that hold speech.

    A frame holds speech when it is within 35 dB of the loudest frame and
    8 dB above the clip's noise floor (its 10th-percentile frame).
    """
    db = frame_db(samples)
    if not len(db):
        return db.astype(bool)
    # (never above the loudest frame: a short clip that is loud throughout, "Mom.", is all speech)
    threshold = min(max(db.max() - 35.0, np.percentile(db, 10) + 8.0), db.max())
    return db >= threshold


def trim(samples: np.ndarray) -> np.ndarray:
    """Cut the clip to its first and last audible frame."""
    mask = audible(samples)
    if not mask.any():
        raise ValueError("no audible speech in clip")
    first, last = np.flatnonzero(mask)[[0, -1]]
    return samples[first * FRAME:(last + 1) * FRAME]


def speech_db(samples: np.ndarray) -> float:
    """Return the RMS level of the audible frames, in dBFS."""
    db = frame_db(samples)
    mask = audible(samples)
    return float(10 * np.log10(np.mean(10 ** (db[mask] / 10))))


def _set_level(samples: np.ndarray, level_db: float) -> np.ndarray:
    return (samples * 10 ** ((SPEECH_DBFS + level_db - speech_db(samples)) / 20)).astype(np.float32)


# --- the room ------------------------------------------------------------


def coloured_noise(n: int, colour: str, rng: np.random.Generator) -> np.ndarray:
    """Return ``n`` samples of pink (1/f) or brown (1/f²) noise with RMS 1, nothing below 20 Hz."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    shape = np.zeros_like(freqs)
    keep = freqs >= 20.0
    shape[keep] = 1 / np.sqrt(freqs[keep]) if colour == "pink" else 1 / freqs[keep]
    noise = np.fft.irfft(spectrum * shape, n)
    return (noise / np.sqrt(np.mean(noise**2))).astype(np.float32)


def reverb(samples: np.ndarray, reverberance: int, room_scale: int) -> np.ndarray:
    """Run sox's ``reverb`` over the samples (same length out)."""
    out = _sox_to_f32(["-t", "raw", "-e", "floating-point", "-b", "32", "-r", str(SAMPLE_RATE), "-c", "1", "-"],
                      samples.astype("<f4").tobytes(),
                      effects=("reverb", str(reverberance), "50", str(room_scale), "100", "0", "-3"))
    return out[: len(samples)] if len(out) >= len(samples) else np.pad(out, (0, len(samples) - len(out)))


def lay_out(parts: list[dict], rng: np.random.Generator, *, overlap_rate: float = 0.0) -> list[int]:
    """Return each part's start sample on the timeline.

    Args:
        parts: Dicts with ``speaker``, ``samples`` and ``hint`` (None or a gap kind).
        rng: The meeting's random numbers.
        overlap_rate: Chance that an unhinted turn overlaps the one before.
    """
    starts = []
    cursor = int(LEAD_IN_S * SAMPLE_RATE)  # the latest end so far
    prev = None
    for part in parts:
        n = len(part["samples"])
        if prev is None:
            start = cursor
        else:
            hint = part.get("hint")
            same = part["speaker"] == prev["speaker"]
            short = min(n, len(prev["samples"])) < SHORT_S * SAMPLE_RATE
            if hint is None:
                if same:
                    hint = "normal"
                elif overlap_rate and rng.random() < overlap_rate:
                    hint = "overlap"
                elif rng.random() < (0.6 if short else 0.3):
                    hint = "quick"
                else:
                    hint = "normal"
            if hint == "overlap" and not same:
                back = int(rng.uniform(*OVERLAP_S) * SAMPLE_RATE)
                back = min(back, int(0.4 * len(prev["samples"])))
                start = max(cursor - back, starts[-1] + 1)
            else:
                lo, hi = GAPS_S["normal" if hint == "overlap" else hint]
                start = cursor + int(rng.uniform(lo, hi) * SAMPLE_RATE)
        starts.append(start)
        cursor = max(cursor, start + n)
        prev = part
    return starts


def _sha(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


# --- meetings ------------------------------------------------------------


def check_variant(voice: str) -> None:
    """Raise ValueError when espeak-ng ignores the voice variant after ``+``.

    espeak-ng 1.51 drops the variant of ``en-gb`` (``en-gb+f3`` sounds like
    plain ``en-gb``); ``en+f3`` is the same British voice with the variant.
    """
    if "+" not in voice:
        return
    probe = "Thank you all for coming."
    if np.array_equal(espeak(probe, voice, 160, 50), espeak(probe, voice.split("+")[0], 160, 50)):
        raise ValueError(f"espeak-ng ignores the variant in {voice!r} (for en-gb, write en+VARIANT)")


def _scripted_parts(spec: dict) -> list[dict]:
    voices = {a["key"]: a for a in spec["attendees"]}
    for a in spec["attendees"]:
        check_variant(a["voice"])
    parts = []
    for turn in spec["turns"]:
        key, text, *rest = turn
        v = voices[key]
        samples = trim(espeak(text, v["voice"], int(v["speed"]), int(v["pitch"])))
        parts.append({"speaker": key, "text": text, "samples": _set_level(samples, v.get("level_db", 0.0)),
                      "hint": rest[0] if rest else None})
    return parts


def _clip_parts(spec: dict, rng: np.random.Generator, audio_dir: Path) -> tuple[list[dict], list[str]]:
    items = manifest(audio_dir)
    pools = {}
    for a in spec["attendees"]:
        ids = sorted(i for i in items if any(fnmatch.fnmatchcase(i, p) for p in a["clips"]))
        if not ids:
            raise ValueError(f"{spec['name']}: no clip matches {a['clips']}")
        pools[a["key"]] = ids
    cache: dict[str, np.ndarray] = {}

    def clip(clip_id: str) -> np.ndarray:
        if clip_id not in cache:
            item = items[clip_id]
            cache[clip_id] = trim(load_clip(audio_dir / item["file"], item.get("channel")))
        return cache[clip_id]

    keys = [a["key"] for a in spec["attendees"]]
    weights = np.array([float(a.get("weight", 1.0)) for a in spec["attendees"]])
    levels = {a["key"]: float(a.get("level_db", 0.0)) for a in spec["attendees"]}
    queues: dict[str, list[str]] = {k: [] for k in keys}
    parts, used, total, prev = [], [], 0, None
    target = float(spec["minutes"]) * 60 * SAMPLE_RATE
    while total < target:
        w = np.where(np.array(keys) == prev, 0.0, weights)
        key = keys[int(rng.choice(len(keys), p=w / w.sum()))]
        if not queues[key]:
            order = list(rng.permutation(pools[key]))
            if used and len(order) > 1 and order[0] == used[-1]:
                order.append(order.pop(0))
            queues[key] = order
        clip_id = queues[key].pop(0)
        samples = _set_level(clip(clip_id), levels[key])
        parts.append({"speaker": key, "text": items[clip_id]["ref"], "samples": samples, "hint": None,
                      "clip": clip_id})
        used.append(clip_id)
        total += len(samples) + 0.8 * SAMPLE_RATE
        prev = key
    return parts, used


def _clip_agenda_markers(spec: dict, parts: list[dict], rng: np.random.Generator) -> tuple[list[dict], list[dict]]:
    n = len(parts)
    titles = spec["agenda"]
    agenda = [{"title": t, "turn": round(k * n / len(titles))} for k, t in enumerate(titles)]
    for item in agenda[1:]:
        parts[item["turn"]]["hint"] = "pause"
    markers = []
    kinds = spec.get("markers", ["refused", "agreed", "action", "quote"])
    for k, kind in enumerate(kinds):
        lo, hi = (k * n) // len(kinds), ((k + 1) * n) // len(kinds)
        # a turn worth marking: three seconds or more, never the first of an item
        fit = [i for i in range(max(lo, 1), hi) if len(parts[i]["samples"]) >= 3 * SAMPLE_RATE]
        markers.append({"kind": kind, "turn": int(rng.choice(fit or list(range(max(lo, 1), hi))))})
    return agenda, markers


def render(spec: dict, out_dir: Path = CACHE, *, audio_dir: Path = AUDIO) -> Path:
    """Render one meeting description into ``out_dir``; return the path of its JSON.

    Args:
        spec: A meeting description (see the module docstring): ``name``,
            ``seed``, ``attendees`` and either ``turns`` (scripted) or
            ``minutes`` with ``clips`` per attendee (real voices).
        out_dir: Where ``NAME.wav`` and ``NAME.json`` go.
        audio_dir: The shared clips.
    """
    rng = np.random.default_rng(int(spec["seed"]))
    if "turns" in spec:
        parts = _scripted_parts(spec)
        agenda, markers = spec["agenda"], spec["markers"]
        for item in agenda[1:]:
            parts[item["turn"]]["hint"] = parts[item["turn"]]["hint"] or "pause"
        starts = lay_out(parts, rng)
        kind = "scripted"
    else:
        parts, _ = _clip_parts(spec, rng, audio_dir)
        agenda, markers = _clip_agenda_markers(spec, parts, rng)
        starts = lay_out(parts, rng, overlap_rate=float(spec.get("overlap_rate", 0.1)))
        kind = "real voices"

    length = max(s + len(p["samples"]) for s, p in zip(starts, parts)) + int(TAIL_S * SAMPLE_RATE)
    mix = np.zeros(length, dtype=np.float32)
    for start, part in zip(starts, parts):
        mix[start:start + len(part["samples"])] += part["samples"]
    speech = speech_db(mix)
    room = {"reverberance": int(rng.integers(15, 36)), "room_scale": int(rng.integers(20, 51))}
    mix = reverb(mix, room["reverberance"], room["room_scale"])
    noise = {"colour": str(rng.choice(["pink", "brown"])), "below_speech_db": round(float(rng.uniform(25, 35)), 1)}
    mix += coloured_noise(length, noise["colour"], rng) * 10 ** ((speech - noise["below_speech_db"]) / 20)
    peak = float(np.max(np.abs(mix)))
    if peak > 10 ** (-1 / 20):
        mix *= 10 ** (-1 / 20) / peak

    out_dir.mkdir(parents=True, exist_ok=True)
    name = spec["name"]
    with wave.open(str(out_dir / f"{name}.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes((np.clip(mix, -1, 1) * 32767).round().astype("<i2").tobytes())

    turns = [
        {"speaker": p["speaker"], "start_ms": s * 1000 // SAMPLE_RATE,
         "end_ms": -(-(s + len(p["samples"])) * 1000 // SAMPLE_RATE), "text": p["text"],
         **({"clip": p["clip"]} if "clip" in p else {})}
        for s, p in zip(starts, parts)
    ]
    meeting = {
        "name": name,
        "title": spec.get("title", name),
        "kind": kind,
        "duration_ms": length * 1000 // SAMPLE_RATE,
        "attendees": [{"key": a["key"], "name": a["name"], "role": a["role"]} for a in spec["attendees"]],
        "turns": turns,
        "agenda": [{"key": f"item{k + 1}", "title": item["title"], "turn": item["turn"],
                    "start_ms": turns[item["turn"]]["start_ms"]} for k, item in enumerate(agenda)],
        "markers": [{"kind": m["kind"], "turn": m["turn"]} for m in markers],
        "voices": {a["key"]: {k: a[k] for k in ("voice", "speed", "pitch", "clips", "level_db") if k in a}
                   for a in spec["attendees"]},
        "speech_dbfs": round(speech, 1),
        "reverb": room,
        "noise": noise,
        "generator": _source_key(spec, audio_dir),
    }
    path = out_dir / f"{name}.json"
    with open(path, "w", encoding="utf-8") as f:
        json.dump(meeting, f, indent=1, ensure_ascii=False)
        f.write("\n")
    return path


def _source_key(spec: dict, audio_dir: Path) -> str:
    clips = ""
    if "turns" not in spec:
        with open(audio_dir / "manifest.json", "rb") as f:
            clips = hashlib.sha256(f.read()).hexdigest()
    return f"{GENERATOR}:{_sha(spec)[:16]}:{clips[:16]}"


def generate(names: list[str] | None = None, out_dir: Path = CACHE, *, regen: bool = False,
             audio_dir: Path = AUDIO) -> list[Path]:
    """Render the named meetings (all by default) unless already rendered from the same source.

    Returns:
        The paths of their JSON files, in name order.
    """
    specs = descriptions()
    unknown = sorted(set(names or ()) - set(specs))
    if unknown:
        raise SystemExit(f"unknown meeting(s): {', '.join(unknown)}; have: {', '.join(specs)}")
    paths = []
    for name in sorted(names or specs):
        spec = specs[name]
        path = out_dir / f"{name}.json"
        fresh = False
        if not regen and path.exists() and (out_dir / f"{name}.wav").exists():
            with open(path, encoding="utf-8") as f:
                fresh = json.load(f).get("generator") == _source_key(spec, audio_dir)
        if not fresh:
            print(f"rendering {name}…", file=sys.stderr, flush=True)
            path = render(spec, out_dir, audio_dir=audio_dir)
        paths.append(path)
    return paths


def load(path: Path) -> dict:
    """Read a rendered meeting's JSON."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def summary_line(meeting: dict) -> str:
    """One line: name, minutes, voices, turns, overlaps."""
    turns = meeting["turns"]
    overlaps = sum(1 for a, b in zip(turns, turns[1:]) if b["start_ms"] < a["end_ms"])
    return (f"{meeting['name']:<24} {meeting['kind']:<11} {meeting['duration_ms'] / 60000:5.1f} min  "
            f"{len(meeting['attendees'])} voices  {len(turns):3d} turns  {overlaps} overlaps  "
            f"{len(meeting['agenda'])} items")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", help="comma-separated names (default: all)")
    parser.add_argument("--regen", action="store_true", help="render again even if up to date")
    parser.add_argument("--out", type=Path, default=CACHE, help="output folder")
    args = parser.parse_args()
    for tool in ("espeak-ng", "sox"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is needed")
    names = [n for n in (args.meetings or "").split(",") if n] or None
    for path in generate(names, args.out, regen=args.regen):
        print(summary_line(load(path)))


if __name__ == "__main__":
    main()
