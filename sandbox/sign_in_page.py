"""The sign-in page a person sees in their browser: email, password, "Allow access".

Every value that came from the request (the hidden OAuth fields, the email typed
before, the program's address) goes through ``html.escape``; the page runs no script
and allows only its own hashed style, and its form may post only to this service and
(for the program's sign-in) to the one loopback address the browser is sent back to.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from html import escape
from typing import Final

_STYLE: Final = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0;
       color: #1f2933; background: #f5f7fa; }
header { background: #1f4e79; color: #fff; padding: 1rem 2rem; }
header h1 { margin: 0; font-size: 1.3rem; }
main { max-width: 26rem; margin: 2rem auto; background: #fff; padding: 1.5rem 2rem;
       box-shadow: 0 1px 3px rgba(0,0,0,.12); border-radius: 6px; }
h2 { margin-top: 0; font-size: 1.2rem; }
label { display: block; margin: .8rem 0 .25rem; font-weight: 600; }
input[type=email], input[type=password] { width: 100%; box-sizing: border-box;
       padding: .5rem .6rem; border: 1px solid #9aa5b1; border-radius: 4px; font-size: 1rem; }
.buttons { margin-top: 1.2rem; display: flex; gap: .6rem; }
button { padding: .5rem 1.1rem; border: 0; border-radius: 4px; font-size: 1rem;
         cursor: pointer; background: #1f4e79; color: #fff; }
button.secondary { background: #e4e7eb; color: #1f2933; }
.error { background: #fde8e8; color: #8a1c1c; padding: .6rem .8rem; border-radius: 4px; }
.note { color: #616e7c; font-size: .9rem; }
"""

_STYLE_HASH: Final = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()


def sign_in_csp(redirect_origin: str | None = None) -> str:
    """No script; the hashed style; the form posts here (and, for the program's sign-in,
    Chromium also checks the redirect after the post against form-action)."""
    targets = "'self'" + (f" {redirect_origin}" if redirect_origin else "")
    return (
        f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action {targets}; "
        "frame-ancestors 'none'; base-uri 'none'"
    )


def render_sign_in(
    *,
    action: str,
    hidden: Mapping[str, str],
    practice_name: str,
    for_program: bool,
    email: str = "",
    error: str | None = None,
) -> str:
    fields = "\n".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in hidden.items()
    )
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    if for_program:
        intro = (
            "<p>The Contacts Migration program on this computer asks to keep "
            f"{escape(practice_name)}'s online contacts in sync with the practice database."
            '</p><p class="note">Sign in with the practice\'s online login. The program '
            "never sees your password.</p>"
        )
        buttons = (
            '<button type="submit" name="action" value="allow">Sign in and allow access</button>'
            '<button type="submit" name="action" value="deny" class="secondary" '
            "formnovalidate>Cancel</button>"
        )
    else:
        intro = f"<p>Sign in to see {escape(practice_name)}'s online contacts.</p>"
        buttons = '<button type="submit" name="action" value="allow">Sign in</button>'
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in — {escape(practice_name)}</title>
<style>{_STYLE}</style>
</head>
<body>
<header><h1>{escape(practice_name)} online</h1></header>
<main>
<h2>Sign in to your online practice</h2>
{intro}
{problem}
<form method="post" action="{escape(action)}">
{fields}
<label for="email">Email</label>
<input type="email" id="email" name="email" value="{escape(email)}" autocomplete="username"
 required>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<div class="buttons">{buttons}</div>
</form>
</main>
</body>
</html>
"""


def render_problem(practice_name: str, message: str) -> str:
    """A request the page can't serve (unknown program, non-loopback return address):
    said here, never sent back to an address that wasn't checked."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Sign-in problem — {escape(practice_name)}</title>
<style>{_STYLE}</style>
</head>
<body>
<header><h1>{escape(practice_name)} online</h1></header>
<main>
<h2>This sign-in can't go ahead</h2>
<p class="error" role="alert">{escape(message)}</p>
<p class="note">Start the sign-in again from the Contacts Migration program.</p>
</main>
</body>
</html>
"""
