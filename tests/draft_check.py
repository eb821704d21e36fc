"""Parse a draft's points and check each one against what was captured (used by the tests and bench/minutes.py).

A point is a line of section 4 (the items) or 5 (the actions) that states something. Each must cite a time
(``[HH:MM:SS]``). A quoted point's words must be in the utterance that starts at that second, and the person it
names must be that utterance's speaker, someone named in the words (an action said on someone's behalf), or the
parent's choice on a marker. Every number in a point must be in its words, except the due date worked out from
them, whose phrase must be in the words. A point in the parent's own words must be the text of a marker.
"""
import re

from server.minutes import findings
from server.minutes.render import md_unescape

TIME = re.compile(r"\[(\+?\d\d:\d\d:\d\d)")
QUOTE = re.compile(r"“(.*?)”")
NOT_POINTS = ("- Actions:", "- Views differed", "- Not recorded", "- Not marked", "- No agenda item",
              "- Outcome recorded", "- No actions", "- Nothing was noted")
POINT_START = re.compile(r"^(?:- (?P<kind>Refused|Agreed|Offered|Asked for|Question), (?P<who>.*?)(?: \(a proposal, "
                         r"not an agreement\))?: |(?P<n>\d+)\. (?P<owner>.*?)(?: \(said by (?P<said>.*?)\))?: |- )")


UNNAMED = ("by a person not identified", "Owner not named", "The speaker", "the parent", "A speaker not identified")


def point_lines(text):
    """Yield (section number, line) for each statement line of sections 4 and 5."""
    section = None
    for line in md_unescape(text).splitlines():
        m = re.match(r"^## (\d+)\.", line)
        if m:
            section = int(m.group(1))
            continue
        if section in (4, 5) and re.match(r"^(?:- |\d+\. )", line) and not line.startswith(NOT_POINTS):
            yield section, line


def _name(person):
    """"Ms Priya Khan (SENCO / SENDCo)" -> "Ms Priya Khan"."""
    return re.sub(r"\s*\(.*$", "", person or "").strip()


def check(text, clock, segments, events, attendees):
    """Return (problems, points checked); segments: the Capture's; events: live events; attendees: {id: name}.

    The parent's choices (a marker's by / owner / attendee_id) may name someone other than the speaker.
    """
    problems, checked = [], 0
    typed = [md_unescape(e.payload.get("text") or "") for e in events if (e.payload or {}).get("text")]
    chosen = {attendees.get(v) for e in events for k, v in (e.payload or {}).items()
              if k in ("by", "owner", "attendee_id")}
    for section, line in point_lines(text):
        checked += 1
        t = TIME.search(line)
        if t is None:
            problems.append(f"no time cited: {line}")
            continue
        second = clock.to_ms(t.group(1)) // 1000
        head = POINT_START.match(line)
        quote = QUOTE.search(line[head.end():] if head else line)
        who = (head.group("who") or head.group("owner")) if head else None
        said = head.group("said") if head else None
        if quote is None:
            if not any(x.strip().rstrip(".") in line for x in typed if x.strip()):
                problems.append(f"parent's words not from a marker: {line}")
            continue
        words = quote.group(1).rstrip("…")
        segs = [s for s in segments if s.start_ms // 1000 == second]
        seg = next((s for s in segs if words in s.text), None)
        if seg is None:
            problems.append(f"quote not in the utterance at {t.group(1)}: {line}")
            continue
        speaker = _name(seg.speaker)
        person = _name(said or who) if (said or who) else None
        if person in UNNAMED:
            if seg.speaker_id is not None and person != "Owner not named":
                problems.append(f"says no one was identified but {speaker!r} said it: {line}")
            continue
        if who and not said and person and person != speaker and person not in {_name(n) for n in chosen if n}:
            problems.append(f"named {person!r} but {speaker!r} said it: {line}")
        if said == "a person not identified":
            if seg.speaker_id is not None:
                problems.append(f"says no one was identified but {speaker!r} said it: {line}")
        elif said and _name(said) != speaker:
            problems.append(f"said by {said!r} but {speaker!r} said it: {line}")
        if said and who:
            owner_words = set(_name(who).lower().split())
            body_said = any(pattern.search(seg.text.lower()) for j in ("england", "us")
                            for _, pattern in findings.ruleset(j)["bodies"])
            if not owner_words & set(re.findall(r"[a-z]+", seg.text.lower())) and not who.startswith("the ") \
                    and not body_said:
                problems.append(f"owner {who!r} is not named in the words: {line}")
        due = re.search(r"Due: (.*?)(?: \(said: “(.*?)”\))?\.(?: \[|$)", line)
        if due and due.group(2) and due.group(2) not in seg.text:
            problems.append(f"due phrase not in the words: {line}")
        rest = re.sub(r"\(item 4\.\d+\)", "", line[:t.start()])
        if due:
            rest = rest.replace(due.group(0), "")
        for number in re.findall(r"\d+(?:[.,:]\d+)*", QUOTE.sub("", rest)):
            if number not in seg.text and not re.match(r"^\d+$", number):
                problems.append(f"number {number} not in the words: {line}")
    return problems, checked
