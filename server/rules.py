"""Load the versioned legal data files in ``server/data``.

Legal facts live in JSON, one folder per jurisdiction, so they can be corrected
without touching code. Every function here returns data read once and cached;
callers must not mutate what they get back.
"""

import functools
import json
from importlib.resources import files

JURISDICTIONS = ("england", "us")


@functools.cache
def load(path: str) -> dict:
    """Return one parsed data file, e.g. ``"england/roles.json"``."""
    return json.loads(files("server.data").joinpath(path).read_text(encoding="utf-8"))


def _check(jurisdiction: str) -> str:
    if jurisdiction not in JURISDICTIONS:
        raise ValueError(
            f"unknown jurisdiction {jurisdiction!r}; expected one of {', '.join(JURISDICTIONS)}"
        )
    return jurisdiction


def roles_file(jurisdiction: str) -> dict:
    """Return the whole roles file (version, sources, slots, roles) for a jurisdiction."""
    return load(f"{_check(jurisdiction)}/roles.json")


def roles(jurisdiction: str) -> list[dict]:
    """Return the attendee roles for a jurisdiction, in picker order."""
    return roles_file(jurisdiction)["roles"]


@functools.cache
def _role_index(jurisdiction: str) -> dict[str, dict]:
    return {role["id"]: role for role in roles(jurisdiction)}


def role(jurisdiction: str, role_id: str) -> dict | None:
    """Return one role by id, or None if the jurisdiction has no such role."""
    return _role_index(jurisdiction).get(role_id)


def on_family_side(jurisdiction: str, role_id: str) -> bool:
    """Whether a role is on the family's side of the table (its group in the roles file is "Family")."""
    found = role(jurisdiction, role_id)
    return found is not None and found["group"] == "Family"


def role_label(jurisdiction: str, role_id: str) -> str:
    """Return a role's display label; an unknown id is returned unchanged."""
    found = role(jurisdiction, role_id)
    return found["label"] if found else role_id


def slots(jurisdiction: str) -> dict[str, dict]:
    """Return the required-attendee slots (England reg 20(2), US 300.321(a))."""
    return roles_file(jurisdiction)["slots"]


def meeting_types() -> list[dict]:
    """Return every meeting type, in menu order."""
    return load("meeting_types.json")["meeting_types"]


def meeting_type(type_id: str) -> dict | None:
    """Return one meeting type by id, or None."""
    return next((t for t in meeting_types() if t["id"] == type_id), None)


def plan_types() -> list[dict]:
    """Return the plan types (SEN Support, EHC plan, IEP)."""
    return load("meeting_types.json")["plan_types"]


def jurisdictions() -> list[dict]:
    """Return the jurisdictions with their display labels."""
    return load("meeting_types.json")["jurisdictions"]


def timelines_file(jurisdiction: str) -> dict:
    """Return the whole timelines file (version, notes, sources, timelines)."""
    return load(f"{_check(jurisdiction)}/timelines.json")


def timeline_rules(jurisdiction: str, meeting_kind: str) -> list[dict]:
    """Return the deadline steps for a meeting kind; [] if it has none."""
    return timelines_file(jurisdiction)["timelines"].get(meeting_kind, [])


def wording_rules(jurisdiction: str) -> dict:
    """Return the whole wording-checker file (version, sources, rules)."""
    return load(f"{_check(jurisdiction)}/wording.json")


def prompts(jurisdiction: str) -> dict:
    """Return the prompt card (calm phrases and the recording consent script) for a jurisdiction."""
    return load(f"{_check(jurisdiction)}/prompts.json")
