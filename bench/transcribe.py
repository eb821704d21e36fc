"""Benchmark the transcription settings on the real recordings.

Usage::

    .venv/bin/python bench/transcribe.py [--minutes 3] [--threads 0] [--no-clips]
        [--engine faster-whisper|whisper|all]

For each configuration (faster-whisper tiny.en int8 beam 5 whole-file, int8
beam 1 whole-file, windowed incremental int8 beam 5 one window at a time, and
windowed in batches of 4 at beam 5 and beam 1, as the worker runs a backlog;
``-2t`` configs run on one worker with two threads instead of the engine's
default of one-thread workers side by side; ``-greedy``, the worker's
default, decodes each window greedily first and with the beam only below
the engine's default average log-probability (-0.4), where the other
windowed configs use the beam for every window; ``int8-b3-batched`` and ``int8-b2-batched``, narrower
beams, run only when named with ``--config``) a fresh subprocess transcribes:

* every referenced clip on its own (pooled WER, as in /work/shared/asr.md §5a),
* the clips joined with 0.75-s gaps and repeated to about ``--minutes``
  minutes (RTF, peak RSS and WER of one long recording; the windowed config
  gets it as 5-s pieces, the way upload chunks arrive).

RTF = audio seconds / transcription wall seconds (model load and decoding
excluded; higher is faster); each config's long-recording speed and WER are
also printed against the whole-file beam-5 run of the same invocation.
``--rounds N`` runs the configs N times, every other round in reverse order,
and prints each round's speed ratio and their median: on a shared machine
whose load drifts, one pair of runs minutes apart can be 10 % off.
Peak RSS = the subprocess's ``ru_maxrss``.
WER uses :mod:`transcribe.evaluation` (its normaliser is documented there).

``--minutes-ready`` streams ``--minutes`` of the joined clips as 5-s WebM
chunks into the job system (``minuted worker`` on the SQLite queue) at
``--pace`` times real time, and prints the seconds from ``finish`` to the
complete transcript, the worker's peak RSS and the WER.

``--engine whisper`` (needs the ``whisper`` extra) runs openai-whisper on the
converted bundled tiny.en (beam 5, whole file) next to faster-whisper int8
and float32 at the same setting, and prints the faster-whisper/openai-whisper
speed ratios measured in that run. ``--engine all`` runs every config.

Audio comes from /work/shared/audio when it exists, else tests/data/audio.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# This script is named transcribe.py: keep its own folder off sys.path so that
# ``import transcribe`` finds the package, not this file.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
sys.path.insert(0, ROOT)
os.environ.setdefault("HF_HUB_OFFLINE", "1")

CONFIGS = {
    "int8-b5-whole": {"engine": "faster-whisper", "compute_type": "int8", "beam_size": 5, "windowed": False},
    "int8-b1-whole": {"engine": "faster-whisper", "compute_type": "int8", "beam_size": 1, "windowed": False},
    "int8-b5-windowed": {"engine": "faster-whisper", "compute_type": "int8", "beam_size": 5, "windowed": True},
    "int8-b5-batched": {"engine": "faster-whisper", "compute_type": "int8", "beam_size": 5, "windowed": True,
                        "batch_size": 4},
    "int8-b3-batched": {"engine": "faster-whisper", "compute_type": "int8", "beam_size": 3, "windowed": True,
                        "batch_size": 4},
    "int8-b2-batched": {"engine": "faster-whisper", "compute_type": "int8", "beam_size": 2, "windowed": True,
                        "batch_size": 4},
    "int8-b1-batched": {"engine": "faster-whisper", "compute_type": "int8", "beam_size": 1, "windowed": True,
                        "batch_size": 4},
    # the same on one worker with two threads (faster-whisper's usual way to use 2 cores)
    "int8-b5-whole-2t": {"engine": "faster-whisper", "compute_type": "int8", "beam_size": 5, "windowed": False,
                         "workers": 1, "cpu_threads": 2},
    "int8-b5-batched-greedy": {"engine": "faster-whisper", "compute_type": "int8", "beam_size": 5, "windowed": True,
                               "batch_size": 4, "greedy_min_logprob": "default"},
    "int8-b5-batched-2t": {"engine": "faster-whisper", "compute_type": "int8", "beam_size": 5, "windowed": True,
                           "batch_size": 4, "workers": 1, "cpu_threads": 2},
    "float32-b5-whole": {"engine": "faster-whisper", "compute_type": "float32", "beam_size": 5, "windowed": False},
    "whisper-b5-whole": {"engine": "whisper", "beam_size": 5, "windowed": False},
}
# What --engine runs: "whisper" brings the faster-whisper configs it is compared with.
ENGINE_CONFIGS = {
    "faster-whisper": ["int8-b5-whole", "int8-b5-whole-2t", "int8-b1-whole", "int8-b5-windowed", "int8-b5-batched",
                       "int8-b5-batched-greedy", "int8-b5-batched-2t", "int8-b1-batched"],
    "whisper": ["int8-b5-whole", "float32-b5-whole", "whisper-b5-whole"],
    "all": list(CONFIGS),
}


def audio_dir() -> str:
    shared = "/work/shared/audio"
    if os.path.isfile(os.path.join(shared, "manifest.json")):
        return shared
    return os.path.join(ROOT, "tests", "data", "audio")


def load_corpus(directory: str):
    """Return [(id, samples, reference)] for every referenced clip."""
    import numpy as np

    from transcribe.audio import decode

    with open(os.path.join(directory, "manifest.json"), encoding="utf-8") as f:
        items = json.load(f)["items"]
    corpus = []
    for item in items:
        path = os.path.join(directory, item["file"])
        if "channel" in item:
            from faster_whisper.audio import decode_audio

            samples = np.asarray(decode_audio(path, split_stereo=True)[item["channel"]], dtype=np.float32)
        else:
            samples = decode(path)
        corpus.append((item["id"], samples, item["ref"]))
    return corpus


def joined(corpus, minutes: float):
    """Join the clips with 0.75-s gaps, repeated to about ``minutes``."""
    import numpy as np

    gap = np.zeros(12000, dtype=np.float32)
    pieces, refs, total = [], [], 0
    while total < minutes * 60 * 16000 or not pieces:
        for _id, samples, ref in corpus:
            pieces += [samples, gap]
            refs.append(ref)
            total += samples.size + gap.size
    return np.concatenate(pieces), " ".join(refs)


def run_config(name: str, threads: int, minutes: float, clips: bool) -> dict:
    from transcribe.engines import get_transcriber
    from transcribe.evaluation import word_error_rate
    from transcribe.windows import transcribe_windowed

    config = CONFIGS[name]
    corpus = load_corpus(audio_dir())
    settings = {"cpu_threads": config.get("cpu_threads", threads)}
    if config["engine"] == "faster-whisper":
        settings["compute_type"] = config["compute_type"]
        settings["workers"] = config.get("workers", 0)
        # the beam for every window unless the config says otherwise (the engine's default reads greedily first)
        if config.get("greedy_min_logprob") != "default":
            settings["greedy_min_logprob"] = config.get("greedy_min_logprob")
    engine = get_transcriber(config["engine"], **settings)
    engine.load()
    result: dict = {"config": name}
    beam = config["beam_size"]

    def run(samples):
        if config["windowed"]:
            return transcribe_windowed(engine, samples, beam_size=beam, batch_size=config.get("batch_size", 1))
        return engine.transcribe(samples, beam_size=beam)

    if clips:
        start = time.perf_counter()
        hyps = [" ".join(s.text for s in run(samples)) for _id, samples, _ref in corpus]
        wall = time.perf_counter() - start
        seconds = sum(samples.size for _id, samples, _ref in corpus) / 16000
        result["clips"] = {
            "n": len(corpus),
            "audio_s": round(seconds, 1),
            "rtf": round(seconds / wall, 1),
            "wer_pct": round(100 * word_error_rate([r for *_x, r in corpus], hyps), 2),
        }
    long_audio, long_ref = joined(corpus, minutes)
    start = time.perf_counter()
    segments = run(long_audio)
    wall = time.perf_counter() - start
    seconds = long_audio.size / 16000
    result["long"] = {
        "audio_s": round(seconds, 1),
        "wall_s": round(wall, 1),
        "rtf": round(seconds / wall, 1),
        "wer_pct": round(100 * word_error_rate([long_ref], [" ".join(s.text for s in segments)]), 2),
    }
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return result


def minutes_ready(minutes: float, pace: float, chunk_s: float = 5.0, keep: str | None = None,
                  voices: bool = True) -> dict:
    """Stream a long recording as WebM chunks into the job system at ``pace`` x real time.

    A fresh data directory, the API (in this process) storing the chunks, and a
    ``minuted worker`` subprocess on the SQLite queue transcribing as they land.
    Returns seconds from ``finish`` to the complete transcript, the worker's
    peak RSS (VmHWM) and the WER.

    ``pace`` 0 uploads the whole recording as one file instead (a voice memo,
    or a phone that had no signal) and times the upload → complete transcript,
    so ``audio / that`` is the worker's real-time factor end to end (decoding
    the file, loading the model for the first job, batches, writing segments).

    ``voices`` False runs the worker with ``MINUTED_VOICES=false`` (no voice
    embeddings), to measure what they cost in the same session. The complete
    transcript is read through the API, so the time includes working out
    who said what (server/attribution.py) once the last window is in.
    """
    import io
    import shutil
    import tempfile
    import uuid

    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from conftest import Parent, make_app  # noqa: E402 - the tests' own helpers

    from server.db import db, upgrade
    from transcribe.audio import encode
    from transcribe.evaluation import word_error_rate

    audio, reference = joined(load_corpus(audio_dir()), minutes)
    buffer = io.BytesIO()
    encode(audio, buffer, container="webm", codec="libopus")
    data = buffer.getvalue()
    seconds = audio.size / 16000
    size = max(1, int(len(data) * chunk_s / seconds))
    work = tempfile.mkdtemp(prefix="minuted-bench-")
    try:
        app = make_app(work, VOICES=voices)
        with app.app_context():
            upgrade()
        parent = Parent(app, app.test_client()).create()
        meeting = parent.make_meeting()
        env = {**os.environ, "MINUTED_DATA_DIR": work, "HF_HUB_OFFLINE": "1", "MINUTED_VOICES": json.dumps(voices)}
        worker = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "minuted"), "worker", "--data", work],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if pace == 0:
            time.sleep(3)  # the worker process starts
            start = time.monotonic()
            r = parent.api("POST", f"/meetings/{meeting['id']}/uploads",
                           data={"file": (io.BytesIO(data), "meeting.webm", "audio/webm")})
            assert r.status_code == 202, r.json
            finished = start
        recording = str(uuid.uuid4())
        if pace:
            parent.api("PUT", f"/meetings/{meeting['id']}/recordings/{recording}", {"mime": "audio/webm"})
            start = time.monotonic()
        for seq, i in enumerate(range(0, len(data), size) if pace else ()):
            due = start + seq * chunk_s / pace
            time.sleep(max(0.0, due - time.monotonic()))
            r = parent.api("PUT", f"/meetings/{meeting['id']}/recordings/{recording}/chunks/{seq}",
                           data=data[i:i + size], headers={"Content-Type": "audio/webm"})
            assert r.status_code == 201, r.json
        if pace:
            finished = time.monotonic()
            parent.api("POST", f"/meetings/{meeting['id']}/recordings/{recording}/finish")
        while True:
            t = parent.api("GET", f"/meetings/{meeting['id']}/transcript").json
            if t["status"] in ("done", "failed"):
                break
            if worker.poll() is not None:
                raise SystemExit("the worker exited")
            time.sleep(0.1)
        ready = time.monotonic() - finished
        with open(f"/proc/{worker.pid}/status") as f:
            hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))
        worker.terminate()
        worker.wait(30)
        hypothesis = " ".join(s["text"] for s in t["segments"])
        if keep:  # the reference and the transcript, to see where the errors are
            with open(keep, "w", encoding="utf-8") as f:
                json.dump({"ref": reference, "segs": [[s["start_ms"], s["end_ms"], s["text"]] for s in t["segments"]]}, f)
        with app.app_context():
            db.engine.dispose()
        return {
            "audio_min": round(seconds / 60, 1), "pace": pace, "streamed_s": round(finished - start, 1),
            "status": t["status"], "finish_to_transcript_s": round(ready, 2), "rtf": round(seconds / ready, 1),
            "worker_peak_rss_mb": round(hwm / 1024), "wer_pct": round(100 * word_error_rate([reference], [hypothesis]), 2),
            "voices": voices, "utterances": len(t["segments"]),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def median(values):
    """Return the median of the values that are not None (None if there are none)."""
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="length of the joined recording")
    parser.add_argument("--threads", type=int, default=0,
                        help="threads per worker (0: the engine's choice, cores / workers)")
    parser.add_argument("--no-clips", dest="clips", action="store_false", help="skip the per-clip pass")
    parser.add_argument("--config", choices=sorted(CONFIGS), action="append", help="run only these")
    parser.add_argument("--engine", choices=sorted(ENGINE_CONFIGS), default="faster-whisper",
                        help="which engine's configs to run; 'whisper' adds the faster-whisper ones it is compared with")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run the configs this many times, alternating their order; report medians")
    parser.add_argument("--run", choices=sorted(CONFIGS), help=argparse.SUPPRESS)  # subprocess mode
    parser.add_argument("--minutes-ready", action="store_true",
                        help="stream --minutes of audio as chunks into the job system; time finish → transcript")
    parser.add_argument("--pace", type=float, default=8.0,
                        help="how many times faster than real time to stream; 0 uploads the whole file at once")
    parser.add_argument("--keep", metavar="FILE", help="with --minutes-ready: write the reference and transcript here (JSON)")
    parser.add_argument("--voices-cost", action="store_true",
                        help="with --minutes-ready: run without voice embeddings too and print what they add")
    args = parser.parse_args()
    if args.minutes_ready:
        # with --voices-cost: the same run without voice embeddings first, then with them (the default)
        runs = [False, True] if args.voices_cost else [True]
        results = {}
        for voices in runs:
            r = results[voices] = minutes_ready(args.minutes, args.pace, keep=args.keep, voices=voices)
            label = "with voices" if voices else "without voices"
            if args.pace:
                print(f"minutes-ready ({label}): {r['audio_min']} min streamed at {r['pace']}x in {r['streamed_s']} s; "
                      f"finish → complete transcript {r['finish_to_transcript_s']} s ({r['status']}); "
                      f"worker peak RSS {r['worker_peak_rss_mb']} MB; WER {r['wer_pct']} %; "
                      f"{r['utterances']} utterances", flush=True)
            else:
                print(f"upload ({label}): {r['audio_min']} min as one file; upload → complete transcript "
                      f"{r['finish_to_transcript_s']} s = {r['rtf']}x real time ({r['status']}); "
                      f"worker peak RSS {r['worker_peak_rss_mb']} MB; WER {r['wer_pct']} %; "
                      f"{r['utterances']} utterances", flush=True)
        if args.voices_cost:
            added = results[True]["finish_to_transcript_s"] / results[False]["finish_to_transcript_s"] - 1
            print(f"voices add {100 * added:.1f} % to the time to the complete transcript (target ≤ 15 %)")
        return
    if args.run:
        print(json.dumps(run_config(args.run, args.threads, args.minutes, args.clips)))
        return

    print(f"audio: {audio_dir()}  cores: {os.cpu_count()}  threads per worker: {args.threads or 'auto'}  joined: ~{args.minutes} min")
    header = f"{'config':<18} {'clips RTF':>9} {'clips WER%':>10} {'long s':>7} {'long RTF':>8} {'long WER%':>9} {'peak RSS MB':>11}"
    print(header)
    names = args.config or ENGINE_CONFIGS[args.engine]
    runs: dict[str, list[dict]] = {name: [] for name in names}
    for round_ in range(args.rounds):
        # Every other round in reverse order, so that no config always runs
        # first (or last) while the machine's load drifts.
        for name in names if round_ % 2 == 0 else names[::-1]:
            command = [sys.executable, os.path.abspath(__file__), "--run", name, "--threads", str(args.threads),
                       "--minutes", str(args.minutes)] + ([] if args.clips else ["--no-clips"])
            out = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            runs[name].append(r)
            c = r.get("clips", {})
            label = name if args.rounds == 1 else f"{name} #{round_ + 1}"
            print(f"{label:<18} {c.get('rtf', '-'):>9} {c.get('wer_pct', '-'):>10} {r['long']['audio_s']:>7} "
                  f"{r['long']['rtf']:>8} {r['long']['wer_pct']:>9} {r['peak_rss_mb']:>11}", flush=True)
    rtf = {name: (median([r.get("clips", {}).get("rtf") for r in rs]), median([r["long"]["rtf"] for r in rs]))
           for name, rs in runs.items()}
    wer = {name: rs[-1]["long"]["wer_pct"] for name, rs in runs.items()}
    if "int8-b5-whole" in rtf:
        base = runs["int8-b5-whole"]
        for name, rs in runs.items():
            if name != "int8-b5-whole":
                # each round's ratio compares runs made minutes apart; the median is the figure
                ratios = [r["long"]["rtf"] / b["long"]["rtf"] for r, b in zip(rs, base)]
                spread = f" (rounds: {', '.join(f'{x:.2f}' for x in ratios)})" if len(ratios) > 1 else ""
                print(f"{name} against int8-b5-whole (same run, long): speed {median(ratios):.2f}x{spread}, "
                      f"WER {wer[name] - wer['int8-b5-whole']:+.2f} pt")
    if "whisper-b5-whole" in rtf:
        ow_clips, ow_long = rtf["whisper-b5-whole"]
        for name in ("int8-b5-whole", "float32-b5-whole"):
            if name in rtf:
                fw_clips, fw_long = rtf[name]
                clips = f"clips {fw_clips / ow_clips:.1f}x, " if fw_clips and ow_clips else ""
                print(f"speed ratio faster-whisper {name} / openai-whisper (same run): {clips}long {fw_long / ow_long:.1f}x")


if __name__ == "__main__":
    main()
