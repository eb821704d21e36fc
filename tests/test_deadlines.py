import datetime
import re

import pytest

from server import deadlines
from server import rules

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


def _sources():
    """Every source a step or a state note cites, in both jurisdictions."""
    for jurisdiction in rules.JURISDICTIONS:
        doc = rules.timelines_file(jurisdiction)
        for kind, steps in doc["timelines"].items():
            for step in steps:
                yield pytest.param(jurisdiction, step["source"], id=f"{jurisdiction}-{kind}-{step['id']}")
        for note in doc.get("state_notes", []):
            yield pytest.param(jurisdiction, note["source"], id=f"{jurisdiction}-state-{note['state']}")


@pytest.mark.parametrize(("jurisdiction", "source"), list(_sources()))
def test_every_source_reads_without_codes(jurisdiction, source):
    text = deadlines.readable_source(source, jurisdiction)
    assert text
    # test that no internal key is left, in brackets or bare; a neutral citation's year ([2022]) is the only bracket
    assert "[" not in re.sub(r"\[\d{4}\] EWHC", "", text), text
    assert not re.search(r"\b[EUD]\d+\b", text), text
    # test that every abbreviation the data lists is spelled out (none is left once the expansions are taken out)
    table = rules.timelines_file(jurisdiction)["abbreviations"]
    rest = text
    for long in sorted(table.values(), key=len, reverse=True):
        rest = rest.replace(long.rstrip(","), "")
    for short in table:
        assert not re.search(rf"(?<![\w.]){re.escape(short)}(?!\w)", rest), (short, text)
    assert ",," not in text and not text.endswith((",", ";"))


@pytest.mark.parametrize(
    ("jurisdiction", "source", "expected"),
    (
        ("england", "SEND Regs reg 20(10) [E8][E66][E12]", "SEND Regulations 2014, reg 20(10)"),
        ("england", "SEND Regs reg 20(4) [E1]; CoP 9.176 [E11]",
         "SEND Regulations 2014, reg 20(4); SEND Code of Practice 2015, paragraph 9.176"),
        ("england", "CFA 2014 s.44(1) [E52]", "Children and Families Act 2014, s.44(1)"),
        ("england", "SEND Regs reg 22(3) [E3]; Devon [E8]",
         "SEND Regulations 2014, reg 22(3); R (L, M & P) v Devon County Council [2022] EWHC 493 (Admin)"),
        ("england", "R (L, M & P) v Devon CC [2022] EWHC 493 (Admin) [E8]",
         "R (L, M & P) v Devon County Council [2022] EWHC 493 (Admin)"),
        ("england", "Parent advice [E41]", "Parent advice"),
        ("england", "SEND Regs", "SEND Regulations 2014"),
        ("england", "[E1]", ""),
        ("england", "", ""),
        ("us", "34 CFR 300.503 [U6]", "IDEA regulations, 34 CFR 300.503"),
        ("us", "20 USC 1414(d)(3)(F) [U28]", "IDEA, 20 U.S.C. 1414(d)(3)(F)"),
        ("us", "Wrightslaw [U18]", "Parent advice (Wrightslaw)"),
        # test that a word that merely contains an abbreviation is left alone
        ("us", "134 CFR 1 [U3]", "134 CFR 1"),
    ),
)
def test_readable_source(jurisdiction, source, expected):
    assert deadlines.readable_source(source, jurisdiction) == expected


def test_steps_keep_the_raw_source():
    step = {s.id: s for s in deadlines.timeline("ehcp_annual_review", "england", D(2026, 12, 1))}["la_decision"]
    # test that the data, the Step and the API dict keep the short form with its keys
    assert step.source == step.to_dict()["source"] == "SEND Regs reg 20(10) [E8][E66][E12]"


# --- working days skip bank holidays (server/data/<jurisdiction>/bank_holidays.json) ---


@pytest.mark.parametrize(
    ("start", "count", "jurisdiction", "division", "expected"),
    (
        # test that without a jurisdiction only weekends are skipped, as before
        (D(2026, 12, 22), 3, None, None, D(2026, 12, 25)),
        # test that Christmas Day and Boxing Day's substitute (Mon 28 Dec 2026) are skipped in England and Wales
        (D(2026, 12, 22), 3, "england", None, D(2026, 12, 29)),
        # test that Easter Monday is a working day in Scotland but not in England and Wales
        (D(2027, 3, 25), 1, "england", None, D(2027, 3, 30)),
        (D(2027, 3, 25), 1, "england", "scotland", D(2027, 3, 29)),
        # test that St Patrick's Day counts in Northern Ireland only
        (D(2027, 3, 16), 1, "england", "northern-ireland", D(2027, 3, 18)),
        (D(2027, 3, 16), 1, "england", "england-and-wales", D(2027, 3, 17)),
        # test that counting back skips them too
        (D(2026, 12, 29), -1, "england", None, D(2026, 12, 24)),
        # test that US business days skip federal holidays (Thanksgiving 2026 is 26 November)
        (D(2026, 11, 25), 1, "us", None, D(2026, 11, 27)),
    ),
)
def test_working_days_skip_bank_holidays(start, count, jurisdiction, division, expected):
    assert deadlines.add_working_days(start, count, jurisdiction, division) == expected


def test_bank_holiday_data_has_a_source_and_marks_unverified_years():
    for jurisdiction, divisions in (("england", {"england-and-wales", "scotland", "northern-ireland"}),
                                    ("us", {"federal"})):
        data = rules.load(f"{jurisdiction}/bank_holidays.json")
        assert set(data["divisions"]) == divisions and data["default_division"] in divisions
        assert data["source"] in data["sources"]
        for division in data["divisions"].values():
            # test that 2024 to 2028 are all there, each year marked verified or [U], each date in its year
            assert set(division["years"]) == {"2024", "2025", "2026", "2027", "2028"}
            for year, entry in division["years"].items():
                assert entry["verified"] in ("U", "P")
                dates = [D.fromisoformat(e["date"]) for e in entry["events"]]
                assert dates == sorted(dates) and all(d.weekday() < 5 for d in dates)
                # a US holiday on Saturday 1 January is observed on Friday 31 December the year before
                assert all(d.year == int(year) or (d.month, d.day) == (12, 31) for d in dates)
    assert "https://www.gov.uk/bank-holidays" in rules.load("england/bank_holidays.json")["sources"]["G1"]
    # test that each English division has its own days: 8 in England and Wales, 9 in Scotland, 10 in NI
    data = rules.load("england/bank_holidays.json")["divisions"]
    assert [len(data[d]["years"]["2026"]["events"]) for d in ("england-and-wales", "scotland", "northern-ireland")] \
        == [8, 9, 10]


def test_unknown_division_is_refused():
    with pytest.raises(ValueError):
        deadlines.add_working_days(D(2026, 12, 1), 1, "england", "wales")


def test_past_steps_are_marked():
    steps = deadlines.timeline("ehcp_annual_review", "england", D(2026, 12, 1), today=D(2026, 12, 16))
    past = {s.id for s in steps if s.past}
    # test that dated steps before today are past, today's and later ones are not, and "after" steps never are
    assert {"meeting_notice", "papers_circulated", "review_meeting", "review_report"} <= past
    assert "la_decision" not in past and "next_review" not in past
    assert all(not s.past for s in steps if s.relation == "after")
    assert deadlines.timeline("ehcp_annual_review", "england", D(2026, 12, 1),
                              today=D(2026, 11, 1))[0].to_dict()["past"] is False


def test_when_working_days_skip_bank_holidays():
    from server.minutes import when

    due = when.resolve("we will reply within five working days", D(2026, 12, 22), "england")
    # Wed 23, Thu 24, (Fri 25 and Mon 28 are bank holidays) Tue 29, Wed 30, Thu 31
    assert due.date == D(2026, 12, 31)


def test_reply_by_in_letters_skips_bank_holidays():
    from server.minutes import letters

    # ten working days from Mon 14 Dec 2026: Fri 25 and Mon 28 Dec are bank holidays, so Wed 30 Dec, not Mon 28
    assert deadlines.add_working_days(D(2026, 12, 14), letters.REPLY_WORKING_DAYS) == D(2026, 12, 28)
    assert deadlines.add_working_days(D(2026, 12, 14), letters.REPLY_WORKING_DAYS, "england") == D(2026, 12, 30)


def test_meeting_page_marks_deadlines_already_passed(parent):
    # a review long ago: every dated step has passed; one far ahead: none has
    old = parent.make_meeting(starts_at="2020-03-03T09:30:00Z")
    page = parent.client.get(f"/meetings/{old['id']}").text
    assert page.count("already passed") >= 5
    ahead = parent.make_meeting(starts_at="2040-03-06T09:30:00Z")
    assert "already passed" not in parent.client.get(f"/meetings/{ahead['id']}").text
    steps = parent.api("GET", f"/meetings/{old['id']}/timeline").json["steps"]
    assert all(s["past"] for s in steps if s["relation"] != "after")
