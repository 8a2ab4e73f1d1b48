"""Browser fixtures: Debian's Chromium driven by Playwright, against the provider console of the local stack.

    browser      -- session: headless Chromium (/usr/bin/chromium, or $CHROMIUM)
    console      -- factory: console(user, phone=False) -> a Console: a fresh page at the stack's /console/,
                    signed in as that user (or not, with user=None)
    shots        -- shots.take(page, name) saves build/test-artifacts/screenshots/<name>.png

A test that fails leaves a screenshot of each page it opened in build/test-artifacts/failures/.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional

import pytest

from tests.local_stack import ROOT, Stack, User

ARTIFACTS = ROOT / "build" / "test-artifacts"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
# Chromium's background services would call Google's hosts; this machine's network refuses them.
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--lang=en-GB"]
EXPECT_TIMEOUT_MS = 15_000


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not Path(path).exists():
        pytest.fail(f"no Chromium at {path}: `make test` installs Debian's chromium package "
                    "(scripts/install_chromium.sh); or set CHROMIUM to a Chromium binary", pytrace=False)
    return path


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver):
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    chromium = playwright_driver.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@dataclass
class Console:
    """One browser context (its own sessionStorage) with one page on the console."""

    page: object
    context: object
    base_url: str
    errors: List[str]

    def open(self, section: str = "") -> None:
        self.page.goto(f"{self.base_url}/console/" + (f"#/{section}" if section else ""))

    def sign_in(self, user: User) -> None:
        from playwright.sync_api import expect

        self.open()
        self.page.get_by_label("E-mail").fill(user.email)
        self.page.get_by_label("Password").fill(user.password)
        self.page.get_by_role("button", name="Sign in").click()
        expect(self.page.get_by_role("button", name="Sign out")).to_be_visible()


class Shots:
    def __init__(self) -> None:
        self.folder = ARTIFACTS / "screenshots"
        self.folder.mkdir(parents=True, exist_ok=True)

    def take(self, page, name: str) -> Path:
        """Save a full-page screenshot as an artifact of the run."""
        path = self.folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture(scope="session")
def shots() -> Shots:
    return Shots()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture()
def console(request, browser, stack: Stack):
    opened: List[Console] = []

    def open_console(user: Optional[User] = None, phone: bool = False) -> Console:
        context = browser.new_context(viewport=PHONE if phone else DESKTOP, is_mobile=phone, has_touch=phone,
                                      locale="en-GB", timezone_id="UTC")
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        page = context.new_page()
        errors: List[str] = []
        page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
        # Chromium logs every 4xx/5xx answer as a console error ("Failed to load resource: ..."); the API's
        # refusals are expected answers the page shows, not script errors.
        page.on("console", lambda msg: errors.append(f"console.{msg.type}: {msg.text}")
                if msg.type == "error" and not msg.text.startswith("Failed to load resource:") else None)
        session = Console(page=page, context=context, base_url=stack.api_url, errors=errors)
        opened.append(session)
        if user is not None:
            session.sign_in(user)
        return session

    yield open_console
    report = getattr(request.node, "report_call", None)
    for index, session in enumerate(opened):
        if report is not None and report.failed:
            folder = ARTIFACTS / "failures"
            folder.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
            try:
                session.page.screenshot(path=str(folder / f"{name}-{index}.png"), full_page=True)
            except Exception:  # the page may be gone; the test's own failure is what matters
                pass
        session.context.close()
