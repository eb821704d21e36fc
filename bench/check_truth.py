"""Check an evaluation meeting's script and a reading of it (its truth file or a second reading) before they are used.

Usage::

    python3 bench/check_truth.py bench/meetings/NAME.json bench/minutes_truth/NAME.json

Prints each problem (a quote not in its turn, a turn or key that does not exist, a date that is not one, a restated
action with nothing it restates…) and exits 1, or prints ``ok`` with the counts. The writers of new meetings run it
(``bench/briefs/``); ``tests/test_bench_minutes.py`` runs it on every meeting the bench holds. Standard library only.
"""
from __future__ import annotations

import datetime
import json
import re
import sys

KINDS = ("refusal", "commitment", "offer", "agreement")
DUE_TYPES = ("by", "on", "from", "after", "during")
HINTS = ("quick", "normal", "pause", "overlap")
MARKERS = ("quote", "refused", "agreed", "action")
REASONS = ("policy", "not_our_decision", "evidence", "staffing", "budget", "capacity", "la_decision", "other")


def _is_date(text):
    try:
        datetime.date.fromisoformat(text)
    except (TypeError, ValueError):
        return False
    return True


def problems(meeting: dict, reading: dict) -> list[str]:
    """What is wrong with a scripted meeting and a reading of it; [] when nothing is."""
    out = []
    keys = [a["key"] for a in meeting.get("attendees", ())]
    for field in ("name", "title", "seed", "attendees", "agenda", "markers", "turns"):
        if field not in meeting:
            out.append(f"the meeting has no {field}")
    if len(set(keys)) != len(keys):
        out.append("two attendees share a key")
    turns = meeting.get("turns", [])
    for i, turn in enumerate(turns):
        if turn[0] not in keys:
            out.append(f"turn {i}: no attendee {turn[0]!r}")
        if not turn[1].strip():
            out.append(f"turn {i}: says nothing")
        if len(turn) > 2 and turn[2] not in HINTS:
            out.append(f"turn {i}: gap hint {turn[2]!r} is none of {', '.join(HINTS)}")
    last = -1
    for item in meeting.get("agenda", ()):
        if not last < item["turn"] < len(turns):
            out.append(f"agenda item {item['title']!r}: turn {item['turn']} is out of order or past the end")
        last = item["turn"]
    for marker in meeting.get("markers", ()):
        if marker["kind"] not in MARKERS or not 0 <= marker["turn"] < len(turns):
            out.append(f"marker {marker}: no such kind or turn")
    if "date" in reading and not _is_date(reading["date"]):
        out.append(f"the meeting date {reading['date']!r} is no date")
    for j, p in enumerate(reading.get("points", ())):
        at = f"point {j} (turn {p.get('turn')})"
        if not isinstance(p.get("turn"), int) or not 0 <= p["turn"] < len(turns):
            out.append(f"{at}: no such turn")
            continue
        if p.get("kind") not in KINDS:
            out.append(f"{at}: kind {p.get('kind')!r} is none of {', '.join(KINDS)}")
        if not p.get("quote") or p["quote"] not in turns[p["turn"]][1]:
            out.append(f"{at}: the quote is not the turn's words")
        who = p.get("who") or ""
        if who not in keys and not re.fullmatch(r"(?:named|org):.+", who):
            out.append(f"{at}: who {who!r} is no attendee, named: person or org: body")
        if p.get("said_by") and p["said_by"] not in keys:
            out.append(f"{at}: said_by {p['said_by']!r} is no attendee")
        if p.get("due") is not None and not _is_date(p["due"]):
            out.append(f"{at}: due {p['due']!r} is no date")
        if p.get("due") and p.get("due_type") not in DUE_TYPES:
            out.append(f"{at}: due_type {p.get('due_type')!r} is none of {', '.join(DUE_TYPES)}")
        if p.get("restated") and not isinstance(p.get("same_as"), int):
            out.append(f"{at}: restated, but same_as names no turn")
    for entry in reading.get("also_ok", ()):
        if not 0 <= entry["turn"] < len(turns) or not set(entry["kinds"]) <= set(KINDS):
            out.append(f"also_ok {entry}: no such turn or kind")
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python3 bench/check_truth.py MEETING.json READING.json", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as m, open(argv[1], encoding="utf-8") as r:
        meeting, reading = json.load(m), json.load(r)
    found = problems(meeting, reading)
    for line in found:
        print(line)
    unusual = sorted({p.get("reason") for p in reading.get("points", ())
                      if p.get("kind") == "refusal" and p.get("reason") not in REASONS} - {None})
    if unusual:
        print(f"note: refusal reasons not among the usual {len(REASONS)}: {', '.join(unusual)}")
    if not found:
        print(f"ok: {len(meeting['turns'])} turns, {len(reading.get('points', ()))} points")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
