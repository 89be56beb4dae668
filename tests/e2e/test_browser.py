"""End-to-end: headless Chromium (Debian's package, driven by Selenium through
/usr/bin/chromedriver) against the console served by uvicorn on localhost."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.clock import FixedClock
from tests.conftest import REQUIRE_SERVICES
from tests.support.processes import free_port
from tests.support.waiting import wait_for
from tests.support.webseed import T0, TOKEN, seeded

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

if not (os.path.exists(CHROMIUM) and os.path.exists(DRIVER)):
    if REQUIRE_SERVICES:
        pytest.fail("chromium and chromedriver are required (REPMON_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip("chromium / chromedriver not installed (apt-get install chromium chromium-driver)", allow_module_level=True)


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    import uvicorn

    from monitor.web.app import create_app

    tmp = tmp_path_factory.mktemp("web")
    cfg, factory, engine, iid = seeded(tmp)
    app = create_app(cfg, factory, clock=FixedClock(T0 + timedelta(minutes=30)), env={"REPMON_WEB_TOKEN": TOKEN})
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert wait_for(lambda: server.started, 5, every=0.05), "the console did not start"
    yield f"http://127.0.0.1:{port}", iid
    server.should_exit = True
    thread.join(10)
    engine.dispose()


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="repmon-chromium-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1280,1600"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    driver.set_page_load_timeout(30)
    # A shared CI machine can be slow to paint; lookups wait a little rather than fail.
    driver.implicitly_wait(5)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def log_in(browser, base, token=TOKEN):
    from selenium.webdriver.common.by import By

    browser.delete_all_cookies()
    browser.get(base + "/login")
    browser.find_element(By.ID, "name").send_keys("lin")
    browser.find_element(By.ID, "token").send_keys(token)
    submit(browser, browser.find_element(By.ID, "login"))


def submit(browser, element) -> None:
    """Click something that loads a new page and wait until the new page has loaded.

    A click returns before the navigation ends, so the next lookup could race it. The old
    page is marked with a window property that the new page cannot have; while Chromium
    swaps documents it may answer any command with an error (a stale element, or "Node
    with given id does not belong to the document"), so those are retried, not fatal."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    browser.execute_script("window.__repmonOldPage = true;")
    element.click()

    def new_page_loaded(b) -> bool:
        return bool(b.execute_script(
            "return window.__repmonOldPage === undefined && document.readyState === 'complete';"))

    WebDriverWait(browser, 15, ignored_exceptions=(WebDriverException,)).until(new_page_loaded)


def shot(browser, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / name))


def test_a_wrong_token_is_refused_in_the_browser(console, browser):
    from selenium.webdriver.common.by import By

    base, _ = console
    log_in(browser, base, "not-the-token")
    assert "令牌错误" in browser.find_element(By.ID, "login-error").text
    browser.get(base + "/")
    assert browser.current_url.startswith(base + "/login")


def test_the_team_sees_a_red_incident_acknowledges_it_and_marks_a_step(console, browser):
    from selenium.webdriver.common.by import By

    base, iid = console
    log_in(browser, base)
    row = browser.find_element(By.CSS_SELECTOR, f'tr.incident[data-id="{iid}"]')
    assert row.get_attribute("data-tier") == "red"
    submit(browser, row.find_element(By.TAG_NAME, "a"))
    status = browser.find_element(By.ID, "status")
    assert status.get_attribute("data-status") == "open" and status.text == "待确认"
    assert browser.find_element(By.ID, "time-left").text == "3 h 35 min"
    assert browser.title != "pwned"  # the hostile post's script did not run
    submit(browser, browser.find_element(By.ID, "ack"))
    status = browser.find_element(By.ID, "status")
    assert status.get_attribute("data-status") == "acknowledged" and status.text == "已确认"
    assert browser.find_element(By.ID, "message").text == "已确认事件"
    submit(browser, browser.find_element(By.ID, "step-contact"))
    step = browser.find_element(By.CSS_SELECTOR, 'tr.step[data-step="contact"]')
    assert step.get_attribute("data-state") == "done"
    kinds = [e.get_attribute("data-kind") for e in browser.find_elements(By.CSS_SELECTOR, "tr.event")]
    assert kinds[-2:] == ["acknowledged", "step_done"]
    assert "致歉声明" in browser.find_element(By.ID, "statement").text
    shot(browser, "incident.png")


def test_a_digest_opens_with_its_charts(console, browser):
    from selenium.webdriver.common.by import By

    base, _ = console
    log_in(browser, base)
    browser.get(base + "/digests")
    submit(browser, browser.find_element(By.CSS_SELECTOR, "a.digest"))
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert len(charts) == 3
    assert browser.find_elements(By.CSS_SELECTOR, "svg.chart rect.bar")
    shot(browser, "digest.png")
