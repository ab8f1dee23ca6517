"""The notes demo in headless Chromium: the journey a new user takes, and the debugger's PIN prompt."""

from __future__ import annotations

import re
import time
import typing as t
from pathlib import Path

import pytest

if t.TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement

    from .conftest import Server

WAIT_SECONDS = 20


def wait_for(driver: WebDriver, condition: t.Callable[[t.Any], t.Any]) -> t.Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_SECONDS).until(condition)


def css(driver: WebDriver, selector: str) -> WebElement:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, selector)


def submit(driver: WebDriver, form_selector: str) -> None:
    """Click the form's submit button and wait for the next page to replace this one."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support import expected_conditions

    page = css(driver, "html")
    css(driver, f"{form_selector} button[type=submit]").click()

    def replaced(driver: WebDriver) -> bool:
        try:
            return bool(expected_conditions.staleness_of(page)(driver))
        except WebDriverException as e:
            # Chromium may report the old page's node as detached rather than stale while it navigates.
            if "does not belong to the document" in str(e):
                return True
            raise

    wait_for(driver, replaced)


def flashes(driver: WebDriver) -> list[str]:
    from selenium.webdriver.common.by import By

    return [element.text for element in driver.find_elements(By.CSS_SELECTOR, "ul.flashes li")]


def test_log_in_create_upload_log_out(
    browser: WebDriver, start_server: t.Callable[..., Server], tmp_path: Path
) -> None:
    server = start_server("examples/notes")

    # Anonymous: the notes page sends us to the login form.
    browser.get(server.url + "/")
    assert browser.current_url == server.url + "/auth/login?next=/notes/"
    assert flashes(browser) == ["Please log in first."]

    css(browser, "#username").send_keys("demo")
    css(browser, "#password").send_keys("demo")
    submit(browser, "#login-form")
    assert browser.current_url == server.url + "/notes/"
    assert flashes(browser) == ["Logged in as demo."]
    assert css(browser, "#current-user").text == "demo"
    assert "No notes yet" in css(browser, "main").text

    # Create a note: POST, then redirected to the note's page with a flashed message.
    css(browser, "#title").send_keys("Buy oats")
    css(browser, "#body").send_keys("rolled, 1 kg")
    submit(browser, "#new-note")
    assert re.fullmatch(re.escape(server.url) + r"/notes/\d+", browser.current_url)
    assert flashes(browser) == ["Note “Buy oats” created."]
    assert css(browser, "h1").text == "Buy oats"
    note_url = browser.current_url

    # Upload a file; it is listed, and served back to this session.
    attachment = tmp_path / "shopping list.txt"
    attachment.write_text("oats\nmilk\n")
    css(browser, "#file").send_keys(str(attachment))
    submit(browser, "#upload-form")
    assert browser.current_url == note_url
    assert flashes(browser) == ["Attached shopping_list.txt."]
    link = css(browser, "ul.attachments a")
    assert link.text == "shopping_list.txt"
    downloaded = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(r => r.text().then(body => done([r.status, body])));",
        link.get_attribute("href"),
    )
    assert downloaded == [200, "oats\nmilk\n"]

    # Reloading the note page does not post anything again (POST/redirect/GET).
    browser.refresh()
    assert flashes(browser) == []
    browser.get(server.url + "/notes/")
    assert "Buy oats" in css(browser, "ul.notes").text
    assert "1 attachment" in css(browser, "ul.notes").text

    # Log out: back at the login form, and the notes are out of reach again.
    submit(browser, "header form")
    assert browser.current_url == server.url + "/auth/login"
    assert flashes(browser) == ["You have been logged out."]
    browser.get(note_url)
    assert "/auth/login" in browser.current_url


def test_debugger_page_asks_for_the_pin(browser: WebDriver, start_server: t.Callable[..., Server]) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    server = start_server("tests/e2e/crashing_app.py", debug=True)
    browser.get(server.url + "/boom")

    # Werkzeug's interactive traceback page, for our exception, with our frame in it.
    assert "DemoCrash" in browser.title
    assert "DemoCrash" in css(browser, "h1").text
    assert "this page raises on purpose" in css(browser, "div.debugger").text
    frames = browser.find_elements(By.CSS_SELECTOR, "div.traceback div.frame")
    our_frame = next(frame for frame in frames if "crashing_app.py" in frame.text)
    pin_prompt = css(browser, "div.pin-prompt")
    assert not pin_prompt.is_displayed()

    # Hovering a source line shows the console icon; clicking it asks for the PIN.
    line = our_frame.find_element(By.CSS_SELECTOR, "pre.current")
    ActionChains(browser).move_to_element(line).perform()
    icon = line.find_element(By.CSS_SELECTOR, "img")
    wait_for(browser, lambda _: icon.is_displayed())
    icon.click()
    wait_for(browser, lambda _: pin_prompt.is_displayed())
    assert "Console Locked" in pin_prompt.text
    assert "The console is locked and needs to be unlocked by entering the PIN." in pin_prompt.text
    pin_input = css(browser, '.pin-prompt input[name="pin"]')
    assert pin_input.is_displayed()

    # The page asked the server to print the PIN; entering it unlocks the console.
    deadline = time.monotonic() + WAIT_SECONDS
    # The whole line: the output is read as it arrives, and half a PIN is a wrong PIN.
    while not (match := re.search(r"Debugger pin(?: code)?: ([\d-]+)\r?\n", server.output(), re.IGNORECASE)):
        if time.monotonic() > deadline:
            pytest.fail(f"the server never printed the PIN:\n{server.output()}")
        time.sleep(0.05)
    pin_input.send_keys(match.group(1))
    css(browser, '.pin-prompt input[type="submit"]').click()
    # The page records the server's answer in EVALEX_TRUSTED, then fades the prompt out. The fade runs on
    # requestAnimationFrame, which headless Chromium sometimes stops after one frame, so the answer is what is
    # checked, and then that the fade began.
    wait_for(browser, lambda driver: driver.execute_script("return EVALEX_TRUSTED === true"))
    wait_for(
        browser,
        lambda _: not pin_prompt.is_displayed() or float(pin_prompt.value_of_css_property("opacity")) < 1,
    )
    console_input = wait_for(
        browser, lambda driver: driver.find_element(By.CSS_SELECTOR, "pre.console input")
    )
    console_input.send_keys("secret_local\n")
    wait_for(browser, lambda driver: "visible in the debugger" in css(driver, "pre.console").text)
