"""Turn a meeting date into the dated steps that follow from it.

The steps, offsets and sources are data (``server/data/<jurisdiction>/
timelines.json``); this module only does the date arithmetic. Working days are
Monday to Friday; bank holidays are not known here.
"""

import calendar
import dataclasses
import datetime
import functools
import re

from server import rules

# the data's own source keys: [E8], [U18], [D5.4] (a neutral citation's [2022] is not one)
_SOURCE_KEY = re.compile(r"\s*\[[A-Z]{1,3}\d+(?:\.\d+)*\]")

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


@dataclasses.dataclass(frozen=True)
class Step:
    """One dated step in a meeting's timeline."""

    id: str
    label: str
    due: datetime.date
    relation: str
    who: str
    kind: str
    source: str
    verified: str
    if_missed: str
    offset_text: str
    condition: str | None = None

    def to_dict(self) -> dict:
        """Return the step as a JSON-ready dict (dates in ISO format; ``source`` as the data has it)."""
        data = dataclasses.asdict(self)
        data["due"] = self.due.isoformat()
        return data


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Add calendar months, clamping to the last day of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))


def add_working_days(day: datetime.date, count: int) -> datetime.date:
    """Move ``count`` working days (Monday to Friday) forwards or backwards."""
    step = 1 if count >= 0 else -1
    for _ in range(abs(count)):
        day += datetime.timedelta(days=step)
        while day.weekday() >= 5:
            day += datetime.timedelta(days=step)
    return day


def fixed_date(meeting_date: datetime.date, month_day: str) -> datetime.date:
    """Return MM-DD within the English school year (1 Sep to 31 Aug) containing the meeting."""
    month, day = (int(part) for part in month_day.split("-"))
    start_year = meeting_date.year if meeting_date.month >= 9 else meeting_date.year - 1
    return datetime.date(start_year if month >= 9 else start_year + 1, month, day)


def add_offset(day: datetime.date, offset: dict, *, inclusive: bool = False) -> datetime.date:
    """Apply one offset such as ``{"days": -14}`` or ``{"working_days": 5}`` to a date.

    Args:
        day: the anchor date (the meeting date).
        offset: exactly one of ``days``, ``weeks``, ``months``, ``working_days``
            or ``fixed`` (``"MM-DD"``).
        inclusive: count the anchor as day 1, so the result is one day earlier.
    """
    if "fixed" in offset:
        return fixed_date(day, offset["fixed"])
    if "days" in offset:
        due = day + datetime.timedelta(days=offset["days"])
    elif "weeks" in offset:
        due = day + datetime.timedelta(weeks=offset["weeks"])
    elif "months" in offset:
        due = add_months(day, offset["months"])
    elif "working_days" in offset:
        due = add_working_days(day, offset["working_days"])
    else:
        raise ValueError(f"offset needs one of days, weeks, months, working_days, fixed: {offset!r}")
    return due - datetime.timedelta(days=1) if inclusive else due


def offset_text(offset: dict) -> str:
    """Describe an offset in words, e.g. "14 days before" or "on 15 February"."""
    if "fixed" in offset:
        month, day = (int(part) for part in offset["fixed"].split("-"))
        return f"on {day} {_MONTHS[month - 1]}"
    for unit in ("days", "weeks", "months", "working_days"):
        if unit in offset:
            count = offset[unit]
            break
    else:
        return ""
    if count == 0:
        return "on the day of the meeting"
    name = unit.replace("_", " ")
    if abs(count) == 1:
        name = name[:-1]
    return f"{abs(count)} {name} {'before' if count < 0 else 'after'}"


def timeline(meeting_kind: str, jurisdiction: str, meeting_date: datetime.date) -> list[Step]:
    """Return the dated steps that follow from a meeting, sorted by due date.

    A meeting kind with no steps (such as ``"other"``) gives an empty list.
    """
    steps = []
    for order, rule in enumerate(rules.timeline_rules(jurisdiction, meeting_kind)):
        due = add_offset(meeting_date, rule["offset"], inclusive=rule.get("inclusive", False))
        step = Step(
            id=rule["id"],
            label=rule["label"],
            due=due,
            relation=rule["relation"],
            who=rule["who"],
            kind=rule["kind"],
            source=rule["source"],
            verified=rule["verified"],
            if_missed=rule["if_missed"],
            offset_text=offset_text(rule["offset"]),
            condition=rule.get("condition"),
        )
        steps.append((due, order, step))
    steps.sort(key=lambda item: item[:2])
    return [step for _, _, step in steps]


@functools.cache
def _abbreviations(jurisdiction: str):
    table = rules.timelines_file(jurisdiction).get("abbreviations") or {}
    if not table:
        return None, table
    # longest first, whole words only, in one pass: "Devon CC" wins over "Devon", and an expansion is never expanded
    keys = sorted(table, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w.])(" + "|".join(re.escape(k) for k in keys) + r")(?!\w)")
    return pattern, table


def readable_source(text: str, jurisdiction: str) -> str:
    """Return a step's source as someone outside the app can follow it.

    Drops the data's internal source keys (``[E8]``, ``[U18]``) and spells out
    the abbreviations listed in the jurisdiction's ``timelines.json``
    (``"abbreviations"``). The data keeps its short form; ``Step.source`` and
    the API stay as they are.

    Args:
        text: a source as written in the data, e.g. ``"SEND Regs reg 20(10) [E8][E66][E12]"``.
        jurisdiction: ``"england"`` or ``"us"``.

    Returns:
        e.g. ``"SEND Regulations 2014, reg 20(10)"``; ``""`` for an empty source.
    """
    pattern, table = _abbreviations(jurisdiction)
    parts = []
    for part in _SOURCE_KEY.sub("", text or "").split(";"):
        part = " ".join(part.split())
        if pattern is not None:
            part = pattern.sub(lambda m: table[m.group(1)], part)
        # an expansion that ends in a comma with nothing after it ("SEND Regulations 2014,")
        part = part.rstrip(" ,")
        if part:
            parts.append(part)
    return "; ".join(parts)
