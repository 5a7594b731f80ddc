"""The sign-in page in a real browser (headless chromium): it renders with no Content
Security Policy violation and a wrong password is refused on the page (the right one, all
the way back to the program, is tests/contacts_migration/test_sign_in_cli.py)."""

from __future__ import annotations

from urllib.parse import urlencode

from engine.contract.wire import DESKTOP_CLIENT_ID
from tests.browser_harness import chromium, require_browser
from tests.browser_sign_in import sign_in
from tests.sandbox_harness import RunningSandbox
from tests.sign_in_support import Pkce, authorize_params, login


def _severe(driver: object) -> list[str]:
    """Console errors other than the refusal's own HTTP status line."""
    entries = driver.get_log("browser")  # type: ignore[attr-defined]
    return [
        e["message"]
        for e in entries
        if e["level"] == "SEVERE"
        and "the server responded with a status of 401" not in e["message"]
    ]


def test_a_wrong_password_is_refused_on_the_page_without_csp_violations(
    sandbox: RunningSandbox,
) -> None:
    require_browser()
    email, _ = login(sandbox.credentials)
    url = (
        sandbox.url
        + "/oauth/authorize?"
        + urlencode(authorize_params(DESKTOP_CLIENT_ID, Pkce.new()))
    )
    with chromium() as driver:
        sign_in(driver, url, email, "not-the-password", expect="wrong-password")
        assert "The email or password is wrong." in driver.page_source
        assert driver.find_element("id", "email").get_attribute("value") == email
        assert _severe(driver) == []
