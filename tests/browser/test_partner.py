"""A partner's phone in meeting mode: join by code, both phones offline for a while, one merged timeline.

The partner's phone runs 90 s fast (an init script shifts Date); the sync round trips must align it.
"""
import re
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from playwright.sync_api import expect

from .conftest import MOBILE
from .test_meeting_mode import ZERO, db_rows, live_ready, make_meeting, open_live, open_overview_and_prefetch
from .test_meeting_mode import own_events, poll, start_meeting, state, sync_until_done, tap_marker, tap_speaker

SKEW_MS = 90_000
SKEWED_CLOCK = """(() => {
    const skew = %d;
    const RealDate = Date;
    const realNow = RealDate.now.bind(RealDate);
    class SkewedDate extends RealDate {
        constructor(...args) { if (args.length) super(...args); else super(realNow() + skew); }
        static now() { return realNow() + skew; }
    }
    globalThis.Date = SkewedDate;
})()""" % SKEW_MS


def phone_context(browser, server, **extra):
    return browser.new_context(**MOBILE, base_url=server.url, **extra)


def join_page_error(context, code):
    """Try a code at /join in a fresh page; return the page."""
    page = context.new_page()
    page.goto("/join")
    page.get_by_label("Join code").fill(code)
    page.get_by_role("button", name="Join").click()
    return page


def test_partner_joins_by_code_and_timelines_merge(browser, page, context, server, sign_in, check_a11y):
    errors = []
    email = server.add_user()
    meeting = make_meeting(server, email)
    mid, people = meeting["id"], meeting["attendees"]

    # the parent's phone: starts the meeting and shows a join code
    parent = page
    sign_in(parent, email)
    open_overview_and_prefetch(parent, mid)
    open_live(parent, mid)
    start_meeting(parent)
    assert sync_until_done(parent) == ZERO
    parent.locator("#share-open").click()
    expect(parent.locator("#share-code")).to_have_text(re.compile(r"^[2-9A-Z]{5}-[2-9A-Z]{5}$"))
    code = parent.locator("#share-code").inner_text()
    url = parent.locator("#share-url").get_attribute("href")
    assert parent.locator("#share-qr").get_attribute("src").startswith("data:image/svg+xml")
    check_a11y(parent)
    parent.locator("#share-close").click()

    # the partner's phone, 90 s fast: opens the join link (code filled in), joins, lands on the meeting screen
    partner_ctx = phone_context(browser, server)
    partner_ctx.add_init_script(SKEWED_CLOCK)
    try:
        partner = partner_ctx.new_page()
        partner.on("pageerror", lambda e: errors.append(str(e)))
        partner.goto(url)
        expect(partner.get_by_label("Join code")).to_have_value(code.replace("-", ""))
        partner.get_by_role("button", name="Join").click()
        partner.wait_for_url(f"**/meetings/{mid}/live")
        live_ready(partner)
        expect(partner.locator("#live-main")).to_be_visible()
        # test that the partner sees the same attendees and agenda, but cannot share the meeting on
        expect(partner.locator("#speakers [data-attendee-id]")).to_have_count(3)
        expect(partner.locator("#agenda-current")).to_have_text("Reading support")
        expect(partner.locator("#share-open")).to_be_hidden()
        # the partner's page at 1-s audio chunks, opened once online so it is kept for offline use
        open_live(partner, mid)
        assert sync_until_done(partner) == ZERO
        # test that a sync round trip measured the partner's clock as ~90 s fast
        offset = poll(partner, "window.minutedLive.state().offset.offset", lambda v: v is not None)
        assert abs(offset + SKEW_MS) < 2000, offset

        # both phones offline; they take turns tapping, 1.5 s apart
        context.set_offline(True)
        partner_ctx.set_offline(True)
        taps = []  # (device, event id) in the order they happened
        for i in range(3):
            tap_speaker(parent, people[i])
            taps.append(("parent", tap_marker(parent, "note", f"Parent note {i}")))
            time.sleep(1.5)
            taps.append(("partner", tap_marker(partner, "quote" if i % 2 else "agreed", f"Partner note {i}")))
            time.sleep(1.5)
        taps.append(("partner", tap_marker(partner, "refused", "Partner saw a refusal", by=people[1], reason="budget")))
        time.sleep(1.5)
        taps.append(("parent", tap_marker(parent, "action", "Parent action", owner=people[0], due="2027-03-01")))
        assert db_rows(server, "select count(*) from event where meeting_id = ? and kind in ('note', 'quote', 'agreed')",
                       mid) == [(0,)]

        # back online: both sync
        context.set_offline(False)
        partner_ctx.set_offline(False)
        assert sync_until_done(partner) == ZERO
        assert sync_until_done(parent) == ZERO
        assert sync_until_done(partner) == ZERO

        # test one merged timeline: every event of both phones once, attributed to the phone and account it came from
        events = meeting["api"].events(mid)
        ids = [e["id"] for e in events]
        assert len(ids) == len(set(ids))
        mine, theirs = own_events(parent), own_events(partner)
        assert set(ids) == set(mine) | set(theirs)
        assert not set(mine) & set(theirs)
        parent_device, partner_device = state(parent)["deviceId"], state(partner)["deviceId"]
        assert parent_device != partner_device
        authors = {}
        for e in events:
            source = mine.get(e["id"]) or theirs[e["id"]]
            assert e["device_id"] == (parent_device if e["id"] in mine else partner_device)
            assert (e["version"], e["payload"]) == (source["version"], source["payload"])
            authors.setdefault(e["device_id"], set()).add(e["author"])
        assert len(authors[parent_device]) == 1 and len(authors[partner_device]) == 1
        assert authors[parent_device] != authors[partner_device]
        owner = db_rows(server, "select id from user where email = ?", email)[0][0]
        assert authors[parent_device] == {owner}

        # test the clock alignment: the taps are in the order they happened, at the right meeting time (±2 s)
        by_id = {e["id"]: e for e in events}
        at = [by_id[eid]["at_ms"] for _, eid in taps]
        assert at == sorted(at), list(zip([d for d, _ in taps], at))
        gaps = [b - a for a, b in zip(at, at[1:])]
        assert all(1000 <= g <= 3500 for g in gaps), gaps

        # test that each phone shows the other's notes after syncing
        parent.evaluate("window.minutedLive.syncNow()")
        for device, eid in taps:
            other = parent if device == "partner" else partner
            other.evaluate("window.minutedLive.syncNow()")
            expect(other.locator(f"#timeline li[data-event-id='{eid}']")).to_contain_text("From the other phone")

        # test that a revoked code is refused, and shuts the partner out
        parent.locator("#share-open").click()
        expect(parent.locator("#share-code")).to_have_text(code)
        parent.locator("#share-revoke").click()
        expect(parent.locator("#share-status")).to_contain_text("Revoked")
        response = partner.request.get(f"/api/v1/meetings/{mid}/events")
        assert response.status == 401  # a guest with no meeting left is signed out
        refused = join_page_error(partner_ctx, code)
        expect(refused.get_by_text("That code has been turned off")).to_be_visible()
        assert db_rows(server, "select count(*) from meeting_member where meeting_id = ?", mid) == [(0,)]
    finally:
        partner_ctx.close()

    # test that an expired code is refused (a 5-minute code whose time is moved into the past)
    made = meeting["api"].call("POST", f"/meetings/{mid}/join-codes", {"minutes": 5})
    (stored,), = db_rows(server, "select expires_at from join_code where id = ?", made["id"])
    past = datetime.now(timezone.utc) - timedelta(minutes=1)
    # keep the column's own text format (SQLAlchemy's), only moving the time
    text = past.strftime("%Y-%m-%d %H:%M:%S.%f") + (stored[26:] if len(stored) > 26 else "")
    with sqlite3.connect(Path(server.data) / "minuted.sqlite3") as con:
        con.execute("update join_code set expires_at = ? where id = ?", (text, made["id"]))
    stranger = phone_context(browser, server)
    try:
        expired = join_page_error(stranger, made["code"])
        expect(expired.get_by_text("That code has expired")).to_be_visible()
        check_a11y(expired)
        assert stranger.request.get(f"/meetings/{mid}/live", max_redirects=0).status in (302, 303, 401, 403)
    finally:
        stranger.close()
    assert errors == []
