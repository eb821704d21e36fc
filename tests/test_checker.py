import json
import pathlib
import shutil
import subprocess

import pytest

from server import checker, rules

ROOT = pathlib.Path(__file__).resolve().parent.parent
RUNNER = ROOT / "tests" / "js" / "run_checker.mjs"
SMART = (
    "By the end of the summer term 2027, Sam will read a Year 3 book aloud with at least 95% "
    "word accuracy, independently, checked by a running record each half-term"
)
FULL_PROVISION = (
    "Sam will receive 30 minutes of 1:1 structured phonics teaching, 4 times a week, from a TA "
    "trained and supervised termly by a specialist teacher, outside the classroom."
)


def _examples():
    """Yield (jurisdiction, rule, kind, expect_flag, text, child_name) for every data example."""
    for jurisdiction in rules.JURISDICTIONS:
        for rule in rules.wording_rules(jurisdiction)["rules"]:
            examples = rule["examples"]
            for kind in rule["applies_to"]:
                for expect, key in ((True, "flag"), (False, "ok")):
                    for text in examples[key]:
                        yield jurisdiction, rule["id"], kind, expect, text, examples.get("child_name")


EXAMPLES = list(_examples())


def _ids(text, kind="provision", jurisdiction="england", **kwargs):
    return [flag.rule_id for flag in checker.check(text, kind, jurisdiction, **kwargs)]


@pytest.mark.parametrize(
    ("jurisdiction", "rule_id", "kind", "expect", "text", "child_name"),
    EXAMPLES,
    ids=[f"{e[0]}-{e[1]}-{e[2]}-{'flag' if e[3] else 'ok'}-{i}" for i, e in enumerate(EXAMPLES)],
)
def test_data_examples(jurisdiction, rule_id, kind, expect, text, child_name):
    # test that each "flag" example trips its rule and each "ok" example does not
    ids = _ids(text, kind, jurisdiction, child_name=child_name)
    assert (rule_id in ids) is expect, ids


@pytest.mark.parametrize("jurisdiction", rules.JURISDICTIONS)
def test_benefit_from_access_to(jurisdiction):
    ids = _ids("Sam would benefit from access to a quiet space at lunchtime", jurisdiction=jurisdiction)
    assert "benefit_from" in ids
    assert "access_to" in ids


@pytest.mark.parametrize("jurisdiction", rules.JURISDICTIONS)
@pytest.mark.parametrize(
    ("text", "expect"),
    (
        ("up to 5 hours of TA support a week", True),
        ("Up to 6 sessions of speech therapy per term", True),
        ("up to 30-minute sessions with the ELSA", True),
        ("access to the building up to 8:45", False),
        ("Sam may arrive at any time up to 9 o'clock", False),
        ("a nurture group of up to 6 pupils", False),
        ("at least 5 hours of TA support a week", False),
    ),
)
def test_up_to(jurisdiction, text, expect):
    assert ("up_to" in _ids(text, jurisdiction=jurisdiction)) is expect


@pytest.mark.parametrize(
    ("text", "rule_id"),
    (
        ("Movement breaks as and when needed", "as_needed"),
        ("Regular check-ins with the SENCO", "regularly"),
        ("Support to be determined by the school", "delegated"),
        ("1:1, small group or whole class as appropriate", "any_mode"),
        ("Band 3 funding", "money_only"),
        ("Sam will have opportunities to practise turn-taking", "opportunities"),
        ("Speech and language therapy for 30 minutes weekly", "therapy_mode"),
        ("Direct OT from the occupational therapist", "therapy_sessions"),
    ),
)
def test_england_provision_phrases(text, rule_id):
    assert rule_id in _ids(text)


def test_smart_target_has_no_high_flags():
    flags = checker.check(SMART, "target", "england", child_name="Sam")
    assert [f.rule_id for f in flags if f.severity == "high"] == []
    # test that the same target is clean under the US rules too
    assert [f for f in checker.check(SMART, "target", "us") if f.severity == "high"] == []


@pytest.mark.parametrize("jurisdiction", rules.JURISDICTIONS)
def test_weak_target(jurisdiction):
    ids = _ids("X will improve his literacy", "target", jurisdiction)
    assert "not_measurable" in ids
    assert "not_time_bound" in ids
    assert "vague_verb" in ids


def test_fully_specified_provision_has_no_missing_flags():
    flags = checker.check(FULL_PROVISION, "provision", "england")
    assert [f for f in flags if f.start is None] == []
    assert flags == []


def test_fully_specified_us_service():
    text = "Speech-language therapy, 30 minutes 2 times per week in the speech room, starting 9/1/2027, by the SLP"
    assert checker.check(text, "provision", "us") == []
    ids = _ids("OT as needed", jurisdiction="us")
    assert "as_needed" in ids
    # test that a short line skips the "missing" rules (fewer than min_words words)
    assert "no_duration" not in ids
    assert "no_duration" in _ids("OT as needed in class", jurisdiction="us")


def test_consult_without_minutes():
    assert "consult_no_minutes" in _ids("OT consult monthly in the classroom", jurisdiction="us")
    assert "consult_no_minutes" not in _ids(
        "OT consult 30 minutes monthly in the classroom", jurisdiction="us"
    )


def test_us_access_to_curriculum_not_flagged():
    ids = _ids("Accommodations to support access to the general education curriculum", jurisdiction="us")
    assert "access_to" not in ids


def test_spans_point_at_match():
    text = "Sam would benefit from access to a quiet space, where possible."
    flags = checker.check(text, "provision", "england")
    positioned = [f for f in flags if f.start is not None]
    assert positioned
    for flag in positioned:
        # test that start/end slice out exactly the matched text
        assert text[flag.start : flag.end] == flag.match
    spans = {f.rule_id: text[f.start : f.end] for f in positioned}
    assert spans["benefit_from"] == "would benefit from"
    assert spans["access_to"] == "access to"
    assert spans["where_possible"] == "where possible"


def test_one_flag_per_match():
    flags = checker.check("Regular reading and regular maths, weekly with a TA for 20 minutes", "provision", "england")
    assert [f.match for f in flags if f.rule_id == "regularly"] == ["Regular", "regular"]


def test_sorted_by_severity_then_position():
    flags = checker.check("Sam should be encouraged to read, where possible", "provision", "england")
    order = [checker.SEVERITY_ORDER[f.severity] for f in flags]
    assert order == sorted(order)
    highs = [f for f in flags if f.severity == "high"]
    starts = [f.start for f in highs if f.start is not None]
    assert starts == sorted(starts)
    # test that positioned flags come before missing-element flags of the same severity
    assert [f.start is None for f in highs] == sorted(f.start is None for f in highs)


def test_unless_suppresses():
    assert "small_group" in _ids("Small group phonics daily with a TA for 20 minutes")
    assert "small_group" not in _ids("Small group phonics daily with a TA for 20 minutes, group of 4")


def test_child_name_rule():
    text = "Reading age to increase by 12 months by July 2027"
    # test that the child-subject rule runs only when a name is given
    assert "target_no_child" not in _ids(text, "target")
    assert "target_no_child" in _ids(text, "target", child_name="Sam")
    assert "target_no_child" not in _ids("Sam's reading age to increase by 12 months by July 2027", "target", child_name="Sam Smith")
    # test that odd characters in names are escaped, not read as regex syntax
    assert "target_no_child" not in _ids("By July 2027 (J.) will read 20 words independently", "target", child_name="(J.)")


@pytest.mark.parametrize("text", ("", "   ", None, 42))
def test_empty_or_odd_text(text):
    assert checker.check(text, "provision", "england") == []


def test_unknown_kind():
    assert checker.check("would benefit from", "wish", "england") == []


def test_to_dict():
    flag = checker.check("would benefit from", "provision", "england")[0]
    data = flag.to_dict()
    assert set(data) == {
        "rule_id", "severity", "title", "explanation", "suggestion", "source", "verified",
        "start", "end", "match",
    }
    assert json.loads(json.dumps(data)) == data


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize("jurisdiction", rules.JURISDICTIONS)
def test_js_engine_matches_python(jurisdiction, tmp_path):
    rules_path = tmp_path / "rules.json"
    wording = rules.wording_rules(jurisdiction)
    rules_path.write_text(json.dumps(wording), encoding="utf-8")
    cases = [
        {"text": text, "kind": kind, "child_name": child}
        for j, _, kind, _, text, child in EXAMPLES
        if j == jurisdiction
    ]
    extra = [SMART, FULL_PROVISION, "X will improve his literacy", "access to the building up to 8:45",
             "Sam would benefit from access to a quiet space", "", "  ", "Zoë – 30 min/week ✓ 😀 as needed"]
    cases += [{"text": t, "kind": k, "child_name": c} for t in extra for k in ("provision", "target") for c in (None, "Zoë Sam")]
    result = subprocess.run(
        ["node", str(RUNNER), str(rules_path)],
        input=json.dumps(cases), capture_output=True, text=True, check=True, cwd=ROOT,
    )
    js = json.loads(result.stdout)
    assert len(js) == len(cases)
    for case, js_flags in zip(cases, js):
        py_flags = [
            f.to_dict()
            for f in checker.check_rules(case["text"], case["kind"], wording, child_name=case["child_name"])
        ]
        if "😀" in case["text"]:
            # test that astral characters only shift spans (UTF-16 vs code points), never the rules
            key = lambda flags: [(f["rule_id"], f["match"]) for f in flags]
            assert key(js_flags) == key(py_flags), case
        else:
            # test that both engines give identical flags, spans and order
            assert js_flags == py_flags, case
