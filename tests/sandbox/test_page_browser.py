"""The contacts page in a real browser (headless Debian chromium through Selenium), at a
phone's width and a desktop's, over 20,000 contacts: nothing wider than the window, no
console or Content-Security-Policy errors, and search and paging done by clicking.

Every test reaches the page through :func:`open_contacts_page`, the one place that knows
how to get there (where a sign-in step goes when the page asks for one). Screenshots go to
the test's folder; with ``CM_SCREENSHOTS=docs/screenshots`` they refresh the README's.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import pytest

from tests.browser_harness import chromium, require_browser
from tests.sandbox.factories import contact
from tests.sandbox.support import Agent, activate, api
from tests.sandbox_harness import RunningSandbox, running_sandbox
from tests.sign_in_support import login

CONTACTS: Final = 20_000
#: Generous: the machine may be busy; a condition met sooner returns at once.
WAIT_S: Final = 60.0
WIDTHS: Final = ((390, 844), (1280, 900))
FIRST: Final = ("Olivia", "Noah", "Mia", "Liam", "Ava", "Jack", "Isla", "Leo", "Zoe", "Ruby")
LAST: Final = ("Nguyen", "Smith", "Brown", "Wilson", "Taylor", "Lee", "Martin", "King")


def _people() -> list[dict[str, Any]]:
    rng = random.Random(24)
    docs = []
    for i in range(1, CONTACTS + 1):
        first, last = rng.choice(FIRST), f"{rng.choice(LAST)}-{rng.randrange(10_000):04d}"
        docs.append(
            contact(
                i,
                first_name=first,
                last_name=last,
                code=f"C{i:05d}",
                email=f"{first}.{last}@example.com".lower(),
                phone=f"04{rng.randrange(10**8):08d}",
                addresses=[],
                extra_fields=[],
                relationships=[],
            )
        )
    docs[41] = contact(  # a long unbroken email: must wrap, not widen the page
        42,
        first_name="Ethan",
        last_name="Green",
        code="GREE0001",
        email="ethan.green.accounts.payable.department@greenandsonsholdings.example.com.au",
        phone="0477 442 836",
        addresses=[],
        extra_fields=[],
        relationships=[],
    )
    return docs


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    require_browser()
    with running_sandbox(tmp_path_factory.mktemp("page-browser")) as sandbox:
        with api(sandbox) as client:
            activate(client)
            agent = Agent(client)
            people = _people()
            for start in range(0, len(people), 2_500):
                agent.send_ok(people[start : start + 2_500])
        yield sandbox


@contextmanager
def browser(width: int, height: int) -> Iterator[Any]:
    """chromium with a viewport of exactly this size; a phone's width is emulated as a
    phone (headless chromium makes no window narrower than 500 px)."""
    with chromium(max(width, 500), height) as driver:
        if width < 500:
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True},
            )
        yield driver


def open_contacts_page(driver: Any, site: RunningSandbox, query: str = "") -> None:
    """Open the contacts page, signing in first when it asks (it sends a browser that is
    not signed in to the service's sign-in page, which comes back to the page)."""
    from urllib.parse import urlencode

    from selenium.webdriver.common.by import By

    driver.get(site.url + "/" + (f"?{urlencode({'q': query})}" if query else ""))
    _wait_for(driver, lambda: _ready(driver), "the page to load")
    if "/sign-in" in driver.current_url:
        email, password = login(site.credentials)
        driver.find_element(By.ID, "email").clear()
        driver.find_element(By.ID, "email").send_keys(email)
        driver.find_element(By.ID, "password").send_keys(password)
        driver.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
        _wait_for(
            driver,
            lambda: "/sign-in" not in driver.current_url and _ready(driver),
            "the page after signing in",
        )


def _ready(driver: Any) -> bool:
    return bool(driver.execute_script("return document.readyState") == "complete")


def _wait_for(driver: Any, condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}; at {driver.current_url}")
        time.sleep(0.05)


def _status(driver: Any) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.CSS_SELECTOR, "p.status").text)


def _names(driver: Any) -> list[str]:
    from selenium.webdriver.common.by import By

    return [cell.text for cell in driver.find_elements(By.CSS_SELECTOR, "td.name")]


def _click(driver: Any, link_text: str) -> None:
    """Click a link or button and wait for the next page to replace this one."""
    from selenium.webdriver.common.by import By

    element = (
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]")
        if link_text == "Search"
        else driver.find_element(By.LINK_TEXT, link_text)
    )
    old = driver.find_element(By.TAG_NAME, "html")
    element.click()

    def replaced() -> bool:
        try:
            old.tag_name  # noqa: B018 - raises once the old page is gone
            return False
        except Exception:
            return _ready(driver)

    _wait_for(driver, replaced, f"the page after clicking {link_text!r}")


def _check_fits_and_clean(driver: Any, width: int) -> None:
    widths = driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]"
    )
    # the viewport really is that wide: a phone's browser widens its layout viewport to a
    # page that doesn't fit, so a wider one here is the sideways scroll on a real phone
    assert widths[1] == width, widths
    assert widths[0] <= widths[1], f"at {width} px the page is {widths[0]} px wide (sideways)"
    errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == [], errors  # console errors, Content-Security-Policy violations included


def _screenshot(driver: Any, folder: Path, name: str) -> None:
    target = Path(os.environ.get("CM_SCREENSHOTS") or folder)
    target.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(target / name))


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_paging_by_clicking(site: RunningSandbox, tmp_path: Path, width: int, height: int) -> None:
    with browser(width, height) as driver:
        open_contacts_page(driver, site)
        assert _status(driver) == "Contacts 1–50 of 20,000, by name"
        assert "20,000 contacts online" in driver.page_source
        names = _names(driver)
        assert len(names) == 50 and names == sorted(names, key=str.casefold)
        _check_fits_and_clean(driver, width)
        _screenshot(driver, tmp_path, f"contacts-{width}.png")

        _click(driver, "Next ›")
        assert _status(driver) == "Contacts 51–100 of 20,000, by name"
        assert names[-1].casefold() <= _names(driver)[0].casefold()
        _click(driver, "Last »")
        assert _status(driver) == "Contacts 19,951–20,000 of 20,000, by name"
        assert "Page 400 of 400" in driver.page_source
        _click(driver, "‹ Previous")
        assert _status(driver) == "Contacts 19,901–19,950 of 20,000, by name"
        _click(driver, "« First")
        assert _status(driver) == "Contacts 1–50 of 20,000, by name"
        assert _names(driver) == names
        _check_fits_and_clean(driver, width)


@pytest.mark.parametrize(("width", "height"), WIDTHS)
@pytest.mark.parametrize("typed", ["Green, Ethan", "Ethan Green", "green ethan", "0477442836"])
def test_search_by_typing_and_clicking(
    site: RunningSandbox, tmp_path: Path, width: int, height: int, typed: str
) -> None:
    from selenium.webdriver.common.by import By

    with browser(width, height) as driver:
        open_contacts_page(driver, site)
        box = driver.find_element(By.CSS_SELECTOR, "input[type=search]")
        box.send_keys(typed)
        _click(driver, "Search")
        assert _names(driver) == ["Ethan Green"]
        assert _status(driver) == f"1 match for “{typed}” · 1–1 of 1"
        assert "ethan.green.accounts.payable" in driver.page_source
        _check_fits_and_clean(driver, width)
        if typed == "Green, Ethan":
            _screenshot(driver, tmp_path, f"contacts-search-{width}.png")
