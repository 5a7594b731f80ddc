"""The "system browser" command the sign-in tests give ``BROWSER`` reads back exactly,
whatever the generated password looks like (one beginning with "-" once failed a run)."""

from __future__ import annotations

import shlex

import pytest

from tests import browser_sign_in


@pytest.mark.parametrize("password", ["-Ab_c9", "--x", "plain", "a-b_c"])
def test_the_command_carries_any_generated_password(
    password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    words = shlex.split(browser_sign_in.command("a@x.example", password))
    seen: dict[str, str] = {}

    def sign_in(_driver: object, url: str, email: str, given: str, **_: object) -> None:
        seen.update(url=url, email=email, password=given)

    class NoBrowser:
        def __enter__(self) -> object:
            return object()

        def __exit__(self, *_: object) -> None:
            return None

    monkeypatch.setattr(browser_sign_in, "sign_in", sign_in)
    monkeypatch.setattr("tests.browser_harness.chromium", lambda *_a, **_k: NoBrowser())
    args = [word.replace("%s", "http://127.0.0.1:1/x") for word in words[3:]]
    assert browser_sign_in.main(args) == 0
    assert seen == {"url": "http://127.0.0.1:1/x", "email": "a@x.example", "password": password}
