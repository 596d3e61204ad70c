"""The "?" keyboard shortcut sheet: opens outside text fields, lists the app's shortcuts,
closes with Escape and gives focus back."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def sheet(page):
    return page.get_by_role("dialog", name="Keyboard shortcuts")


def test_question_mark_opens_the_sheet_and_escape_closes_it(live_app, page):
    page.goto(f"{live_app.url}/models/")

    page.locator("body").press("?")

    expect(sheet(page)).to_be_visible()
    for shortcut in ("Search models", "Run the model", "Show this list of shortcuts"):
        expect(sheet(page).get_by_text(shortcut)).to_be_visible()
    expect(sheet(page).locator("kbd", has_text="/")).to_be_visible()
    focused_inside = page.evaluate("document.activeElement.closest('dialog') !== null")
    assert focused_inside  # a modal dialog: focus moved into it

    page.keyboard.press("Escape")

    expect(sheet(page)).to_be_hidden()
    # "/" still searches once the sheet is gone: the page's own shortcuts are untouched.
    page.locator("body").press("/")
    expect(page.get_by_role("searchbox", name="Search models")).to_be_focused()


def test_typing_a_question_mark_in_a_field_types_it(live_app, page):
    page.goto(f"{live_app.url}/models/")
    box = page.get_by_role("searchbox", name="Search models")
    box.click()

    page.keyboard.type("what?")

    expect(box).to_have_value("what?")
    expect(sheet(page)).to_have_count(0)


def test_the_footer_button_opens_it_and_focus_returns_there(live_app, page):
    page.goto(f"{live_app.url}/")
    button = page.get_by_role("button", name="Keyboard shortcuts")

    button.click()
    expect(sheet(page)).to_be_visible()
    sheet(page).get_by_role("button", name="Close").click()

    expect(sheet(page)).to_be_hidden()
    expect(button).to_be_focused()


def test_the_sheet_fits_a_phone_screen(live_app, browser):
    context = browser.new_context(viewport={"width": 390, "height": 800})
    try:
        page = context.new_page()
        page.goto(f"{live_app.url}/models/")
        page.locator("body").press("?")
        expect(sheet(page)).to_be_visible()
        box = sheet(page).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        widest = page.evaluate(
            "Math.max(...[...document.querySelectorAll('dialog *')]"
            ".map(e => e.getBoundingClientRect().right))"
        )
        assert widest <= 390
    finally:
        context.close()
