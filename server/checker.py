"""Advisory wording checker for provision lines and targets.

The rules are data (``server/data/<jurisdiction>/wording.json``); this module
only applies them. ``pwa/js/checker.js`` is the same engine in JavaScript and
must keep the same semantics:

- ``"phrase"`` rules flag every non-empty match of ``pattern``, unless
  ``unless`` matches anywhere in the text;
- ``"missing"`` rules flag once when ``pattern`` does not match, but only for
  texts of at least ``min_words`` words (default 4), and also not when
  ``unless`` matches;
- ``{child}`` in a pattern stands for the child's name; rules that use it are
  skipped when no name is given;
- matching is case-insensitive and runs over the whole text.

Spans are Python string indices; the JS engine gives UTF-16 indices, which
differ only after characters outside the Basic Multilingual Plane (emoji).
"""

import dataclasses
import functools
import re

from server import rules as rules_data

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
DEFAULT_MIN_WORDS = 4
CHILD = "{child}"
# Escapes exactly the characters checker.js escapes, so both build the same pattern.
_SPECIAL = re.compile(r"[.*+?^${}()|\[\]\\/\-]")


@dataclasses.dataclass(frozen=True)
class Flag:
    """One advisory finding about a piece of text."""

    rule_id: str
    severity: str
    title: str
    explanation: str
    suggestion: str
    source: str
    verified: str
    start: int | None = None
    end: int | None = None
    match: str | None = None

    def to_dict(self) -> dict:
        """Return the flag as a JSON-ready dict (the same keys as checker.js)."""
        return dataclasses.asdict(self)


@functools.lru_cache(maxsize=1024)
def _compile(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.IGNORECASE)


def _child_pattern(child_name: str) -> str:
    parts = [_SPECIAL.sub(lambda m: "\\" + m.group(0), p) for p in child_name.split() if len(p) > 1]
    return "(?:" + "|".join(parts) + ")" if parts else ""


def _fill(pattern: str | None, child: str | None) -> str | None:
    if pattern is None or CHILD not in pattern:
        return pattern
    return pattern.replace(CHILD, child) if child else None


def _flag(rule: dict, start=None, end=None, match=None) -> Flag:
    return Flag(
        rule_id=rule["id"],
        severity=rule["severity"],
        title=rule["title"],
        explanation=rule["explanation"],
        suggestion=rule.get("suggestion") or "",
        source=rule["source"],
        verified=rule["verified"],
        start=start,
        end=end,
        match=match,
    )


def check_rules(text: str, kind: str, rules: dict, *, child_name: str | None = None) -> list[Flag]:
    """Apply a parsed wording file to one text; see the module docstring for semantics."""
    if not isinstance(text, str) or not text.strip():
        return []
    child = _child_pattern(child_name) if isinstance(child_name, str) else ""
    words = len(text.split())
    found = []
    for order, rule in enumerate(rules.get("rules", [])):
        if kind not in rule.get("applies_to", ()):
            continue
        uses_child = CHILD in (rule.get("pattern") or "") + (rule.get("unless") or "")
        if uses_child and not child:
            continue
        pattern = _fill(rule["pattern"], child)
        unless = _fill(rule.get("unless"), child)
        if unless and _compile(unless).search(text):
            continue
        if rule["type"] == "phrase":
            for m in _compile(pattern).finditer(text):
                if m.end() > m.start():
                    found.append((order, _flag(rule, m.start(), m.end(), m.group(0))))
        elif rule["type"] == "missing":
            if words >= rule.get("min_words", DEFAULT_MIN_WORDS) and not _compile(pattern).search(text):
                found.append((order, _flag(rule)))
    found.sort(
        key=lambda pair: (
            SEVERITY_ORDER.get(pair[1].severity, len(SEVERITY_ORDER)),
            pair[1].start is None,
            pair[1].start or 0,
            pair[0],
        )
    )
    return [flag for _, flag in found]


def check(text: str, kind: str, jurisdiction: str, *, child_name: str | None = None) -> list[Flag]:
    """Check a provision line or target against a jurisdiction's wording rules.

    Args:
        text: the provision line (Section F / IEP service) or target.
        kind: ``"provision"`` or ``"target"``; any other kind gives no flags.
        jurisdiction: ``"england"`` or ``"us"``.
        child_name: the child's name, used by the "subject is the child" rule.

    Returns:
        Flags sorted by severity (high first), then position; missing-element
        flags (no span) follow the positioned ones of the same severity.
    """
    return check_rules(text, kind, rules_data.wording_rules(jurisdiction), child_name=child_name)
