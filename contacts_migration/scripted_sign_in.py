"""Signing in for the person in scripted runs (``demo --headless``, ``--exit-when-synced``):
the same sign-in page and endpoints a person's browser uses, filled in with the demo's
own login, then the redirect followed to the program's loopback address. No browser."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

import httpx

from engine import UserFacingError


def sign_in_as(email: str, password: str) -> Callable[[str], bool]:
    """A stand-in for the system browser that signs in as ``email``."""

    def open_page(url: str) -> bool:
        parts = urlsplit(url)
        params = dict(parse_qsl(parts.query))
        form = {**params, "email": email, "password": password, "action": "allow"}
        with httpx.Client(timeout=60, follow_redirects=False, trust_env=False) as http:
            page = http.get(url)
            answer = http.post(f"{parts.scheme}://{parts.netloc}{parts.path}", data=form)
            if page.status_code != 200 or answer.status_code != 303:
                raise UserFacingError(
                    f"The scripted sign-in as {email} was refused (HTTP {answer.status_code}).",
                    "Check the sign-in users in the sandbox's credentials.json.",
                )
            http.get(answer.headers["location"])  # back to the program's loopback address
        return True

    return open_page
