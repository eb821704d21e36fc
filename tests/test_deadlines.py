import datetime

import pytest

from server import deadlines

D = datetime.date


def _due(kind, jurisdiction, meeting):
    return {step.id: step.due for step in deadlines.timeline(kind, jurisdiction, meeting)}


def test_ehcp_annual_review():
    due = _due("ehcp_annual_review", "england", D(2026, 12, 1))
    # test that the reg 20 / reg 22 clocks run from the meeting date
    assert due["meeting_notice"] == D(2026, 11, 17)
    assert due["papers_circulated"] == D(2026, 11, 17)
    assert due["review_meeting"] == D(2026, 12, 1)
    assert due["review_report"] == D(2026, 12, 15)
    assert due["la_decision"] == D(2026, 12, 29)
    assert due["amendment_proposals"] == D(2026, 12, 29)
    assert due["final_amended_plan"] == D(2027, 2, 23)
    # test that s.44(1)'s "12 months starting with" the date counts that date as day 1
    assert due["next_review"] == D(2027, 11, 30)


def test_timeline_sorted_and_described():
    steps = deadlines.timeline("ehcp_annual_review", "england", D(2026, 12, 1))
    assert [s.due for s in steps] == sorted(s.due for s in steps)
    by_id = {s.id: s for s in steps}
    assert by_id["papers_circulated"].offset_text == "14 days before"
    assert by_id["la_decision"].offset_text == "4 weeks after"
    assert by_id["review_meeting"].offset_text == "on the day of the meeting"
    assert by_id["final_amended_plan"].condition == "if the LA decides to amend the plan"
    data = by_id["review_report"].to_dict()
    assert data["due"] == "2026-12-15"
    assert data["verified"] == "2" and "[E12]" in data["source"]


@pytest.mark.parametrize(
    ("meeting", "primary", "post16"),
    (
        (D(2026, 10, 5), D(2027, 2, 15), D(2027, 3, 31)),
        (D(2027, 1, 20), D(2027, 2, 15), D(2027, 3, 31)),
        # test that a review after 15 February shows the deadline as already passed
        (D(2027, 3, 1), D(2027, 2, 15), D(2027, 3, 31)),
    ),
)
def test_transition_fixed_dates(meeting, primary, post16):
    due = _due("transition_review", "england", meeting)
    assert due["phase_transfer_primary_secondary"] == primary
    assert due["phase_transfer_post16"] == post16


def test_sen_support_review():
    steps = deadlines.timeline("sen_support_review", "england", D(2026, 11, 23))
    nxt = next(s for s in steps if s.id == "next_review")
    assert nxt.due == D(2027, 2, 22)
    # test that the termly cadence is guidance, not a legal deadline
    assert nxt.kind == "should"


def test_iep_annual():
    due = _due("iep_annual", "us", D(2026, 12, 1))
    assert due["next_review"] == D(2027, 12, 1)
    assert due["prior_written_notice"] == D(2026, 12, 1)


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    (
        (D(2026, 11, 27), 1, D(2026, 11, 30)),  # Friday + 1 -> Monday
        (D(2026, 11, 27), 5, D(2026, 12, 4)),
        (D(2026, 11, 28), 1, D(2026, 11, 30)),  # Saturday + 1 -> Monday
        (D(2026, 11, 30), -1, D(2026, 11, 27)),  # Monday - 1 -> Friday
        (D(2026, 11, 25), 3, D(2026, 11, 30)),  # Wednesday over a weekend
        (D(2026, 11, 28), 0, D(2026, 11, 28)),
    ),
)
def test_working_days(start, count, expected):
    assert deadlines.add_offset(start, {"working_days": count}) == expected


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    (
        (D(2027, 1, 31), 1, D(2027, 2, 28)),
        (D(2028, 1, 31), 1, D(2028, 2, 29)),
        (D(2026, 12, 15), 1, D(2027, 1, 15)),
        (D(2026, 3, 31), -1, D(2026, 2, 28)),
        (D(2026, 8, 31), 12, D(2027, 8, 31)),
    ),
)
def test_month_clamping(start, months, expected):
    assert deadlines.add_offset(start, {"months": months}) == expected


def test_inclusive_offset():
    assert deadlines.add_offset(D(2026, 12, 1), {"days": 15}, inclusive=True) == D(2026, 12, 15)


def test_bad_offset():
    with pytest.raises(ValueError, match="offset needs one of"):
        deadlines.add_offset(D(2026, 12, 1), {"fortnights": 1})


@pytest.mark.parametrize(
    ("offset", "text"),
    (
        ({"days": -14}, "14 days before"),
        ({"weeks": 1}, "1 week after"),
        ({"months": 12}, "12 months after"),
        ({"working_days": 5}, "5 working days after"),
        ({"fixed": "02-15"}, "on 15 February"),
    ),
)
def test_offset_text(offset, text):
    assert deadlines.offset_text(offset) == text


@pytest.mark.parametrize(("kind", "jurisdiction"), (("other", "england"), ("other", "us"), ("nonsense", "england")))
def test_no_steps(kind, jurisdiction):
    assert deadlines.timeline(kind, jurisdiction, D(2026, 12, 1)) == []
