"""Turn a meeting date into the dated steps that follow from it.

The steps, offsets and sources are data (``server/data/<jurisdiction>/
timelines.json``); this module only does the date arithmetic. Working days are
Monday to Friday that are not a bank holiday (``server/data/<jurisdiction>/
bank_holidays.json``: England and Wales unless a division is named; US federal
holidays). Without a jurisdiction only weekends are skipped.
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
    past: bool = False  # the due date is before today (a dated step only)

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


@functools.cache
def holiday_events(jurisdiction: str, division: str | None = None) -> tuple[tuple[datetime.date, str], ...]:
    """Return (day, title) of each bank holiday of a jurisdiction's division (its default when None), in order.

    Raises ValueError for an unknown jurisdiction or division.
    """
    data = rules.load(f"{rules._check(jurisdiction)}/bank_holidays.json")
    division = division or data["default_division"]
    if division not in data["divisions"]:
        raise ValueError(f"unknown division {division!r}; expected one of {', '.join(data['divisions'])}")
    return tuple(sorted(
        (datetime.date.fromisoformat(event["date"]), event["title"])
        for year in data["divisions"][division]["years"].values()
        for event in year["events"]
    ))


@functools.cache
def bank_holidays(jurisdiction: str, division: str | None = None) -> frozenset[datetime.date]:
    """Return the bank holidays of a jurisdiction's division (its default division when None).

    Raises ValueError for an unknown jurisdiction or division.
    """
    return frozenset(day for day, _ in holiday_events(jurisdiction, division))


def is_working_day(day: datetime.date, jurisdiction: str | None = None, division: str | None = None) -> bool:
    """Whether day is Monday to Friday and (given a jurisdiction) not one of its bank holidays."""
    if day.weekday() >= 5:
        return False
    return jurisdiction is None or day not in bank_holidays(jurisdiction, division)


def add_working_days(day: datetime.date, count: int, jurisdiction: str | None = None,
                     division: str | None = None) -> datetime.date:
    """Move ``count`` working days forwards or backwards.

    Args:
        day: where to count from (not itself counted).
        count: how many working days; negative counts back.
        jurisdiction: ``"england"`` or ``"us"`` to skip its bank holidays too;
            None skips weekends only.
        division: ``"england-and-wales"`` (the default for England),
            ``"scotland"``, ``"northern-ireland"``; ``"federal"`` for the US.
    """
    step = 1 if count >= 0 else -1
    for _ in range(abs(count)):
        day += datetime.timedelta(days=step)
        while not is_working_day(day, jurisdiction, division):
            day += datetime.timedelta(days=step)
    return day


def fixed_date(meeting_date: datetime.date, month_day: str) -> datetime.date:
    """Return MM-DD within the English school year (1 Sep to 31 Aug) containing the meeting."""
    month, day = (int(part) for part in month_day.split("-"))
    start_year = meeting_date.year if meeting_date.month >= 9 else meeting_date.year - 1
    return datetime.date(start_year if month >= 9 else start_year + 1, month, day)


def add_offset(day: datetime.date, offset: dict, *, inclusive: bool = False,
               jurisdiction: str | None = None) -> datetime.date:
    """Apply one offset such as ``{"days": -14}`` or ``{"working_days": 5}`` to a date.

    Args:
        day: the anchor date (the meeting date).
        offset: exactly one of ``days``, ``weeks``, ``months``, ``working_days``
            or ``fixed`` (``"MM-DD"``).
        inclusive: count the anchor as day 1, so the result is one day earlier.
        jurisdiction: whose bank holidays ``working_days`` skip (None: weekends only).
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
        due = add_working_days(day, offset["working_days"], jurisdiction)
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


def timeline(meeting_kind: str, jurisdiction: str, meeting_date: datetime.date,
             today: datetime.date | None = None) -> list[Step]:
    """Return the dated steps that follow from a meeting, sorted by due date.

    A meeting kind with no steps (such as ``"other"``) gives an empty list.
    Each step's ``past`` says whether its date is before ``today`` (default:
    today's date here), so a list can mark deadlines already gone.
    """
    today = today or datetime.date.today()
    steps = []
    for order, rule in enumerate(rules.timeline_rules(jurisdiction, meeting_kind)):
        due = add_offset(meeting_date, rule["offset"], inclusive=rule.get("inclusive", False),
                         jurisdiction=jurisdiction)
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
            past=rule["relation"] != "after" and due < today,
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
