"""The rule before utterances: whole segments to the person tapped (pure functions).

Kept as the baseline ``bench/attribution.py`` measures the new rule against;
Minuted itself attributes words with :mod:`transcribe.utterances`.

During the meeting the parent taps who is speaking and which agenda item is
open. Taps and segments share the recording's timeline (milliseconds), so
attribution is a join:

* speaker: a tap at ``t`` for attendee A means "A speaks from t until the
  next tap". The segment's speaker is the attendee whose tap intervals cover
  most of it; if none covers any of it (a zero-length segment), the last tap
  at or before its start; None when there is no tap before its end.
* agenda item: the last agenda event at or before the segment's start, else
  None.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Hashable, Iterable, Sequence

from .types import Segment

__all__ = ["attribute", "speaker_for", "agenda_item_for"]

Event = tuple[int, Hashable]


def _sorted(events: Iterable[Event] | None) -> list[Event]:
    return sorted(((int(at), value) for at, value in events or ()), key=lambda e: e[0])


def speaker_for(start_ms: int, end_ms: int, taps: Sequence[Event]) -> Hashable | None:
    """Return the attendee id whose tap intervals cover most of ``[start_ms, end_ms]``.

    Args:
        start_ms: Segment start.
        end_ms: Segment end.
        taps: ``(at_ms, attendee_id)`` pairs sorted by time.

    Returns:
        The attendee id, or None when no tap comes before ``end_ms``.
    """
    times = [at for at, _ in taps]
    # The tap in force at start_ms, then every tap up to end_ms.
    first = max(bisect.bisect_right(times, start_ms) - 1, 0)
    last = bisect.bisect_left(times, end_ms)  # taps at or after end_ms cover nothing
    cover: dict[Hashable, int] = {}
    order: list[Hashable] = []
    for i in range(first, last):
        lo = max(taps[i][0], start_ms)
        hi = min(taps[i + 1][0] if i + 1 < len(taps) else end_ms, end_ms)
        if hi > lo:
            who = taps[i][1]
            if who not in cover:
                order.append(who)
                cover[who] = 0
            cover[who] += hi - lo
    if cover:
        # Most coverage wins; on a tie, whoever spoke first in the segment.
        return max(order, key=lambda who: (cover[who], -order.index(who)))
    before = bisect.bisect_right(times, start_ms)
    return taps[before - 1][1] if before else None


def agenda_item_for(start_ms: int, agenda: Sequence[Event]) -> Hashable | None:
    """Return the agenda item open at ``start_ms`` (the last event at or before it)."""
    index = bisect.bisect_right([at for at, _ in agenda], start_ms)
    return agenda[index - 1][1] if index else None


def attribute(
    segments: Iterable[Segment],
    speaker_taps: Iterable[Event] | None = None,
    agenda_events: Iterable[Event] | None = None,
) -> list[Segment]:
    """Return copies of ``segments`` with ``speaker`` and ``agenda_item`` set.

    Args:
        segments: Transcript segments.
        speaker_taps: ``(at_ms, attendee_id)`` pairs (sorted here if not sorted).
        agenda_events: ``(at_ms, agenda_item_id)`` pairs.

    Returns:
        New segments, in the same order.
    """
    taps = _sorted(speaker_taps)
    agenda = _sorted(agenda_events)
    return [
        dataclasses.replace(
            s,
            speaker=speaker_for(s.start_ms, s.end_ms, taps),
            agenda_item=agenda_item_for(s.start_ms, agenda),
        )
        for s in segments
    ]
