"""When something was promised for: a due phrase in the words, resolved against the meeting date.

"by Friday", "within two weeks of today", "on the 14th of May", "by the end of
next week", "within ten school days" are worked out exactly (working days are
Monday to Friday, as in :mod:`server.deadlines`); "by half term", "before the
Easter holidays", "before winter break" use the typical term dates in
``server/data/<jurisdiction>/term_dates.json`` and are marked ``approx`` (each
authority or district sets its own), so the minutes say "about" and the
parent checks them. "each half term", "every week" are recurrences: no one
date. Nothing here guesses a date that was not said.
"""
import calendar
import dataclasses
import datetime
import functools
import re

from .. import deadlines
from .. import rules

MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
MONTHS["sept"] = 9
WEEKDAYS = {d.lower(): i for i, d in enumerate(calendar.day_name)}
NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
    "forty-five": 45, "sixty": 60, "couple of": 2, "few": 3,
}
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9,
    "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
    "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "twenty-first": 21,
    "twenty-second": 22, "twenty-third": 23, "twenty-fourth": 24, "twenty-fifth": 25, "twenty-sixth": 26,
    "twenty-seventh": 27, "twenty-eighth": 28, "twenty-ninth": 29, "thirtieth": 30, "thirty-first": 31,
}


@dataclasses.dataclass(frozen=True)
class Due:
    """A due date worked out from the words (``phrase``, verbatim), or a recurrence with no one date."""

    phrase: str
    date: datetime.date | None
    approx: bool = False  # from typical term dates: say "about" and ask the parent to check
    recurring: bool = False

    def iso(self):
        return self.date.isoformat() if self.date else None


_NUM = r"(?P<n>\d+|" + "|".join(sorted((re.escape(k) for k in NUMBERS), key=len, reverse=True)) + ")"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?|(?P<dayword>" + "|".join(sorted(ORDINALS, key=len, reverse=True)) + ")"
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?:,? (?P<year>20\d\d)|(?P<nextyear> next year))?"
_WEEKDAY = "|".join(WEEKDAYS)

_WEEKDAY_NAMES = "(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_RECURRING = re.compile(
    r"\b(?:each|every|at the end of (?:each|every)|once a|twice a|(?:three|four|five) times a)"
    r" (?:half[- ]term|term|week|fortnight|month|semester|grading period|quarter)\b"
    # "every Friday", "each Monday morning", "on Fridays": a day each week
    rf"|\b(?:each|every)(?: other)? {_WEEKDAY_NAMES}\b|\bon {_WEEKDAY_NAMES}s\b")
_DAYWORD = "|".join(sorted(ORDINALS, key=len, reverse=True))
# a month named just before a day with none ("the December panel, on the 14th"), in the same sentence
# ("Martin" is no March, "we may" no May: a whole word, and "may" only after "the", "in", "of", "this", "next")
_MONTH_BEFORE = re.compile(rf"\b(?:(?!may\b)|(?<=\bthe )|(?<=\bin )|(?<=\bof )|(?<=\bthis )|(?<=\bnext )){_MONTH}\b"
                           rf"(?! (?:the )?(?:\d|(?:{_DAYWORD})\b))(?=[^.?!]*$)", re.IGNORECASE)
# "May half term", "the October half term": that term's half term, not the next one
_HALF_TERM_OF = {"october": "autumn", "oct": "autumn", "autumn": "autumn", "february": "spring", "feb": "spring",
                 "spring": "spring", "may": "summer", "whitsun": "summer", "summer": "summer"}
_NAMED_HALF = r"(?:(?P<named>" + "|".join(sorted(_HALF_TERM_OF, key=len, reverse=True)) + r") )?"
# "the 9th", "the twenty-fifth" (not "the first hearing", "the third of May", "the first Tuesday back")
_THE_DAY = (r"the (?:(?P<day>\d{1,2})(?:st|nd|rd|th)|(?P<dayword>" + _DAYWORD
            + r"))\b(?! of\b)(?!'s\b)(?!,? (?:of )?" + _MONTH.replace("(?P<month>", "(?:") + r"\b)"
            # "for the first hearing", "by the third visit": an order, not a day of the month
            + r"(?! (?:hearing|time|week|weeks|visit|meeting|session|one|ones|day|days|term|year|half|"
              r"part|thing|step|draft|review|appointment|panel|lesson|period|grade|page|paper|place|"
              r"stage|cycle|round|person|child|block|option|point|item|goal|target|question|night|"
              r"morning|afternoon|few|couple|lot|go|attempt|try|observation|report|test|exam|quarter|semester|"
              r"trimester|unit|grading|marking|month|class|chapter|module|level)s?\b)"
            # "for the first Tuesday back": a weekday, not the first of the month
            rf"(?! (?:{_WEEKDAY_NAMES}|back)\b)")
_OF_ELSE = r"(?! of (?!today\b|now\b|(?:the|this|today's) (?:meeting|call)\b))"
_PATTERNS = [
    # "Tuesday the 23rd of February", "Thursday, January 21st": the date, not the next Tuesday
    ("date_dm", re.compile(rf"\b(?:{_WEEKDAY_NAMES},? )?(?:the )?(?:{_DAY})(?: of)? {_MONTH}{_YEAR}\b")),
    ("date_md", re.compile(rf"\b(?:{_WEEKDAY_NAMES},? )?{_MONTH} (?:the )?(?:{_DAY}){_YEAR}\b")),
    # "on the 9th", "by the 4th": a day of this month, or of the next when it has passed
    # "Monday the fifth", "the afternoon of the twenty-fifth" too
    # "starting the thirtieth", "after the sixth", "till the nineteenth" too
    ("day_only", re.compile(r"\b(?:(?:on|by|before|from|until|till|for|after|starting|starts|start) "
                            r"(?:(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday),? )?|(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday),? |"
                            r"(?:the )?(?:morning|afternoon|evening) of )" + _THE_DAY)),
    # "…the Friday before, the twelfth", "The Tuesday, then. The fourth", "so that'd be the nineteenth": a day of the
    # month said again to pin the day just said (see resolve)
    ("day_appos", re.compile(r"(?:^|(?<=[,.?;:!] )|(?<=\bso )|(?<=\bthat's )|(?<=\bthat'd be )|(?<=\bthat is )|"
                             r"(?<=\bwhich is )|(?<=\bit's )|(?<=\bthat'll be ))" + _THE_DAY)),
    # "in June", "by the end of March", "before May": a month with no day
    ("month", re.compile(rf"\b(?P<edge>in|during|by|by the end of|until|before|from|after|for) (?:early |late |mid[- ])?"
                         rf"{_MONTH}{_YEAR}\b(?! (?:the )?(?:\d|(?:{_DAYWORD})\b))(?! half[- ]term\b)")),
    # "before the end of April", "for the end of May", "worst case, end of April": its last day
    # ("her testing from the end of January", "since the end of May": a time past)
    ("month_end", re.compile(rf"(?<!\bfrom )(?<!\bfrom the )(?<!\bsince )(?<!\bsince the )\b"
                             rf"(?:(?:by|before|for|until|till|at|towards?) )?(?:the )?end of {_MONTH}{_YEAR}\b"
                             rf"(?! (?:the )?(?:\d|(?:{_DAYWORD})\b))")),
    # "the first week of March": by that week's Friday (or from its first weekday)
    ("month_first_week", re.compile(rf"\b(?P<edge>from |starting |starting from )?(?:by |in |during )?(?:the )?"
                                    rf"first week (?:of|in) {_MONTH}{_YEAR}\b")),
    # "within two weeks of the visit": counted from a day said elsewhere (if at all), not from the meeting
    ("working_days", re.compile(rf"\b(?:within|in|inside)(?: the next)? {_NUM} (?:working|business) days?\b{_OF_ELSE}")),
    # school days skip the holidays too (typical term dates: "about")
    # the transcription hears "school days" as "cool days" too
    ("school_days", re.compile(rf"\b(?:within|in|inside)(?: the next)? {_NUM} (?:school|cool) days?\b{_OF_ELSE}")),
    ("days", re.compile(rf"\b(?:within|in|inside)(?: the next)? {_NUM} (?:calendar )?days?\b{_OF_ELSE}")),
    ("weeks", re.compile(rf"\b(?:(?:within|in|inside)(?: the next)?|within the) {_NUM} weeks?(?:'s time)?\b{_OF_ELSE}|\b(?:within|in|inside) (?:a|the next|the coming) fortnight\b"
                         # "I'll book it. Next fortnight.", "over the next fortnight"
                         r"|(?:\b(?:over|during) (?:the )?|^(?:the )?|(?<=[,.!?] )(?:the )?)next fortnight\b(?! or)"
                         r"|\b(?:in )?a fortnight's time\b")),
    ("months", re.compile(rf"\b(?:within|in|inside)(?: the next)? {_NUM} months?(?:'s time)?\b{_OF_ELSE}")),
    # "four weeks from today": counted from the meeting
    ("days", re.compile(rf"\b{_NUM} (?:calendar )?days? (?:from|after) (?:today|now|the meeting|this meeting)\b")),
    ("school_days", re.compile(rf"\b{_NUM} (?:school|cool) days? (?:from|after) (?:today|now|the meeting|this meeting)\b")),
    # "two weeks today": two weeks from today
    ("weeks", re.compile(rf"\b{_NUM} weeks? (?:(?:from|after) (?:today|now|the meeting|this meeting)|today)\b")),
    ("months", re.compile(rf"\b{_NUM} months? (?:from|after) (?:today|now|the meeting|this meeting)\b")),
    # "for the next four weeks": the period ends then
    ("weeks", re.compile(rf"\bfor(?: the next)? {_NUM} weeks?\b")),
    # "from today we've got four weeks to tell you": four weeks from the meeting, not today
    ("weeks", re.compile(rf"\bfrom (?:today|now),? (?:[a-z']+ ){{0,4}}(?:got|have|has) {_NUM} weeks?\b")),
    ("days", re.compile(rf"\bfrom (?:today|now),? (?:[a-z']+ ){{0,4}}(?:got|have|has) {_NUM} (?:calendar )?days?\b")),
    ("days", re.compile(rf"\bfor(?: the next)? {_NUM} (?:school |working )?days?\b")),
    ("today", re.compile(r"\b(?:today(?!'s)|this (?:morning|afternoon|evening)|by the end of the day|end of play today"
                         r"|tonight)\b")),
    # "I'll sign it now", "before I go", "at the end of the meeting": before everyone leaves today
    ("today", re.compile(r"(?<!\bfor )(?<!\bfrom )(?<!\buntil )(?<!\bby )(?<!\bjust )\b(?:right )?now(?=[.!,;]|$)"
                         r"|\bbefore (?:i|you|we|everyone) (?:go|leave|finish|wrap up|hang up)\b(?! for\b)|\bon (?:your|my|the) way out\b"
                         r"|\b(?:before|at) the end of (?:the|this|today's) (?:meeting|call)\b"
                         # "I'll text him when we're done here", "straight after this meeting"
                         r"|\b(?:when|once|as soon as) (?:we're|we are|we've|we have) (?:done|finished|through)"
                         r"(?: here| today)?\b|\b(?:straight |right )?after (?:this|today's) (?:meeting|call)\b"
                         # "I'll email him when I get back to the office", "before you're out of the building"
                         r"|\b(?:when|once|as soon as) i(?:'m| am)? (?:get )?back (?:to|at|in) (?:the|my) "
                         r"(?:office|desk|base|room|school|building|classroom)\b"
                         r"|\bbefore (?:you|we|they)(?:'re| are) (?:out of|off) (?:the )?"
                         r"(?:building|site|premises|school)\b"
                         r"|\bbefore (?:you|we|they) (?:leave|get out of) the (?:building|site|premises)\b"
                         # "I'll text her when I leave here", "on my way home"
                         r"|\b(?:when|once|as soon as|after) (?:i|we) (?:leave|get out of) here\b"
                         r"|\b(?:straight |right |just )?after this(?=[.!,;]|$)"
                         r"|\bon (?:my|the) way home\b(?! from (?!here\b))"
                         # "…in his bag before home time", "I'll print it the minute we're done", "after dismissal"
                         r"|\b(?:before|by) home ?time\b|\bthe minute (?:we're|we are|we've|we have) (?:done|finished|through)\b"
                         r"|\bafter dismissal\b(?! (?:on|tomorrow)\b)|\bbefore lunch\b(?! (?:on|tomorrow|next)\b)")),
    # "the day after tomorrow": two days on, not tomorrow
    ("overmorrow", re.compile(r"\b(?:the )?day after tomorrow\b")),
    ("tomorrow", re.compile(r"\btomorrow\b")),
    # "I'll email it you first thing.": the next working day's morning
    # (not "first thing, nine till half nine", a time of day; not "…first thing, before the rest", first in turn)
    ("first_thing", re.compile(r"(?<!\bthe )\bfirst thing(?=[.!]?$|, (?:save|so|and)\b|,? at (?:drop-off|drop off|"
                               r"registration|the gate)\b)")),
    # "I'll ring the surgery in the morning": the next morning (not "every morning", "on Monday in the morning")
    ("tomorrow", re.compile(r"(?<!\bevery )(?<!\beach )(?<!day )(?<!, )(?<!th )(?<!st )(?<!nd )(?<!rd )"
                            r"\b(?:first thing )?in the morning\b(?! (?:after|before|of|on)\b)")),
    # "a week Friday", "Friday week": the Friday after the coming one
    # "Monday to Thursday", "Monday, Wednesday and Friday" say a timetable, not a day
    # "on a Saturday", "any Monday" name no day
    ("weekday", re.compile(rf"\b(?<!\bto )(?<!\band )(?<!\bthrough )(?<!\bevery )(?<!\beach )(?<!\bother )(?<!\ba )"
                           rf"(?<!\bany )(?<!\bsome )(?:(?P<next>next|this coming|this) |"
                           rf"(?P<week>a week (?:on |from )?)|(?P<fortnight>a fortnight (?:on |from )?))?(?P<weekday>{_WEEKDAY})"
                           # (but "from Monday, Mondays and Tuesdays": the days after it say how often)
                           rf"(?P<after> week\b)?\b(?!,? (?:(?:to|through|thru|and|or) )?{_WEEKDAY_NAMES}(?!s\b))"
                           # "Friday next week", "the Friday of next week": next week's Friday;
                           # "Friday after next": the Friday after the coming one
                           rf"(?:(?P<nextweek> (?:of |in )?next week\b)|(?P<afternext> after next\b))?")),
    # "by this time next week": a week from the meeting
    ("days_7", re.compile(r"\b(?:by |before )?this time next week\b|\b(?:by |on )?a week (?:today|from today)\b"
                          r"|\btoday week\b")),
    ("week_after_next", re.compile(r"\b(?P<edge>by |before |during |in |from |starting |as of )?(?:(?:the )?end of )?"
                                   r"the week after next\b")),
    # "this week and next": done by the end of next week
    ("next_week", re.compile(r"\b(?:by |over |during )?(?:(?:the )?end of )?(?:this|the) week and (?:the )?next(?: week| one)?\b")),
    # ("the week's words" is what the week has, not when)
    ("this_week", re.compile(r"\b(?:by |before )?(?:(?:the )?end of )?(?:this|the) week\b(?!'s(?! (?:out|over|done|up)\b))(?! (?:of|after|before)\b)")),
    ("next_week", re.compile(r"\b(?P<edge>by |before |during |in |from |starting |as of )?(?:(?:the )?end of )?next week\b")),
    ("this_month", re.compile(r"\b(?:(?:by|before|for|at) )?(?:the )?end of (?:the|this) month\b"
                              r"|\b(?:(?:by|before|in|during|later|"
                              r"sometime|some time) )?this month\b")),
    # "this weekend", "over the weekend": by its Sunday
    ("weekend", re.compile(r"\b(?:(?:by|over|during|at) )?this weekend\b|\b(?:by|over|during|at) the weekend\b")),
    ("next_month", re.compile(r"\b(?:by |before |in )?(?:(?:the )?end of )?next month\b")),
]
# "before Christmas", "before we break up for Christmas", "before we leave for winter break": the same day
_BEFORE_BREAK = (r"(?:before|by)(?: (?:we|you|they|(?:the )?schools?|the kids|the children|everyone) (?:leave|break up|break|go off|"
                 r"go|finish|close|head off) for)?")
_TERM_PATTERNS = {
    "england": [
        ("half_term_before", re.compile(rf"\b(?:before|by|for|ahead of) (?:the )?{_NAMED_HALF}half[- ]term\b")),
        ("half_term_after", re.compile(rf"\b(?:after|straight after|when we come back from|from) (?:the )?"
                                       rf"{_NAMED_HALF}half[- ]term\b")),
        ("christmas", re.compile(rf"\b{_BEFORE_BREAK} (?:the )?christmas(?: holidays?| break)?\b"
                                 r"|\b(?:by|before) the end of (?:the )?autumn term\b")),
        ("easter_before", re.compile(rf"\b{_BEFORE_BREAK} (?:the )?easter(?: holidays?| break)?\b"
                                     r"|\b(?:by|before) the end of (?:the )?spring term\b")),
        ("easter_after", re.compile(r"\b(?:after|when we come back from|from) (?:the )?easter(?: holidays?| break)?\b")),
        ("summer", re.compile(rf"\b{_BEFORE_BREAK} (?:the )?summer(?: holidays?| break)?\b"
                              r"|\b(?:by|before) the end of (?:the )?(?:school )?year\b"
                              r"|\b(?:by|before) the end of (?:the )?summer term\b"
                               r"|\b(?:by |before |on )?the last day of (?:school|the (?:school )?year|the summer term)\b")),
        ("term_end", re.compile(r"\b(?:by |before )?(?:the )?(?:end|last day) of (?:this |the )?term\b"
                               r"|\b(?:before|by the time) (?:we|you|they|school|the school|the children|the kids) "
                               r"(?:break|breaks|have broken|'ve broken) up\b(?! for (?:half[- ]term|the half[- ]term))")),
        # "over half term", "in the May half term": done in the holiday, by its last weekday
        ("half_term_during", re.compile(rf"\b(?:over|in|during) (?:the )?{_NAMED_HALF}half[- ]term\b"
                                        r"(?! (?:week|holiday)s?\b)")),
        # "in the summer term": by its last day (a rough time: a day said beside it is the date)
        ("term_during", re.compile(r"\b(?:in|during) the (?P<named>autumn|spring|summer) term\b")),
        ("next_term", re.compile(r"\b(?:next term|in the new term|at the start of (?:next|the new) term)\b")),
        # said in the autumn term: the spring term's first day
        ("new_year", re.compile(r"\b(?:in|after|early in|at the start of) the new year\b|\bafter (?:the )?christmas(?: holidays?| break)?\b")),
    ],
    "us": [
        ("thanksgiving", re.compile(rf"\b{_BEFORE_BREAK} thanksgiving(?: break)?\b")),
        ("winter_before", re.compile(rf"\b{_BEFORE_BREAK} (?:the )?(?:winter|holiday|christmas) (?:break|vacation|holidays?)\b"
                                     rf"|\b{_BEFORE_BREAK} christmas\b")),
        ("winter_after", re.compile(r"\b(?:after|when we come back from) (?:the )?(?:winter|holiday|christmas) (?:break|vacation|holidays?)\b")),
        ("spring_before", re.compile(rf"\b{_BEFORE_BREAK} spring break\b")),
        ("spring_after", re.compile(r"\bafter spring break\b")),
        ("semester_end", re.compile(r"\b(?:by |before )?(?:the )?(?:end|last day) of (?:the |this )?semester\b")),
        ("year_end", re.compile(r"\b(?:by |before )?(?:the )?(?:end|last day) of (?:the |this )?school year\b"
                                rf"|\b{_BEFORE_BREAK} (?:the )?summer(?: break| vacation)?\b"
                                r"|\b(?:by |before |on )?the last day of (?:school|the year)\b"
                                r"|\b(?:before|by) school(?:'s| is| gets) out\b"
                                r"|\b(?:by|before) the end of the year\b")),
        # "before school starts", "the week before school starts": the last weekday before the new school year
        ("school_start_before", re.compile(r"\b(?:before|by) (?:school|the school year|the new school year) "
                                           r"(?:starts|begins|goes back|opens)\b")),
        # "the first week of school": by its Friday (or from its first day)
        ("school_first_week", re.compile(r"\b(?P<edge>from |starting |starting from )?(?:by |in |during )?(?:the )?"
                                         r"first week (?:of|back at) school\b")),
        # "before Labor Day", "by Veterans Day": the last weekday before that federal holiday (bank_holidays.json)
        ("holiday_before", re.compile(r"\b(?:before|by) (?P<named>memorial day|labor day|veterans'? day|columbus day|"
                                      r"indigenous peoples'? day|presidents'? day|mlk day|martin luther king(?: jr\.?)? "
                                      r"day|juneteenth|the fourth of july|july (?:the )?fourth|independence day)\b")),
        ("next_semester", re.compile(r"\b(?:next semester|at the start of (?:next|the new) semester)\b")),
        ("new_year", re.compile(r"\b(?:in|after|early in|at the start of) the new year\b")),
    ],
}


@functools.cache
def _terms(jurisdiction):
    data = rules.load(f"{rules._check(jurisdiction)}/term_dates.json")
    out = []
    for t in data["terms"]:
        term = {"name": t["name"], "start": datetime.date.fromisoformat(t["start"]),
                "end": datetime.date.fromisoformat(t["end"])}
        if "half_term" in t:
            term["half_term"] = tuple(datetime.date.fromisoformat(d) for d in t["half_term"])
        term["breaks"] = {k: tuple(datetime.date.fromisoformat(d) for d in v) for k, v in t.get("breaks", {}).items()}
        out.append(term)
    return out


def _next_on_or_after(day, month, year, meeting_date):
    try:
        if year:
            return datetime.date(year, month, day)
        found = datetime.date(meeting_date.year, month, day)
        if found < meeting_date - datetime.timedelta(days=14):  # "the 3rd of January" said in December
            found = datetime.date(meeting_date.year + 1, month, day)
        return found
    except ValueError:
        return None


def _number(text):
    text = text.lower()
    return int(text) if text.isdigit() else NUMBERS.get(text)


def _weekday_from(day, step):
    """The weekday ``step`` days on (-1: the one before, 1: the one after), over a weekend."""
    day += datetime.timedelta(days=step)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=step)
    return day


def _school_day(day, jurisdiction):
    """Whether the children are in school that day (typical term dates); None when the dates don't cover it."""
    for t in _terms(jurisdiction):
        if t["start"] <= day <= t["end"]:
            ht = t.get("half_term")
            if (ht and ht[0] <= day <= ht[1]) or any(a <= day <= b for a, b in t["breaks"].values()):
                return False
            return deadlines.is_working_day(day, jurisdiction)
    if any(t["start"] > day for t in _terms(jurisdiction)) and any(t["end"] < day for t in _terms(jurisdiction)):
        return False  # a holiday between two terms
    return None


def _add_school_days(meeting_date, n, jurisdiction):
    """n school days after the meeting, skipping half terms, breaks and holidays; working days past the data."""
    if jurisdiction is None:
        return deadlines.add_working_days(meeting_date, n)
    day, left = meeting_date, n
    while left:
        day += datetime.timedelta(days=1)
        open_ = _school_day(day, jurisdiction)
        if open_ is None:
            return deadlines.add_working_days(day - datetime.timedelta(days=1), left, jurisdiction)
        left -= bool(open_)
    return day


def _last_school_day(end, jurisdiction):
    """A term's last day, or the school day before it when it ends on a bank holiday (Good Friday)."""
    while end is not None and not deadlines.is_working_day(end, jurisdiction):
        end -= datetime.timedelta(days=1)
    return end


# what a federal holiday is called aloud -> the start of its title in bank_holidays.json
_HOLIDAY_TITLES = (("memorial", "Memorial Day"), ("labor", "Labor Day"), ("veteran", "Veterans Day"),
                   ("columbus", "Columbus Day"), ("indigenous", "Columbus Day"), ("president", "Washington"),
                   ("mlk", "Birthday of Martin Luther King"), ("martin luther king", "Birthday of Martin Luther King"),
                   ("juneteenth", "Juneteenth"), ("fourth", "Independence Day"), ("independence", "Independence Day"))


def _holiday_named(said, meeting_date, jurisdiction):
    """The next day after the meeting of the holiday ``said`` names ("labor day"), as the jurisdiction's
    bank_holidays.json lists it (observed); None when it names none or the years listed have run out."""
    title = next((t for word, t in _HOLIDAY_TITLES if word in said.lower()), None)
    if title is None or jurisdiction is None:
        return None
    return next((day for day, named in deadlines.holiday_events(jurisdiction)
                 if named.startswith(title) and day > meeting_date), None)


def _term_date(key, meeting_date, jurisdiction, named=None):
    when = _term_date_as_listed(key, meeting_date, jurisdiction, named)
    if key in ("term_end", "christmas", "easter_before", "summer", "semester_end", "year_end", "term_during"):
        return _last_school_day(when, jurisdiction)
    return when


def _term_date_as_listed(key, meeting_date, jurisdiction, named=None):
    terms = [t for t in _terms(jurisdiction) if t["end"] >= meeting_date]
    if not terms:
        return None
    current = terms[0]  # the term we are in, or the next one in a holiday
    if key == "term_during":
        return next((t["end"] for t in terms if t["name"] == named), None)
    if named and key.startswith("half_term"):
        terms = [t for t in terms if t["name"] == _HALF_TERM_OF[named]]
    if key == "half_term_before":
        for t in terms:
            ht = t.get("half_term")
            if ht and ht[0] > meeting_date:
                return _weekday_from(ht[0], -1)
        return None
    if key == "half_term_after":
        for t in terms:
            ht = t.get("half_term")
            if ht and ht[1] >= meeting_date:
                return ht[1] + datetime.timedelta(days=3 if ht[1].weekday() == 4 else 1)
        return None
    if key == "term_end":
        return current["end"]
    if key == "half_term_during":
        for t in terms:
            ht = t.get("half_term")
            if ht and ht[1] >= meeting_date:
                return ht[1]
        return None
    if key in ("school_start_before", "school_first_week"):
        start = next((t["start"] for t in terms if t["start"] > meeting_date and t["start"].month in (8, 9)), None)
        if start is None:
            return None
        if key == "school_start_before":
            return _weekday_from(start, -1)
        return start if (named or "").strip() else start + datetime.timedelta(days=4 - start.weekday())
    if key == "holiday_before":
        holiday = _holiday_named(named or "", meeting_date, jurisdiction)
        return _weekday_from(holiday, -1) if holiday else None
    if key == "new_year":
        later = [t for t in terms if t["start"] > meeting_date and t["start"].month <= 2]
        return later[0]["start"] if later else None
    if key in ("next_term", "next_semester"):
        later = [t for t in terms if t["start"] > meeting_date]
        return later[0]["start"] if later else None
    named = {"christmas": "autumn", "easter_before": "spring", "summer": "summer", "semester_end": None}
    if key in named and named[key]:
        return next((t["end"] for t in terms if t["name"] == named[key]), None)
    if key == "easter_after":
        return next((t["start"] for t in terms if t["name"] == "summer" and t["start"] > meeting_date), None)
    if key == "semester_end":
        return current["end"]
    if key == "year_end":
        return next((t["end"] for t in terms if t["name"].startswith("spring")), None)
    breaks = {"thanksgiving": ("thanksgiving", 0), "thanksgiving_after": ("thanksgiving", 1),
              "winter_before": ("winter break", 0),
              "winter_after": ("winter break", 1), "spring_before": ("spring break", 0),
              "spring_after": ("spring break", 1)}
    if key in breaks:
        name, edge = breaks[key]
        for t in terms:
            span = t["breaks"].get(name)
            if span and span[edge] >= meeting_date:
                return _weekday_from(span[0], -1) if edge == 0 else span[1] + datetime.timedelta(days=3)
    return None


def _resolve_one(key, m, meeting_date, jurisdiction=None):
    g = m.groupdict()
    if key in ("date_dm", "date_md"):
        day = int(g["day"]) if g.get("day") else ORDINALS.get((g.get("dayword") or "").lower())
        year = int(g["year"]) if g.get("year") else meeting_date.year + 1 if g.get("nextyear") else None
        when = _next_on_or_after(day, MONTHS[g["month"].lower()], year, meeting_date) if day else None
        if when is not None and re.search(r"\bthe week (?:of|beginning|starting|commencing)(?: the)? $",
                                          m.string[max(0, m.start() - 30):m.start()]):
            # "the week of November first": by the Friday of that week
            when += datetime.timedelta(days=max(0, 4 - when.weekday()))
        return when
    if key in ("day_only", "day_appos"):
        day = int(g["day"]) if g.get("day") else ORDINALS[g["dayword"].lower()]
        month = _MONTH_BEFORE.search(m.string[max(0, m.start() - 40):m.start()])
        if month:
            # "the December panel, on the 14th": the day of the month just named
            return _next_on_or_after(day, MONTHS[month.group("month").lower()], None, meeting_date)
        named = re.search(_WEEKDAY_NAMES, m.group(0))
        if named:
            # "Monday the fifth": the next fifth that is a Monday (within a few months; else the next fifth)
            weekday = WEEKDAYS[named.group(0)]
            for months_on in range(0, 4):
                first = deadlines.add_months(meeting_date.replace(day=1), months_on)
                if day <= calendar.monthrange(first.year, first.month)[1] and first.replace(day=day) >= meeting_date \
                        and first.replace(day=day).weekday() == weekday:
                    return first.replace(day=day)
        for months_on in range(0, 3):
            first = deadlines.add_months(meeting_date.replace(day=1), months_on)
            if day <= calendar.monthrange(first.year, first.month)[1] and first.replace(day=day) >= meeting_date:
                return first.replace(day=day)
        return None
    if key == "month":
        month, edge = MONTHS[g["month"].lower()], g["edge"].lower()
        back = (meeting_date.month - month) % 12  # how many months ago it was, this year
        if not (g.get("year") or g.get("nextyear")) and (back == 1 or edge == "from" and 1 <= back <= 4):
            # "from January on", said in February: the month just gone, not next year's; "her progress notes from
            # January", said in March: a month this year has had
            return None
        year = int(g["year"]) if g.get("year") else meeting_date.year + 1 if g.get("nextyear") else \
            meeting_date.year + (month < meeting_date.month)
        if edge == "before":
            first = datetime.date(year, month, 1)
            return first - datetime.timedelta(days=1)
        if edge == "from":
            # "from January": the month's first school day (the 1st is a holiday), as far as the term dates go
            first = datetime.date(year, month, 1)
            for day in (first + datetime.timedelta(days=n) for n in range(21)):
                open_ = _school_day(day, jurisdiction) if jurisdiction else None
                if open_ is None:
                    return day if day > first else first
                if open_:
                    return day
            return first
        if edge == "after":
            return deadlines.add_months(datetime.date(year, month, 1), 1)
        return datetime.date(year, month, calendar.monthrange(year, month)[1])
    if key == "month_end":
        month = MONTHS[g["month"].lower()]
        year = int(g["year"]) if g.get("year") else meeting_date.year + 1 if g.get("nextyear") else \
            meeting_date.year + (month < meeting_date.month)
        return datetime.date(year, month, calendar.monthrange(year, month)[1])
    if key == "working_days":
        n = _number(g["n"])
        return deadlines.add_working_days(meeting_date, n, jurisdiction) if n else None
    if key == "school_days":
        n = _number(g["n"])
        return _add_school_days(meeting_date, n, jurisdiction) if n else None
    if key == "days":
        n = _number(g["n"])
        return meeting_date + datetime.timedelta(days=n) if n else None
    if key == "weeks":
        n = _number(g["n"]) if g.get("n") else 2
        return meeting_date + datetime.timedelta(weeks=n) if n else None
    if key == "months":
        n = _number(g["n"])
        return deadlines.add_months(meeting_date, n) if n else None
    if key == "today":
        return meeting_date
    if key == "tomorrow":
        return meeting_date + datetime.timedelta(days=1)
    if key == "first_thing":
        return deadlines.add_working_days(meeting_date, 1, jurisdiction or "england")
    if key == "overmorrow":
        return meeting_date + datetime.timedelta(days=2)
    if key == "weekday":
        target = WEEKDAYS[g["weekday"].lower()]
        if g.get("next") == "next" or g.get("nextweek"):
            monday = meeting_date + datetime.timedelta(days=7 - meeting_date.weekday())
            return monday + datetime.timedelta(days=target)
        ahead = (target - meeting_date.weekday()) % 7 or 7
        later = 14 if g.get("fortnight") else 7 if g.get("week") or g.get("after") or g.get("afternext") else 0
        return meeting_date + datetime.timedelta(days=ahead + later)
    if key == "days_7":
        return meeting_date + datetime.timedelta(days=7)
    if key == "week_after_next":
        # done by the Friday of the week after next week; "from the week after next": it starts on its Monday
        monday = meeting_date + datetime.timedelta(days=7 - meeting_date.weekday())
        return monday + datetime.timedelta(days=7 if (g.get("edge") or "").strip() in ("from", "starting", "as of")
                                           else 11)
    if key == "this_week":
        return meeting_date + datetime.timedelta(days=max(0, 4 - meeting_date.weekday()))
    if key == "next_week":
        monday = meeting_date + datetime.timedelta(days=7 - meeting_date.weekday())
        # "from next week": it starts on the Monday; "by next week": done by its Friday
        return monday if (g.get("edge") or "").strip() in ("from", "starting", "as of") else \
            monday + datetime.timedelta(days=4)
    if key == "month_first_week":
        year = int(g["year"]) if g.get("year") else meeting_date.year + 1 if g.get("nextyear") else None
        first = _next_on_or_after(1, MONTHS[g["month"].lower()], year, meeting_date)
        if first is None:
            return None
        if first.weekday() >= 3:  # a month starting on a Thursday or later: its first whole week
            first += datetime.timedelta(days=7 - first.weekday())
        return first if (g.get("edge") or "").strip() else first + datetime.timedelta(days=4 - first.weekday())
    if key == "weekend":
        return meeting_date + datetime.timedelta(days=6 - meeting_date.weekday())
    if key == "this_month":
        return meeting_date.replace(day=calendar.monthrange(meeting_date.year, meeting_date.month)[1])
    if key == "next_month":
        nxt = deadlines.add_months(meeting_date.replace(day=1), 1)
        return nxt.replace(day=calendar.monthrange(nxt.year, nxt.month)[1])
    return None


# "the Monday after panel", "the day after panel", "the Monday before panel", "before panel sits" (by its day):
# counted from the panel's date, once the meeting has said it ("January panel sits on the 14th")
_AFTER_PANEL = re.compile(rf"\b(?:(?:on |by )?the (?P<unit>day|{_WEEKDAY}) (?P<dir>after|before)|(?P<before>before|"
                          r"ahead of)) (?:the )?(?:[a-z]+ )?panel\b")
# "I'll take it to panel", "it goes to the next panel": on the panel's day, once the meeting has said it
_TO_PANEL = re.compile(r"\b(?:to|at|for|into|in front of) (?:the |our |this |that )?(?:next )?"
                       rf"(?:(?!{_MONTH}\b)[a-z]+ )?panel\b"
                       r"(?! (?:members?|paperwork|papers|forms?|process|decisions?|outcomes?|letters?|minutes|in)\b)")
_PANEL_ON = re.compile(r"\bpanel\b")
# "the Monday after half term", "Tuesday when we're back from Easter": that weekday in the first week back
_AFTER_BREAK = re.compile(rf"\b(?:(?:on )?the )?(?P<weekday>{_WEEKDAY})s?(?: (?:mornings?|afternoons?|lunchtimes?))? "
                          r"(?:after|when we(?:'re| are| get| come) back "
                          r"(?:from|after)|back from|straight after) (?:the )?(?P<event>half[- ]term|easter|christmas|"
                          r"spring break|winter break|thanksgiving)(?: holidays?| break)?\b")
# "the Friday before half term", "by the Friday before Thanksgiving": that weekday in the last week before the break
_BEFORE_BREAK_DAY = re.compile(rf"\b(?:(?:on|by) )?the (?P<weekday>{_WEEKDAY})(?: (?:morning|afternoon|lunchtime))? "
                               r"(?:before|ahead of) (?:the )?(?P<event>half[- ]term|easter|christmas|spring break|"
                               r"winter break|thanksgiving)(?: holidays?| break| vacation)?\b")
# the last school day before each break (as _TERM_PATTERNS names it)
_LAST_DAY_BEFORE = {"england": {"half": "half_term_before", "easter": "easter_before", "christmas": "christmas",
                                "winter": "christmas"},
                    "us": {"thanksgiving": "thanksgiving", "christmas": "winter_before", "winter": "winter_before",
                           "spring": "spring_before", "easter": "spring_before"}}
# "the first week back", "from the first week back after Easter": the week school comes back after the next holiday
# (or the one named); "by" it is its Friday, "from" it its first day
_FIRST_WEEK_BACK = re.compile(r"\b(?P<edge>from |starting |starting from |as of )?(?:by |in |during |for )?(?:the |that )?"
                              r"(?:first week back(?: after (?:the )?(?P<event>half[- ]term|easter|christmas|spring break|"
                              r"winter break)(?: holidays?| break)?)?(?: in january)?|week after (?:the )?(?P<after>half[- ]term|"
                              r"easter|christmas|spring break|winter break|thanksgiving)(?: holidays?| break)?"
                              # "the week we're back", "the week he's back": after the next holiday
                              r"|(?:first )?week (?:we|you|they|school)(?:'re| are|'s| is| get| gets| come| comes| goes) "
                              r"back"
                              # "when we're back in January": the first day back after Christmas
                              r"|(?P<january>when (?:we|you|they|school|everyone)(?:'re| are|'s| is| get| gets| come| comes) "
                              r"back (?:to school )?in january))\b")
# "the first Tuesday back after the holidays", "the first Wednesday back in January", "the Monday we come back":
# that weekday in the first week back
_FIRST_WEEKDAY_BACK = re.compile(rf"\b(?:(?:the|that) first (?P<weekday>{_WEEKDAY}) back(?: after (?:the )?(?P<event>"
                                 r"half[- ]term|easter|christmas|spring break|winter break)(?: holidays?| break)?"
                                 r"| after the (?:holidays|break))?"
                                 # "the Tuesday we come back", "the Tuesday after we're back"
                                 rf"|the (?P<weekday2>{_WEEKDAY}) (?:(?:after|when) )?"
                                 r"(?:we|you|they|school|the children|he|she)"
                                 r"(?: (?:come|comes|get|gets|go|goes|are|'re|is|'s)|'re|'s) back)\b")
# "after the holidays", "when we come back after the break": the first day back after the next holiday
_AFTER_HOLIDAYS = re.compile(r"\b(?:after|when we (?:come|get|are|'re) back (?:from|after)) the (?:holidays|break)\b")
# "before break", "the week before the holidays", "before we leave for break": the last day before the next holiday
_BEFORE_HOLIDAYS = re.compile(rf"\b(?:the (?:week|day) )?{_BEFORE_BREAK} (?:the )?(?:holidays|break)\b"
                              r"(?! (?:time|room|duty)\b)")
_A_DAY = re.compile(rf"\d|\b(?:{_DAYWORD})\b")


def _next_holiday(meeting_date, jurisdiction):
    """(The last school day before it, the first school day after it) for the next holiday of four weekdays or more
    (not a long weekend or Thanksgiving), from the typical term dates; None past them."""
    day, off, last = meeting_date, 0, meeting_date
    for _ in range(200):
        day += datetime.timedelta(days=1)
        if day.weekday() >= 5:
            continue
        open_ = _school_day(day, jurisdiction)
        if open_ is None:
            return None
        if not open_:
            off += 1
        elif off >= 4:
            return last, day
        else:
            off, last = 0, day
    return None


def _break_named(event):
    """The word a break is known by in the term-date keys: "half-term break" is "half", "spring break" "spring"."""
    return event.split()[0].split("-")[0]


def _first_week_back(meeting_date, jurisdiction, event=None):
    """The first school day after the next holiday of four weekdays or more (or after the one named), from the
    typical term dates; None past them."""
    key = {"half": "half_term_after", "easter": "easter_after", "spring": "spring_after", "winter": "winter_after",
           "thanksgiving": "thanksgiving_after",
           "christmas": "new_year" if jurisdiction == "england" else "winter_after"}.get(
        _break_named(event)) if event else None
    if key:
        return _term_date(key, meeting_date, jurisdiction)
    holiday = _next_holiday(meeting_date, jurisdiction)
    return holiday[1] if holiday else None


# events a meeting dates and then names again ("parents' evening is on the 18th" … "I'll grab you at parents'
# evening"): the word for each, and what names it again ("at", "before", "by", "after", "ready for" it)
_EVENTS = {
    "parents_evening": r"parents'? ?evening|parent[- ]teacher (?:conference|night|meeting)|open evening",
    "trip": r"(?:residential|school|class|field|overnight|camp) trip|trip|residential",
    "mocks": r"mocks|mock (?:exams?|gcses)",
    "inset": r"inset day|training day|teacher (?:work ?day|in-service day)",
    "appointment": r"appointment",
    "first_day": r"first (?:day|morning)|day one",
    "progress_report": r"(?:next )?progress report|report card",
    "hearing": r"hearing|tribunal",
    "meeting": r"(?:next |review |follow[- ]up )?meeting",
}
_EVENT = re.compile(r"\b(?:" + "|".join(rf"(?P<{k}>{v})" for k, v in _EVENTS.items()) + r")\b")
_EVENT_AGAIN = re.compile(r"\b(?P<prep>at|before|by|after|on|to|ahead of|until|till|(?:ready|in time) for|"
                          r"the (?:morning|day|evening) of)(?: (?:the|her|his|their|our|your|that|this|next))* "
                          r"(?P<event>(?:" + "|".join(_EVENTS.values()) + r")\b)")
# a start said with its day defines the first day ("mornings, starting the Tuesday after half term")
_STARTS = re.compile(r"\b(?:starts?|starting|start date|comes? back|back in)\b")


def event_dates(text, meeting_date, jurisdiction, asked=None):
    """{event: day} for the events ``text`` gives a day ("the next panel, which is on the 14th of May", "parents'
    evening's on the eighteenth", "the meeting on the fourteenth"): each event the day said nearest it. asked: the
    event the sentence before asked about ("When's parents' evening?" "It's the eighteenth."), for words that name
    none."""
    lowered = (text or "").replace("’", "'").lower()
    if _AFTER_PANEL.search(lowered) or not (asked or _EVENT.search(lowered) or _PANEL_ON.search(lowered) or
                                            _STARTS.search(lowered)):
        return {}  # no event named or asked about: most sentences, read no further
    found, plain, _ = _phrases(lowered, meeting_date, jurisdiction, None, (None, None))
    days = [f for f in found if f[2].date and f[2].date >= meeting_date and f[3] != "today" and (
        # "the Tuesday after half term" gives a day, about; "after half term" none
        f[3] in ("weekday_back", "event") or f[3] == "term" and _WEEKDAY_IN.search(f[2].phrase.lower()) or (
            _A_DAY.search(f[2].phrase) and not f[2].approx))]
    if not days:
        return {}
    named = [(m.start(), k) for m in _EVENT.finditer(plain) for k, v in m.groupdict().items() if v] + \
        [(m.start(), "panel") for m in _PANEL_ON.finditer(plain)] or \
        [(m.start(), "first_day") for m in _STARTS.finditer(plain)]
    if not named:
        return {asked: min(days, key=lambda f: f[0])[2].date} if asked else {}
    return {key: min(days, key=lambda f: min(abs(f[0] - place), abs(f[1] - place)))[2].date for place, key in named}


def event_asked(text):
    """The event a question asks the day of ("When's parents' evening?", "What day is panel?"), else None."""
    lowered = (text or "").replace("’", "'").lower()
    if not (lowered.rstrip().endswith("?") and re.search(r"\b(?:when|what day|what date)\b", lowered)):
        return None
    m = _EVENT.search(lowered)
    return next(k for k, v in m.groupdict().items() if v) if m else "panel" if _PANEL_ON.search(lowered) else None


# a past "we …ed" just before "today" says what happened today, not when something is due
_DONE = (r"(?:[a-z]+ed|said|made|heard|went through|turned down|talked about|spoke about|wrote|saw|took|gave|set|put|did|"
         r"got through)")
# "everything we turned down today", "what the team proposed or refused today": what today was
_DONE_TODAY = re.compile(rf"\b(?:we|you|i|they|everyone|everybody|the (?:team|school|district|panel|council|la))"
                         rf"(?: have|'ve| has| all)? {_DONE}(?: (?:or|and) {_DONE})? $")
_OF_TODAY = re.compile(r"(?:\b(?:everything|anything|all|notes|minutes|things|stuff|what we said|discussions?|decisions?|"
                       r"changes|meeting) (?:from|of)|\babout|^(?:(?:and|so|but|okay|right),? )?for) $")
# "I caught him this morning", "she rang this morning": a morning already gone, no due date
_PAST_MORNING = re.compile(r"\b(?:i|we|he|she|they|you|it)(?: \w+ly)? (?:[a-z]+ed|caught|saw|spoke|rang|had|was|were|did|"
                           r"said|told|got|sent|heard|met|went|came|took|gave|found|left|made|thought|felt|put|read|"
                           r"brought|bought|ran|wrote)\b[^.;!?]*$")
_MY_BY = re.compile(r"\bmy (?=(?:the end of|(?:the )?(?:half[- ]term|christmas|easter|thanksgiving|spring break|winter break))\b)")
# said in the middle of a date ("by, um, Friday", "within, like, six weeks", "by the, the end of term")
_FILLER = re.compile(r",? \b(?:u+m+|u+h+|e+r+m*|h+m+)\b,?(?= )|, (?:like|you know|i mean|say|let's say|shall we say|i'd say|hopefully|ideally|probably|realistically),(?= )"
                     r"|\b(by|on|within|in|before|after|until|from|for|the|next|end of)(,?(?: (?:u+m+|u+h+|e+r+m*),?)? \1\b)+"
                     # a word begun again: "by Friday n- next week"
                     r"|\b(?P<cut>[a-z]{1,4})- (?=(?P=cut))")


# a hedge said inside the date makes it "about" that day
_AT_THE_LATEST = re.compile(r",? at the (?:very )?latest\b")
_HEDGED = re.compile(r"\b(?:let's say|shall we say|i'd say|hopefully|ideally|probably|realistically)\b")


_A_DAY_OF_THE_MONTH = ("date_dm", "date_md", "day_only", "day_appos")
_NOT_THAT_DAY = re.compile(r"\bnot,? $")
# a day put right: "…Monday, oh, no, Monday's half term. By Friday.", "Thursday, sorry, Friday"
_CORRECTED = re.compile(r"[\s,.?!;:-]*(?:(?:oh|um|uh|er|well),?\s+)*(?:no|sorry|actually|wait|i mean|or rather|"
                        r"make (?:it|that)|scratch that)\b")
# what may come between a day and the day of the month that says it again
_ONLY_JOINING = re.compile(r"^[\s,.?!;:-]*(?:(?:then|so|um|uh|er|yeah|yes|okay|sorry|i mean),?[\s,.?!;:-]*)*$")
_RESTATING = re.compile(r"\b(?:so|that's|that'd be|that is|which is|which'd be|that'll be|it's|making it),? $")
_WEEKDAY_IN = re.compile(_WEEKDAY_NAMES)


def _says_again(between, key):
    """Whether a day of the month said after a day, with ``between`` them, says that day again."""
    if _ONLY_JOINING.match(between) or _RESTATING.search(between) and len(between.split()) <= 12:
        return True
    return key == "day_appos" and len(re.findall(r"[a-z']+", between)) <= 3


def _day_of(m):
    g = m.groupdict()
    return int(g["day"]) if g.get("day") else ORDINALS.get((g.get("dayword") or "").lower())


def _heard_plain(lowered):
    """The words with fillers and a repeated small word taken out, and where each kept character was."""
    kept, at, last = [], [], 0
    for m in _FILLER.finditer(lowered):
        at.extend(range(last, m.start()))
        kept.append(lowered[last:m.start()])
        if m.group(1):  # "by the, the end" keeps one "the"
            at.extend(range(m.start(), m.start() + len(m.group(1))))
            kept.append(m.group(1))
        last = m.end()
    at.extend(range(last, len(lowered)))
    kept.append(lowered[last:])
    return "".join(kept), at


# "the day after", "the Friday before", "the week after", "that day", "within a week of that": counted from a day
# said just before (in the same words, else the day the meeting last named: ``anchor``)
_ANCHORED = re.compile(rf"\b(?:(?:on|by) )?the (?P<unit>day|week|morning|{_WEEKDAY}) (?P<dir>after|before)"
                       r"(?! (?:next|that|this|the|it|he|she|they|we|you|i|his|her|their|our|your|half|easter|"
                       r"christmas|school|panel|thanksgiving|spring|winter|summer|tomorrow|[a-z]+ing)\b)(?:,? then)?"
                       r"|\b(?:(?:on|by) )?the (?:next|following) (?P<next>day|morning)\b"
                       r"|\b(?:(?:on|by) )?(?:the same|that) (?P<same>day|morning)\b(?! (?:before|after)\b)"
                       r"|\b(?P<then>by|before) then\b"
                       rf"|\bwithin {_NUM} (?P<count>working days?|school days?|days?|weeks?) of "
                       r"(?:that|it|then|(?P<panel>panel|the panel))\b")
# the days that can anchor "the day after" said in the same words: a day of the month, a weekday, tomorrow, a
# weekday back after a break
_NAMED_DAY = ("date_dm", "date_md", "day_only", "day_appos", "weekday", "tomorrow", "panel", "weekday_back",
              "event")


def _from_anchor(m, base, jurisdiction):
    """The day an anchored phrase (:data:`_ANCHORED`) says, counted from ``base``."""
    g = m.groupdict()
    if g["same"]:
        return base
    if g["then"]:
        return base  # "before then", "by then": by that day
    if g["next"]:
        return base + datetime.timedelta(days=1)
    if g["n"]:
        n = _number(g["n"]) or 1
        if g["count"].startswith("working"):
            return deadlines.add_working_days(base, n, jurisdiction)
        if g["count"].startswith("school"):
            return _add_school_days(base, n, jurisdiction)
        return base + datetime.timedelta(days=n * (7 if g["count"].startswith("week") else 1))
    after = g["dir"] == "after"
    if g["unit"] in ("day", "morning"):
        return base + datetime.timedelta(days=1 if after else -1)
    if g["unit"] == "week":
        # "they write to you the week after": by its Friday; "she'll phone you the week before": by that Friday
        monday = base - datetime.timedelta(days=base.weekday())
        return monday + datetime.timedelta(days=11 if after else -3)
    weekday = WEEKDAYS[g["unit"]]
    if after:
        return base + datetime.timedelta(days=(weekday - base.weekday()) % 7 or 7)
    return base - datetime.timedelta(days=(base.weekday() - weekday) % 7 or 7)


def day_named(text, meeting_date, jurisdiction, events=None, anchor=(None, None)):
    """What ``text`` says last of when: (the last day it names, a date, a weekday or tomorrow, for "the day after";
    the last date it gives, a deadline too, for "by then"), each None where it says none. anchor: what was said
    before, for "the twenty-eighth" said again after "the 28th of January"."""
    found = _phrases(text, meeting_date, jurisdiction, events, anchor)[0]
    dates = [f for f in found if f[2].date is not None and f[2].date >= meeting_date and f[3] != "today"]
    days = [f for f in dates if f[3] in _NAMED_DAY]
    return (max(days, key=_said_last)[2].date if days else None,
            max(dates, key=_said_last)[2].date if dates else None)


def _said_last(phrase):
    """Order phrases by where they end (of "on Thursday the sixth" and the "Thursday" in it, the whole one last)."""
    return phrase[1], -phrase[0]


def resolve(text, meeting_date, jurisdiction, events=None, anchor=(None, None)):
    """Return the first due phrase in ``text`` as a :class:`Due`, or None when no time was said.

    events: the days of events the meeting gave ({"panel": day, "trip": day}, :func:`event_dates`), for "the day
    after panel", "before the trip";
    anchor: what the meeting last said of when (:func:`day_named`), for "the day after", "by then".
    """
    found, lowered, said = _phrases(text, meeting_date, jurisdiction, events, anchor)
    return _chosen(found, lowered, said, meeting_date)


def _phrases(text, meeting_date, jurisdiction, events, anchor):
    """Each time phrase in ``text``: [(start, end, Due, key, day of the month or None)], the words in lower case as
    read, and said(start, end), the words as said."""
    # "by half term" heard as "my half term" (as "my Friday"): same length, so the phrase's place holds
    lowered, at = _heard_plain(_MY_BY.sub("by ", (text or "").replace("’", "'").lower()))

    def said(start, end):  # the words as said, fillers and all
        return text[at[start]:at[end - 1] + 1]

    found = []
    events = events or {}
    panel = events.get("panel")
    # "the Monday after panel" with no panel said is no Monday we know: the weekday in it says nothing alone
    masked = []  # spans read as a whole ("the Friday before Thanksgiving"): no phrase starting inside is read again

    def inside(m):
        return any(a <= m.start() < b for a, b in masked)
    for m in _AFTER_PANEL.finditer(lowered):
        masked.append((m.start(), m.end()))
        if panel is None or panel < meeting_date:
            continue
        if m.group("before"):
            when = panel  # "I'll have it to you before panel": by the day it sits
        elif m.group("dir") == "before":
            when = panel - datetime.timedelta(days=1 if m.group("unit") == "day" else
                                              (panel.weekday() - WEEKDAYS[m.group("unit")]) % 7 or 7)
        elif m.group("unit") == "day":
            when = panel + datetime.timedelta(days=1)
        else:
            when = panel + datetime.timedelta(days=(WEEKDAYS[m.group("unit")] - panel.weekday()) % 7 or 7)
        found.append((m.start(), m.end(), Due(said(m.start(), m.end()), when), "panel", None))
    for m in _TO_PANEL.finditer(lowered) if panel is not None and panel >= meeting_date else ():
        if not inside(m):
            masked.append((m.start(), m.end()))
            found.append((m.start(), m.end(), Due(said(m.start(), m.end()), panel), "panel", None))
    # "at parents' evening", "before the trip", "after the INSET day": on the day the meeting gave it
    for m in _EVENT_AGAIN.finditer(lowered):
        key = next(k for k, v in _EVENT.match(lowered, m.start("event")).groupdict().items() if v)
        when = events.get(key)
        if when is None or when < meeting_date or inside(m):
            continue
        if m.group("prep") == "after" and key == "inset":
            when = _weekday_from(when, 1)  # no school that day: the next day there is
        masked.append((m.start(), m.end()))
        found.append((m.start(), m.end(), Due(said(m.start(), m.end()), when), "event", None))
    # "the Monday after Easter", "the first Tuesday back after the holidays": that weekday in the first week back
    for pattern, key in ((_AFTER_BREAK, "term"), (_FIRST_WEEKDAY_BACK, "weekday_back")):
        for m in pattern.finditer(lowered) if jurisdiction else ():
            back = _first_week_back(meeting_date, jurisdiction, m.group("event"))
            if back is not None:
                masked.append((m.start(), m.end()))
                weekday = WEEKDAYS[m.group("weekday") or m.groupdict().get("weekday2")]
                when = back + datetime.timedelta(days=(weekday - back.weekday()) % 7)
                found.append((m.start(), m.end(), Due(said(m.start(), m.end()), when, approx=True), key, None))
    for m in _BEFORE_BREAK_DAY.finditer(lowered) if jurisdiction else ():
        key = _LAST_DAY_BEFORE[jurisdiction].get(_break_named(m.group("event")))
        last = _term_date(key, meeting_date, jurisdiction) if key else None
        if last is not None:
            masked.append((m.start(), m.end()))
            when = last - datetime.timedelta(days=(last.weekday() - WEEKDAYS[m.group("weekday")]) % 7)
            found.append((m.start(), m.end(), Due(said(m.start(), m.end()), when, approx=True), "term", None))
    for m in _FIRST_WEEK_BACK.finditer(lowered) if jurisdiction else ():
        back = _first_week_back(meeting_date, jurisdiction, m.group("event") or m.group("after") or (
            "christmas" if m.group("january") else None))
        if back is not None:
            masked.append((m.start(), m.end()))
            when = back if m.group("edge") or m.group("january") else back + datetime.timedelta(days=4 - back.weekday())
            found.append((m.start(), m.end(), Due(said(m.start(), m.end()), when, approx=True), "term", None))
    anchored = []
    for m in _ANCHORED.finditer(lowered):
        # "the Friday before" with no day to count from is no Friday we know: it says nothing alone
        masked.append((m.start(), m.end()))
        anchored.append(m)
    for m in _BEFORE_HOLIDAYS.finditer(lowered) if jurisdiction else ():
        holiday = _next_holiday(meeting_date, jurisdiction)
        if holiday is not None:
            masked.append((m.start(), m.end()))
            found.append((m.start(), m.end(), Due(said(m.start(), m.end()), holiday[0], approx=True), "term", None))
    for m in _AFTER_HOLIDAYS.finditer(lowered) if jurisdiction else ():
        back = _first_week_back(meeting_date, jurisdiction)
        if back is not None:
            found.append((m.start(), m.end(), Due(said(m.start(), m.end()), back, approx=True), "term", None))
    for key, pattern in _PATTERNS:
        for m in pattern.finditer(lowered):
            if inside(m):
                continue
            if key == "today" and (_DONE_TODAY.search(lowered, 0, m.start()) or _OF_TODAY.search(lowered, 0, m.start())):
                # "everything we turned down today", "the changes we agreed today", "the revised IEP with everything
                # from today", "for today, the ESY piece goes in the notice": what today was
                continue
            if m.group().startswith("this morning") and _PAST_MORNING.search(lowered, 0, m.start()):
                continue
            when = _resolve_one(key, m, meeting_date, jurisdiction)
            if when is not None:
                # school days that skip a holiday hang on typical term dates: "about"
                approx = key == "school_days" and when != _resolve_one("working_days", m, meeting_date, jurisdiction)
                found.append((m.start(), m.end(), Due(said(m.start(), m.end()), when, approx=approx), key,
                              _day_of(m) if key in _A_DAY_OF_THE_MONTH else None))
    for key, pattern in _TERM_PATTERNS.get(jurisdiction, ()):
        for m in pattern.finditer(lowered):
            if inside(m):
                continue  # "before Thanksgiving" in "the Friday before Thanksgiving": the day said, not the break
            when = _term_date(key, meeting_date, jurisdiction, m.groupdict().get("named") or m.groupdict().get("edge"))
            if when is not None:
                found.append((m.start(), m.end(), Due(said(m.start(), m.end()), when, approx=True),
                              "term_during" if key == "term_during" else "term", None))
    named_day, named_date = anchor
    if named_day is not None:
        # "Thursday the twenty-eighth of January?" "The twenty-eighth works.": the day said again, of that month
        found = [f if f[3] not in ("day_only", "day_appos") or f[4] != named_day.day or _MONTH_BEFORE.search(
            lowered, max(0, f[0] - 40), f[0]) else (*f[:2], dataclasses.replace(f[2], date=named_day), *f[3:])
            for f in found]
    for m in anchored:
        # "Panel's on the fifth, and they write to you the week after": from the day just said, else the last named
        deadline = m.group("then") or m.group("n")  # "by then", "within a week of that": any date said will do
        before = [f for f in found if f[1] <= m.start() and f[2].date is not None and f[3] != "today" and (
            deadline or f[3] in _NAMED_DAY)]
        base = max(before, key=_said_last)[2].date if before else \
            panel if m.group("panel") and panel is not None else named_date if deadline else named_day
        if base is not None and base >= meeting_date:
            found.append((m.start(), m.end(), Due(said(m.start(), m.end()), _from_anchor(m, base, jurisdiction)),
                          "anchored", None))
    # "Not tomorrow, next Thursday", "Well, not this Thursday. Next Thursday": a day turned down is no due date
    found = [f for f in found if not _NOT_THAT_DAY.search(lowered, max(0, f[0] - 6), f[0])]
    # a lone "the second" is too often an order to be a day; after another date it says which day that was
    found = [f for f in found if f[3] != "day_appos" or f[4] > 3]
    recurring = _RECURRING.search(lowered)
    if not found and recurring:
        found = [(recurring.start(), recurring.end(), Due(said(recurring.start(), recurring.end()), None,
                                                          recurring=True), "recurring", None)]
    return found, lowered, said


_WEEKDAY_LIST = re.compile(rf"\b{_WEEKDAY_NAMES}s?(?:,? (?:and )?{_WEEKDAY_NAMES}s?\b)+")
_STARTING = re.compile(r"\b(?:starting|starts|start|beginning|from)(?: on| from)? $")
_FROM_NEXT_WEEK = re.compile(r"(?:from|starting|as of) next week\b")
_WEEKDAYS_RECURRING = re.compile(rf"\b(?:({_WEEKDAY_NAMES})s|(?:every|each)(?: other)? ({_WEEKDAY_NAMES}))\b")


# the day a thing is for, said just before the day's words: "the details for the sixteenth"
_FOR_THE_DAY = re.compile(rf"for (?:the )?(?:[a-z]+ )?(?:the )?(?:\d{{1,2}}(?:st|nd|rd|th)?|{_DAYWORD})\b"
                          # not "for the first week back"
                          r"(?! (?:week|weeks|term|half|time|things?|few|lessons?|sessions?|meetings?|days?|months?|"
                          r"years?|visit|review)\b)")


def _chosen(found, lowered, said, meeting_date):
    """The due date of the phrases found (:func:`_phrases`): the first said, unless later words put it right."""
    if not found:
        return None
    if found[0][3] == "recurring":
        return found[0][2]
    # "She'll do it first thing, when they come in, from Monday": the day said, first thing its time
    found = [f for f in found if f[3] != "first_thing"] or found
    days = {f[0]: f for f in found if f[3] in _A_DAY_OF_THE_MONTH}
    # the earliest phrase; of phrases that start together, the longest; but "today, tomorrow at the latest" and
    # "today or tomorrow" are due by the later
    start, end, due, key, _ = min(found, key=lambda f: (f[0], -f[1]))
    if len(found) > 1 and _FOR_THE_DAY.match(lowered, start):
        # "I'll send Lisa the details for the sixteenth this afternoon": the day the thing is for, then when it is done
        when_done = [f for f in found if f[0] >= end and not _FOR_THE_DAY.match(lowered, f[0])]
        if when_done:
            start, end, due, key, _ = when_done[0]
    if key == "term_during" and len(found) > 1:
        # "dates for a transition review in the summer term within two weeks": the other date is the action's
        start, end, due, key, _ = min((f for f in found if f[3] != "term_during"), key=lambda f: (f[0], -f[1]))
    if key == "weekday" and _WEEKDAY_LIST.search(lowered):
        # "Tuesday, Thursday, Friday, mornings, starting the Tuesday after half term": the days say how often, the
        # start when
        start_at = [f for f in found if f[0] > end and _STARTING.search(lowered, 0, f[0])]
        if start_at:
            start, end, due, key, _ = start_at[0]
    # "today or tomorrow", "Monday? Tuesday at the latest", "Friday? Friday week.": the later
    later = [f for f in found if f[0] >= end and lowered[end:f[0]].strip(" ,") in ("", "or", "?")
             and (lowered[end:f[0]].strip(" ,") in ("or", "?") or _AT_THE_LATEST.match(lowered, f[1]))]
    if later and later[0][2].date > due.date:
        start, end, due, key, _ = later[0]
    if due.approx or key == "today":
        # "after half term, the first Thursday back", "now, this month": the rough time, then the day it means
        closer = next((f for f in found if f[0] >= end and lowered[end:f[0]].strip() == ","), None)
        if closer is not None and closer[2].date is not None and closer[2].date >= due.date:
            start, end, due, key, _ = closer
    if _CORRECTED.match(lowered, end):
        # "by Monday, oh, no, Monday's half term. By Friday.": the day it was put right to
        righted = [f for f in found if end <= f[0] <= end + 80 and f[2].date != due.date]
        if righted:
            start, end, due, key, _ = righted[-1]
    if key not in _A_DAY_OF_THE_MONTH:
        # "the Friday before, the twelfth", "the second Tuesday, so May eleventh": the day said again pins it
        again = next((f for at, f in sorted(days.items()) if end <= at <= end + 80 and _says_again(lowered[end:at],
                                                                                                    f[3])), None)
        if again is not None:
            when = again[2].date
            if key == "weekday" and again[3] != "date_dm" and again[3] != "date_md":
                weekday = WEEKDAYS[_WEEKDAY_IN.search(lowered, start, end).group(0)]
                when = next((d for d in (meeting_date + datetime.timedelta(days=n) for n in range(0, 190))
                             if d.day == again[4] and d.weekday() == weekday), when)
            start, end, due = start, again[1], Due(said(start, again[1]), when)
    if key == "next_week" and _FROM_NEXT_WEEK.match(due.phrase.lower()) and due.date.weekday() == 0:
        # "I'll start seeing him Wednesdays, starting next week": the one day of the week it recurs on is the first
        days = {WEEKDAYS[m.group(1) or m.group(2)] for m in _WEEKDAYS_RECURRING.finditer(lowered)}
        if len(days) == 1:
            due = dataclasses.replace(due, date=due.date + datetime.timedelta(days=days.pop()))
    if due.date < meeting_date:
        return None
    if _HEDGED.search(due.phrase.lower()):
        due = dataclasses.replace(due, approx=True)  # "by, let's say, the twenty-ninth": about then
    return due
