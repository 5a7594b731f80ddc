"""A real browser for the tests: Debian's ``chromium`` driven by its ``chromium-driver``
through Selenium, headless, with a fresh profile and no background networking (this
machine's closed network refuses Google's hosts; chromium would keep retrying them).

Shared by every test that opens a page (the contacts page, the browser sign-in). A
missing browser skips on a laptop and fails under ``CI=true`` (``scripts/setup.sh``
installs both packages).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from tests.components import require_component

CHROMIUM_PATHS: Final = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER_PATHS: Final = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")
PAGE_LOAD_TIMEOUT_S: Final = 60.0


def _first_existing(paths: tuple[str, ...]) -> str | None:
    return next((path for path in paths if Path(path).exists()), None)


def require_browser() -> tuple[str, str]:
    """Paths of chromium and its driver, or skip (fail under CI) naming what is missing."""
    try:
        import selenium  # noqa: F401
    except ImportError as error:
        require_component("selenium", f"{error} (scripts/setup.sh installs the dev extras)")
    chromium = _first_existing(CHROMIUM_PATHS) or shutil.which("chromium")
    driver = _first_existing(CHROMEDRIVER_PATHS) or shutil.which("chromedriver")
    if chromium is None or driver is None:
        require_component(
            "Debian's chromium and chromium-driver",
            "apt-get install chromium chromium-driver (scripts/setup.sh installs them)",
        )
    return chromium, driver


@contextmanager
def chromium(width: int = 1280, height: int = 900) -> Iterator[Any]:
    """A headless chromium window of the given size, closed (and its profile removed)
    afterwards. Yields a ``selenium.webdriver.Chrome``; console messages are kept so a
    test can assert there were no errors (``driver.get_log("browser")``)."""
    binary, driver_path = require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="cm-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT_S)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
