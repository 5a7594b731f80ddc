"""A "system browser" for tests: a real headless chromium (tests/browser_harness.py)
that opens the sign-in page the program asks for, signs in as a given person and
follows the redirect back to the program's loopback address.

Use it as the ``BROWSER`` command (Python's ``webbrowser`` runs it with the address and
waits for it), for the CLI, the GUI or the demo alike::

    BROWSER="python -m tests.browser_sign_in --email=a@x --password=pw %s"
    BROWSER="python -m tests.browser_sign_in --login-from DIR/credentials.json %s"

It exits 0 once the browser landed on the loopback page that says "Signed in" (or, with
``--expect wrong-password``, once the page said the password is wrong), 1 otherwise.
``--screenshots DIR`` keeps a picture of the sign-in page and of the page after it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Final

#: Generous: a busy 2-core machine starting chromium and signing in.
WAIT_SECONDS: Final = 90.0


def command(email: str, password: str, *extra: str) -> str:
    """The ``BROWSER`` value that signs in as ``email`` (run from the repository root)."""
    # "--name=value": a generated password may begin with "-" (token_urlsafe), which
    # argparse would otherwise take for an option (seen: 1 run in about 60 failed so)
    parts = [sys.executable, "-m", "tests.browser_sign_in", f"--email={email}"]
    parts += [f"--password={password}", *extra, "%s"]
    return " ".join(parts)


def _wait(driver: Any, condition: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition(driver):
            return
        time.sleep(0.05)
    raise SystemExit(f"browser_sign_in: timed out waiting for {what} (at {driver.current_url})")


def sign_in(
    driver: Any,
    url: str,
    email: str,
    password: str,
    *,
    expect: str = "signed-in",
    screenshots: Path | None = None,
) -> None:
    """Open ``url`` (the sign-in page), fill it in and submit it; wait for the outcome."""
    from selenium.webdriver.common.by import By

    started = time.perf_counter()
    driver.get(url)
    _wait(driver, lambda d: d.find_elements(By.ID, "email"), "the sign-in form")
    driver.find_element(By.ID, "email").clear()
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(password)
    if screenshots is not None:
        screenshots.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(screenshots / "sign-in-page.png"))
    driver.find_element(By.CSS_SELECTOR, 'button[value="allow"]').click()
    if expect == "wrong-password":
        _wait(driver, lambda d: "password is wrong" in d.page_source, "the wrong-password page")
    else:
        _wait(
            driver,
            lambda d: (
                d.current_url.startswith("http://127.0.0.1:")
                and "/callback" in d.current_url
                and "Signed in" in d.page_source
            ),
            "the loopback page",
        )
    elapsed = time.perf_counter() - started
    print(f"browser_sign_in: page opened to {expect} in {elapsed * 1000:.0f} ms", file=sys.stderr)
    if screenshots is not None:
        driver.save_screenshot(str(screenshots / f"sign-in-{expect}.png"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--email")
    parser.add_argument("--password")
    parser.add_argument(
        "--login-from",
        type=Path,
        help="a sandbox's credentials.json: sign in as its first user (the practice's login)",
    )
    parser.add_argument("--expect", choices=["signed-in", "wrong-password"], default="signed-in")
    parser.add_argument("--screenshots", type=Path)
    parser.add_argument("url")
    args = parser.parse_args(argv)
    if args.login_from is not None:
        user = json.loads(args.login_from.read_text(encoding="utf-8"))["users"][0]
        args.email, args.password = user["email"], user["password"]
    if not args.email or not args.password:
        parser.error("give --email and --password, or --login-from FILE")
    from tests.browser_harness import chromium

    with chromium(1000, 760) as driver:
        sign_in(
            driver,
            args.url,
            args.email,
            args.password,
            expect=args.expect,
            screenshots=args.screenshots,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
