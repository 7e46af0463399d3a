"""The console in a real browser: Playwright drives Debian's chromium (installed by `make test`,
used through its path: browsers cannot be downloaded here) against the app served by werkzeug
in a thread, on the demo program.

An admin logs in, finds a member, adjusts the points, creates an offer and a campaign to a
segment (with a holdout share when campaigns have one), sends it and reads its counts; store
staff record a purchase on a tablet-sized screen and confirm a redemption code once. No page
may break the Content-Security-Policy (htmx runs under it), and a phone-sized screen scrolls
only down. With CONSOLE_SCREENSHOTS set (`make screenshots`), the README's pictures are
written there.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from app.extensions import db
from app.members.models import Member
from app.models_base import utcnow
from app.seed import DEMO_PASSWORD
from tests.conftest import make_app

CHROMIUM = "/usr/bin/chromium"
# As root in a container: no sandbox; nothing that reaches out to the network by itself.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 15_000
REFUSALS = re.compile(r"Failed to load resource: .* status of (409|422) ")

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium", False)
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[tuple[str, object]]:
    """The demo program served on a free local port."""
    from app.seed import seed

    app = make_app("sqlite", tmp_path_factory.mktemp("console-live"))
    with app.app_context():
        seed()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    target = os.environ.get("CONSOLE_SCREENSHOTS")
    return Path(target) if target else tmp_path


def _page(browser, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []

    def console_error(message) -> None:
        # A refusal shown in the page (a code used twice: 409, a bad field: 422) is an answer
        # the console meant; anything else the browser reports as an error is a fault.
        if message.type == "error" and not REFUSALS.search(message.text):
            problems.append(f"{page.url} {message.text}")

    page.on("console", console_error)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return context, page, problems


def _login(page, base: str, email: str) -> None:
    page.goto(f"{base}/console/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _local(delta: timedelta) -> str:
    return (utcnow() + delta).strftime("%Y-%m-%dT%H:%M")


def test_an_admin_adjusts_points_creates_an_offer_and_sends_a_campaign(live, browser, shots):
    base, app = live
    context, page, problems = _page(browser, 1280, 900)
    expect = sync_api.expect
    try:
        _login(page, base, "admin@example.com")
        expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
        expect(page.locator("svg.chart").first).to_be_visible()
        page.screenshot(path=str(shots / "console-dashboard.png"), full_page=True)

        # Find a member as one types (htmx), open her page.
        page.get_by_role("link", name="Members").first.click()
        # Typed before the page's load event, the input would reach no htmx handler yet.
        page.wait_for_url("**/console/members/", wait_until="load")
        page.get_by_label("Email, name or card number").fill("Aino")
        page.get_by_role("link", name="Aino Virtanen").click()
        expect(page.get_by_role("heading", name="Aino Virtanen", level=1)).to_be_visible()
        page.wait_for_load_state("load")  # htmx takes over the adjust form once loaded
        before = int(page.locator("#member-available").inner_text())

        page.get_by_label("Points (negative to take away)").fill("50")
        page.get_by_label("Reason").fill("Goodwill for a late delivery")
        page.get_by_role("button", name="Adjust", exact=True).click()
        expect(page.locator("#adjust-result")).to_contain_text("+50 points")
        # The balances and the history reload on their own after the adjustment.
        expect(page.locator("#member-available")).to_have_text(str(before + 50))
        expect(page.locator("#ledger-entries")).to_contain_text("Goodwill for a late delivery")
        page.screenshot(path=str(shots / "console-member.png"), full_page=True)

        # An offer to a segment.
        page.get_by_role("link", name="Offers").first.click()
        page.get_by_role("link", name="New offer").click()
        page.get_by_label("Title (English)").fill("Winter coffee on us")
        page.get_by_label("Text (English)").fill("100 points when you claim it.")
        page.get_by_label("Title (Suomi)").fill("Talvikahvi meiltä")
        page.get_by_label("Starts (UTC)").fill(_local(timedelta(hours=-1)))
        page.get_by_label("Ends (UTC)").fill(_local(timedelta(days=7)))
        page.get_by_label("Segment", exact=True).select_option(label="Marketing audience")
        page.get_by_label("Benefit").select_option("gift_points")
        page.get_by_label("Points", exact=True).fill("100")
        page.get_by_role("button", name="Save offer").click()
        expect(page.get_by_text("Offer saved.")).to_be_visible()

        # A campaign to the segment: previews per language, then send, then its counts.
        page.get_by_role("link", name="Campaigns").first.click()
        page.get_by_role("link", name="New campaign").click()
        page.get_by_label("Name (for operators)").fill("Winter hello")
        page.get_by_label("Title (English)").fill("Hello {name}")
        page.get_by_label("Text (English)").fill("Your winter coffee is waiting.")
        page.get_by_label("Title (Suomi)").fill("Hei {name}")
        page.get_by_label("Text (Suomi)").fill("Talvikahvisi odottaa.")
        page.get_by_label("Segment", exact=True).select_option(label="Marketing audience")
        expect(page.locator("#campaign-preview")).to_contain_text("Hello Aino")
        expect(page.locator("#campaign-preview")).to_contain_text("Hei Aino")
        holdout = page.get_by_label("Holdout: share of the segment not sent to (%)")
        if holdout.count():
            holdout.fill("10")
        page.get_by_role("button", name="Save draft").click()
        expect(page.get_by_role("heading", name="Winter hello")).to_be_visible()
        page.get_by_role("button", name="Send").click()
        expect(page.locator("#campaign-status")).not_to_have_text("draft")
        shown = int(page.locator("#count-members").inner_text())
        with app.app_context():
            from notifications.campaigns import service as campaigns
            from notifications.campaigns.models import Campaign

            campaign = db.session.scalar(select(Campaign).where(Campaign.name == "Winter hello"))
            counted = campaigns.counts([campaign.id])[campaign.id]
        assert shown == counted["members"] >= 1
        assert problems == [], problems
    finally:
        context.close()


def test_staff_record_a_purchase_and_confirm_a_code_once_on_a_tablet(live, browser, shots):
    base, app = live
    with app.app_context():
        from app.rewards.models import Reward
        from app.rewards.service import redeem

        jan = db.session.scalar(select(Member).where(Member.name == "Jan Kowalski"))
        maria = db.session.scalar(select(Member).where(Member.name == "Maria Santos"))
        coffee = db.session.scalar(select(Reward).where(Reward.name == "Coffee"))
        code = redeem(maria, coffee).code
        db.session.commit()
        card = jan.card_number
    context, page, problems = _page(browser, 1024, 768)
    expect = sync_api.expect
    try:
        _login(page, base, "staff@example.com")
        expect(page.get_by_role("heading", name=re.compile("Till"))).to_be_visible()
        page.wait_for_load_state("load")  # htmx takes over the till's forms once loaded
        page.get_by_label("Card number").fill(card)
        page.get_by_role("button", name="Find card").click()
        expect(page.locator("#till-card-face")).to_contain_text("Jan Kowalski")
        # The amount field has the focus once the card is found: the till types straight on.
        expect(page.get_by_label("Amount")).to_be_focused()
        page.get_by_label("Amount").fill("42.50")
        page.get_by_label("Receipt id").fill("R-browser-1")
        page.get_by_role("button", name="Record purchase").click()
        expect(page.locator("#till-result")).to_contain_text("+42 points")
        page.screenshot(path=str(shots / "console-till.png"), full_page=True)

        page.get_by_role("textbox", name="Redemption code").fill(code)
        page.get_by_role("button", name="Confirm code").click()
        expect(page.locator("#till-code-result")).to_contain_text("Coffee")
        page.get_by_role("textbox", name="Redemption code").fill(code)
        page.get_by_role("button", name="Confirm code").click()
        expect(page.locator("#till-code")).to_contain_text("This code was already used.")

        # Large touch targets: every button of the till is at least 48 px high.
        heights = page.locator("main button").evaluate_all(
            "buttons => buttons.map(b => b.getBoundingClientRect().height)"
        )
        assert heights and min(heights) >= 48, heights
        assert problems == [], problems
    finally:
        context.close()


def test_a_phone_sized_screen_has_a_menu_and_no_sideways_scrolling(live, browser, shots):
    base, _ = live
    context, page, problems = _page(browser, 390, 844)
    expect = sync_api.expect
    try:
        _login(page, base, "admin@example.com")
        expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
        page.get_by_text("Menu", exact=True).click()
        page.screenshot(path=str(shots / "console-phone.png"))
        page.get_by_role("link", name="Members").first.click()
        expect(page.get_by_role("heading", name="Members", level=1)).to_be_visible()
        for path in ("/console/dashboard/", "/console/members/", "/console/campaigns/new"):
            page.goto(base + path)
            wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            assert not wide, path
        # Keyboard: the first Tab reaches the skip link, which moves to the content.
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
        assert problems == [], problems
    finally:
        context.close()
