"""Browser tests: Playwright for Python driving Debian's Chromium (/usr/bin/chromium) against
pytest-django's live server. Without Chromium they skip, saying how to install it; with the
environment variable CI set they fail instead, so that CI never passes without running them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CVAS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = ROOT / "var" / "screenshots"
AXE = ROOT / "var" / "node" / "node_modules" / "axe-core" / "axe.min.js"
INSTALL_HINT = (
    "install it with `apt-get update && apt-get install -y chromium fonts-noto-core` "
    "(as .ci/run does)"
)


def skip_or_fail(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set: browser tests must run)")
    pytest.skip(message)


@pytest.fixture(scope="module", autouse=True)
def _allow_orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API runs an event loop in the test's thread; the ORM calls of the
    fixtures, assertions and database flushes are still synchronous and safe there. Set for the
    browser tests only: `check --deploy` rightly refuses a process that has it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="module")
def browser(_allow_orm_beside_playwright: None) -> Iterator[Any]:
    if not CHROMIUM.exists():
        skip_or_fail(f"Chromium not found at {CHROMIUM}: {INSTALL_HINT}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("Playwright is not installed: `.venv/bin/pip install -e '.[test]'`")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def new_context(browser: Any) -> Iterator[Any]:
    """Contexts (separate cookie jars: one per person), closed after the test."""
    made: list[Any] = []

    def make(**options: Any) -> Any:
        options.setdefault("viewport", {"width": 1280, "height": 900})
        options.setdefault("bypass_csp", True)  # so that the accessibility script can be injected
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture(scope="session")
def screenshot() -> Any:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page: Any, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        skip_or_fail(f"axe-core not found at {AXE}: run `make browser-deps` (npm install axe-core)")
    return AXE.read_text(encoding="utf-8")


def serious_violations(page: Any, axe_source: str) -> list[str]:
    """axe-core's serious and critical violations on the page, each as 'rule: where'."""
    page.add_script_tag(content=axe_source)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def sign_in(page: Any, base: str, email: str, password: str) -> None:
    """Sign in through the pages; regulator staff then set up and use an authenticator app
    (the test reads the key the page shows, as a person would type it into the app)."""
    from cvas.accounts import totp

    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    if "/accounts/two-factor/" in page.url:
        shown = page.locator("[data-totp-secret]")
        if shown.count():
            secret = shown.get_attribute("data-totp-secret").replace(" ", "")
        else:
            from cvas.accounts.models import TotpDevice

            secret = totp.secret_of(TotpDevice.objects.get(user__email=email))
        page.fill("#id_code", totp.current_code(secret))
        page.click("main form button[type=submit]")
        page.wait_for_load_state()
