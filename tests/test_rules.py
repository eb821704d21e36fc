import json
import re
from importlib.resources import files

import pytest

from server import rules

DATA_FILES = [
    "meeting_types.json",
    "england/roles.json",
    "us/roles.json",
    "england/timelines.json",
    "us/timelines.json",
    "england/wording.json",
    "us/wording.json",
]
TAGS = {"P", "2", "U"}


def _items(path):
    """Yield every dict in a data file that states a fact (has an id or a label)."""
    doc = rules.load(path)
    if path.endswith("roles.json"):
        yield from doc["roles"]
        yield from doc["slots"].values()
    elif path.endswith("timelines.json"):
        for steps in doc["timelines"].values():
            yield from steps
        yield from doc.get("state_notes", [])
    elif path.endswith("wording.json"):
        yield from doc["rules"]
    else:
        yield from doc["meeting_types"]
        yield from doc["plan_types"]


@pytest.mark.parametrize("path", DATA_FILES)
def test_data_file_shape(path):
    # test that every file is UTF-8 JSON with a version, jurisdiction and sources
    raw = files("server.data").joinpath(path).read_text(encoding="utf-8")
    doc = json.loads(raw)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}\.\d+", doc["version"])
    assert doc["jurisdiction"] in ("england", "us", "all")
    assert isinstance(doc["sources"], dict)
    # test that it is written with a 2-space indent
    assert raw == json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("path", DATA_FILES)
def test_every_fact_has_source_and_tag(path):
    doc = rules.load(path)
    for item in _items(path):
        # test that each fact carries a source and a domain.md verification tag
        assert item["source"], item
        assert item["verified"] in TAGS, item
        # test that each [E..]/[U..] key it cites is listed in the file's sources
        for key in re.findall(r"\[([EU]\d+)\]", item["source"]):
            assert key in doc["sources"], (path, key)


@pytest.mark.parametrize("path", DATA_FILES)
def test_ids_unique(path):
    ids = [item["id"] for item in _items(path) if "id" in item]
    if path.endswith("timelines.json"):
        # step ids are unique within one meeting kind
        for steps in rules.load(path)["timelines"].values():
            step_ids = [step["id"] for step in steps]
            assert len(step_ids) == len(set(step_ids))
    else:
        assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    "role_id",
    (
        "parent", "second_parent", "partner", "advocate", "senco", "head_teacher",
        "la_sen_officer", "class_teacher", "ta", "sendiass_adviser",
        "educational_psychologist", "salt", "ot", "social_worker",
    ),
)
def test_england_contract_roles(role_id):
    # test that the role ids DESIGN.md's contract relies on exist
    assert rules.role("england", role_id) is not None


@pytest.mark.parametrize(
    "role_id",
    ("parent", "second_parent", "partner", "advocate", "pti_advocate", "gen_ed_teacher",
     "sped_teacher", "lea_rep", "evaluator", "student"),
)
def test_us_contract_roles(role_id):
    assert rules.role("us", role_id) is not None


@pytest.mark.parametrize("jurisdiction", rules.JURISDICTIONS)
def test_role_slots_and_groups(jurisdiction):
    slots = rules.slots(jurisdiction)
    for role in rules.roles(jurisdiction):
        # test that each slot a role points at is defined, and every role has a group
        assert role["slot"] is None or role["slot"] in slots
        assert role["group"]
    # test that every required slot can be filled by some role
    filled = {role["slot"] for role in rules.roles(jurisdiction)}
    assert {key for key, slot in slots.items() if slot["required"]} <= filled
    # test that the partner role sits on the family side
    assert rules.role(jurisdiction, "partner")["group"] == "Family"


def test_us_slots_are_300_321():
    assert list(rules.slots("us")) == [f"a{i}" for i in range(1, 8)]
    assert rules.role("us", "lea_rep")["slot"] == "a4"


def test_england_reg_20_2_mapping():
    mapping = {r["id"]: r["slot"] for r in rules.roles("england")}
    assert mapping["head_teacher"] == "reg20_2_head"
    assert mapping["la_sen_officer"] == "reg20_2_la_sen"
    assert mapping["social_worker"] == "reg20_2_social_care"
    assert mapping["salt"] == "reg20_2_health"
    assert mapping["senco"] is None


def test_role_label():
    assert rules.role_label("england", "senco") == "SENCO / SENDCo"
    assert rules.role_label("us", "partner") == "Partner / second adult"
    # test that an unknown role id falls back to the id itself
    assert rules.role_label("england", "wizard") == "wizard"


@pytest.mark.parametrize("jurisdiction", ["england", "us"])
def test_family_side_is_the_family_group(jurisdiction):
    # test that every role the finder treats as the parent's side is on the family's side of the table,
    # so the minutes are never addressed to the parent's own adviser or solicitor as if to the school
    data = files("server.data").joinpath(jurisdiction, "suggestions.json").read_text()
    parent_side = set(json.loads(data)["parent_side"])
    ids = {r["id"] for r in rules.roles(jurisdiction)}
    assert parent_side & ids == {r for r in ids if rules.on_family_side(jurisdiction, r)}  # an interpreter too
    assert not any(rules.on_family_side(jurisdiction, r) for r in ("senco", "head_teacher", "educational_psychologist")
                   if r in ids)
    assert not rules.on_family_side(jurisdiction, "no_such_role")


@pytest.mark.parametrize("function", (rules.roles, rules.wording_rules, rules.slots))
def test_unknown_jurisdiction(function):
    with pytest.raises(ValueError, match="unknown jurisdiction 'wales'"):
        function("wales")


def test_meeting_types():
    ids = [t["id"] for t in rules.meeting_types()]
    for required in (
        "sen_support_review", "ehcp_annual_review", "interim_review", "transition_review",
        "iep_annual", "complaint_meeting", "other",
    ):
        assert required in ids
    plan_ids = {p["id"] for p in rules.plan_types()}
    jurisdiction_ids = {j["id"] for j in rules.jurisdictions()}
    assert plan_ids == {"sen_support", "ehcp", "iep"}
    assert jurisdiction_ids == set(rules.JURISDICTIONS)
    for meeting in rules.meeting_types():
        # test that each meeting type names known plan types and jurisdictions
        assert set(meeting["plan_types"]) <= plan_ids
        assert set(meeting["jurisdictions"]) <= jurisdiction_ids
    assert rules.meeting_type("ehcp_annual_review")["label"] == "EHCP annual review"
    assert rules.meeting_type("nope") is None


@pytest.mark.parametrize("jurisdiction", rules.JURISDICTIONS)
def test_timeline_steps(jurisdiction):
    meeting_ids = {t["id"] for t in rules.meeting_types() if jurisdiction in t["jurisdictions"]}
    timelines = rules.timelines_file(jurisdiction)["timelines"]
    # test that timelines exist only for this jurisdiction's meeting types
    assert set(timelines) <= meeting_ids
    for steps in timelines.values():
        for step in steps:
            assert step["relation"] in ("by", "on", "within", "after")
            assert step["kind"] in ("must", "should", "convention")
            assert step["if_missed"] and step["label"] and step["who"]
            (unit,) = step["offset"]
            assert unit in ("days", "weeks", "months", "working_days", "fixed")
    assert rules.timeline_rules(jurisdiction, "other") == []


@pytest.mark.parametrize("jurisdiction", rules.JURISDICTIONS)
def test_wording_rules_shape(jurisdiction):
    doc = rules.wording_rules(jurisdiction)
    assert doc["version"]
    for rule in doc["rules"]:
        assert rule["type"] in ("phrase", "missing")
        assert set(rule["applies_to"]) <= {"provision", "target"} and rule["applies_to"]
        assert rule["severity"] in ("high", "medium", "low")
        assert rule["title"] and rule["explanation"] and rule["suggestion"]
        assert rule["examples"]["flag"] and rule["examples"]["ok"]
        # test that wording never promises an outcome
        text = (rule["explanation"] + rule["suggestion"]).lower()
        assert "you will win" not in text and "unlawful" not in text


@pytest.mark.parametrize("jurisdiction", rules.JURISDICTIONS)
def test_wording_patterns_portable(jurisdiction):
    for rule in rules.wording_rules(jurisdiction)["rules"]:
        for key in ("pattern", "unless"):
            pattern = rule.get(key)
            if not pattern:
                continue
            # test that every pattern compiles in Python and never matches empty text
            compiled = re.compile(pattern.replace("{child}", "Sam"), re.IGNORECASE)
            assert compiled.fullmatch("") is None, rule["id"]
            # test that it avoids features JavaScript RegExp lacks or reads differently
            for banned in ("(?<", "(?P", "(?i", "(?s", "(?m", "(?x", "(?>", "*+", "++", "?+", "\\A", "\\Z", "\\z", "$"):
                assert banned not in pattern, (rule["id"], banned)


@pytest.mark.parametrize("jurisdiction", rules.JURISDICTIONS)
def test_lexicon_complete(jurisdiction):
    # test that the rules the product relies on are present
    ids = {rule["id"] for rule in rules.wording_rules(jurisdiction)["rules"]}
    assert {"benefit_from", "access_to", "up_to", "as_needed", "not_measurable", "not_time_bound"} <= ids
    if jurisdiction == "england":
        assert {
            "opportunities", "regularly", "where_possible", "subject_to_resources", "vague_support",
            "encouraged_to", "small_group", "no_named_adult", "delegated", "subject_to_review",
            "permissive_modal", "tailored_programme", "for_example", "monitor_advice", "any_mode",
            "money_only", "no_quantity", "no_frequency", "no_deliverer", "therapy_mode", "therapy_sessions",
        } <= ids
    else:
        assert {"consult_no_minutes", "no_frequency", "no_location", "no_duration"} <= ids


def test_unverified_rules_marked():
    # test that rules resting on [U] facts in domain.md are tagged for "check this"
    england = {r["id"]: r for r in rules.wording_rules("england")["rules"]}
    us = {r["id"]: r for r in rules.wording_rules("us")["rules"]}
    assert england["up_to"]["verified"] == "U"
    assert england["permissive_modal"]["verified"] == "U"
    assert us["as_needed"]["verified"] == "U"
    assert rules.role("england", "portage")["verified"] == "U"
    assert rules.role("england", "dco")["verified"] == "U"
