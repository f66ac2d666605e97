"""The simulator in a real browser: Debian's Chromium, headless, driven by Playwright.

One complaint is walked from the sales person's message to closure by clicking through the page, then the
clock is moved to the 1st of the month for the management report and its chart. Screenshots are saved to
``test-artifacts/demo/`` (or ``$KESU_TEST_ARTIFACTS/demo/``).

The browser is ``$KESU_TEST_CHROMIUM`` or ``chromium`` on PATH. Without one these tests are skipped — unless
``KESU_TEST_CHROMIUM`` is set (as `.ci/run` does), and then a missing browser fails them.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

ARTIFACTS = Path(os.environ.get("KESU_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts")) / "demo"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium from the system (never a downloaded one)."""
    required = os.environ.get("KESU_TEST_CHROMIUM")
    path = required or shutil.which("chromium")
    if not path or not Path(path).exists():
        if required:
            pytest.fail(f"KESU_TEST_CHROMIUM={required} does not exist: the browser tests must run")
        pytest.skip("no chromium on PATH (apt-get install chromium): browser tests skipped")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, headless=True, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def _open(browser: Browser, url: str, **context: object) -> Page:
    page = browser.new_context(locale="zh-CN", **context).new_page()  # type: ignore[arg-type]
    page.goto(url)
    expect(page.locator("body[data-ready='1']")).to_have_count(1)
    return page


def _send(page: Page, text: str) -> None:
    page.fill("#text", text)
    page.click("#send")
    expect(page.locator("body[aria-busy]")).to_have_count(0)


def _tap(page: Page, action: str, **inputs: str) -> None:
    """Fill the inputs of the newest card that has ``action``, then tap it."""
    card = page.locator(f".card:has(button[data-action='{action}'])").last
    for name, value in inputs.items():
        card.locator(f"input[name='{name}']").fill(value)
    card.locator(f"button[data-action='{action}']").click()
    expect(page.locator("body[aria-busy]")).to_have_count(0)


def _become(page: Page, person: str, *, phone: bool = False) -> None:
    if phone:
        page.click("#menu")
    page.click(f".who[data-person='{person}']")
    expect(page.locator(f".who[data-person='{person}']")).to_have_class(re.compile(r"\bactive\b"))


def _cjk_glyphs_differ(page: Page) -> bool:
    """Two different Chinese characters drawn in the page's font differ; with no CJK font both are the same
    empty box (tofu)."""
    return bool(
        page.evaluate(
            """() => {
        const font = getComputedStyle(document.body).fontFamily;
        const draw = (ch) => { const c = document.createElement('canvas'); c.width = c.height = 40;
          const g = c.getContext('2d'); g.font = '32px ' + font; g.fillText(ch, 2, 32); return c.toDataURL(); };
        return draw('客') !== draw('诉') && draw('诉') !== draw('单');
      }"""
        )
    )


def test_a_complaint_walked_to_closure_by_clicking_through_the_page(browser: Browser, demo_url: str) -> None:
    page = _open(browser, demo_url, viewport={"width": 1280, "height": 860})
    assert _cjk_glyphs_differ(page), "Chinese renders as boxes: install a CJK font (fonts-noto-cjk)"
    _shot(page, "01-start")

    # Sales files the complaint in one sentence and submits the draft.
    _send(page, "明辉电子投诉X200外壳划伤,200个,急")
    expect(page.locator(".card[data-card='f1v1']")).to_contain_text("明辉电子")
    _shot(page, "02-draft")
    _tap(page, "confirm")
    expect(page.locator(".notice[data-to='user:qa1']")).to_contain_text("KS-202611-0001")
    expect(page.locator(".who[data-person='qa1'] .badge")).to_have_text("1")
    _shot(page, "03-submitted")

    # QA opens it from the notice, accepts it as valid and assigns R&D.
    page.click(".notice[data-to='user:qa1']")
    expect(page.locator("#title")).to_contain_text("王芳")
    _tap(page, "valid", department="研发部")
    expect(page.locator(".msg").last).to_contain_text("指派部门:研发部")
    _shot(page, "04-qa-assigned")

    # R&D answers with its measures.
    _become(page, "rd1")
    _tap(page, "respond", containment="隔离全检", root_cause="包装无隔层", corrective="加隔层")
    expect(page.locator(".notice[data-to='user:qa1']")).to_be_visible()
    _shot(page, "05-rd-responded")

    # QA verifies: effective; sales reports to the customer, who accepts.
    _become(page, "qa1")
    _tap(page, "effective")
    _become(page, "sales1")
    _tap(page, "reported")
    _tap(page, "accepted", note="客户签字确认")
    expect(page.locator(".msg").last).to_contain_text("结案")
    _send(page, "KS-202611-0001 进度")
    expect(page.locator(".card").last).to_contain_text("已结案")
    _shot(page, "06-closed")

    # A tap on an old card is refused with who did what, and nothing changes.
    page.locator(".card[data-card='f1v1'] button[data-action='cancel']").click()
    expect(page.locator("body[aria-busy]")).to_have_count(0)
    expect(page.locator(".msg").last).not_to_contain_text("已取消")

    # The clock goes to 1 December 09:00: the monthly report with its Pareto chart reaches the mgmt group.
    page.click("button[data-step='month']")
    expect(page.locator("#clock")).to_have_text("2026-12-01 09:00")
    page.click(".who[data-chat='mgmt']")
    expect(page.locator("#messages")).to_contain_text("2026-11 客诉月报")
    chart = page.locator("#messages img").last
    expect(chart).to_be_visible()
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", chart.element_handle())
    expect(page.locator("#messages a.file").last).to_contain_text("客诉月报-2026-11.xlsx")
    _shot(page, "07-monthly-report")


def test_the_page_works_on_a_phone(browser: Browser, demo_url: str) -> None:
    page = _open(browser, demo_url, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    assert _cjk_glyphs_differ(page)
    expect(page.locator("aside")).not_to_be_in_viewport()  # the people list is a drawer on a phone
    _send(page, "明辉电子投诉X200外壳划伤,200个,急")
    _tap(page, "confirm")
    _shot(page, "phone-01-sales")
    _become(page, "qa1", phone=True)
    expect(page.locator("aside")).not_to_be_in_viewport()
    card = page.locator(".card:has(button[data-action='valid'])").last
    expect(card).to_be_in_viewport()
    _tap(page, "valid", department="研发部")
    expect(page.locator(".msg").last).to_contain_text("研发部")
    page.click("button[data-step='1d']")
    expect(page.locator("#clock")).to_have_text("2026-11-24 09:00")
    _shot(page, "phone-02-qa")
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways on a phone: {width}"
