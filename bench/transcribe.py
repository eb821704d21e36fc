"""Benchmark the transcription settings on the real recordings.

Usage::

    .venv/bin/python bench/transcribe.py [--minutes 3] [--threads 2] [--no-clips]

For each configuration (faster-whisper tiny.en int8 beam 5 whole-file, int8
beam 1 whole-file, and windowed incremental int8 beam 5) a fresh subprocess
transcribes:

* every referenced clip on its own (pooled WER, as in /work/shared/asr.md §5a),
* the clips joined with 0.75-s gaps and repeated to about ``--minutes``
  minutes (RTF, peak RSS and WER of one long recording; the windowed config
  gets it as 5-s pieces, the way upload chunks arrive).

RTF = audio seconds / transcription wall seconds (model load and decoding
excluded; higher is faster). Peak RSS = the subprocess's ``ru_maxrss``.
WER uses :mod:`transcribe.evaluation` (its normaliser is documented there).

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
    "int8-b5-whole": {"compute_type": "int8", "beam_size": 5, "windowed": False},
    "int8-b1-whole": {"compute_type": "int8", "beam_size": 1, "windowed": False},
    "int8-b5-windowed": {"compute_type": "int8", "beam_size": 5, "windowed": True},
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
    from transcribe.engines import FasterWhisperTranscriber
    from transcribe.evaluation import word_error_rate
    from transcribe.windows import transcribe_windowed

    config = CONFIGS[name]
    corpus = load_corpus(audio_dir())
    engine = FasterWhisperTranscriber(compute_type=config["compute_type"], cpu_threads=threads)
    engine.load()
    result: dict = {"config": name}
    beam = config["beam_size"]

    def run(samples):
        if config["windowed"]:
            return transcribe_windowed(engine, samples, beam_size=beam)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="length of the joined recording")
    parser.add_argument("--threads", type=int, default=2, help="CTranslate2 CPU threads")
    parser.add_argument("--no-clips", dest="clips", action="store_false", help="skip the per-clip pass")
    parser.add_argument("--config", choices=sorted(CONFIGS), action="append", help="run only these")
    parser.add_argument("--run", choices=sorted(CONFIGS), help=argparse.SUPPRESS)  # subprocess mode
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_config(args.run, args.threads, args.minutes, args.clips)))
        return

    print(f"audio: {audio_dir()}  threads: {args.threads}  joined: ~{args.minutes} min")
    header = f"{'config':<18} {'clips RTF':>9} {'clips WER%':>10} {'long s':>7} {'long RTF':>8} {'long WER%':>9} {'peak RSS MB':>11}"
    print(header)
    for name in args.config or CONFIGS:
        command = [sys.executable, os.path.abspath(__file__), "--run", name, "--threads", str(args.threads),
                   "--minutes", str(args.minutes)] + ([] if args.clips else ["--no-clips"])
        out = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        c = r.get("clips", {})
        print(f"{name:<18} {c.get('rtf', '-'):>9} {c.get('wer_pct', '-'):>10} {r['long']['audio_s']:>7} "
              f"{r['long']['rtf']:>8} {r['long']['wer_pct']:>9} {r['peak_rss_mb']:>11}", flush=True)


if __name__ == "__main__":
    main()
