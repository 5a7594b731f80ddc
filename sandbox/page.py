"""The read-only contacts page at ``/``: what a practice sees online, searchable.

Contacts hold arbitrary text, so every value (and the search box, and each link) goes
through ``html.escape`` — nothing from the database reaches the page unescaped.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from html import escape
from typing import Final
from urllib.parse import urlencode

from sandbox.storage import PageRow

_STYLE: Final = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0;
       color: #1f2933; background: #f5f7fa; }
header { background: #1f4e79; color: #fff; padding: 1rem 2rem; }
header h1 { margin: 0; font-size: 1.4rem; }
header p { margin: .25rem 0 0; opacity: .85; font-size: .9rem; }
main { padding: 1.5rem 2rem; }
form { margin-bottom: 1rem; display: flex; gap: .5rem; }
input[type=search] { flex: 0 1 24rem; padding: .45rem .6rem; border: 1px solid #9aa5b1;
       border-radius: 4px; font-size: 1rem; }
button { padding: .45rem 1rem; border: 0; border-radius: 4px; background: #1f4e79;
       color: #fff; font-size: 1rem; cursor: pointer; }
table { border-collapse: collapse; width: 100%; background: #fff;
       box-shadow: 0 1px 2px rgba(0,0,0,.08); }
th, td { text-align: left; padding: .5rem .75rem; border-bottom: 1px solid #e4e7eb;
       font-size: .92rem; }
th { background: #e4e7eb; font-weight: 600; }
tr:hover td { background: #f0f4f8; }
.empty { padding: 2rem; text-align: center; color: #616e7c; }
nav { margin-top: 1rem; display: flex; gap: 1rem; }
nav a { color: #1f4e79; }
.muted { color: #9aa5b1; }
"""

#: The page's policy: its own inline style (by hash) and nothing else; no script at all,
#: never framed, the search form posts only to this service.
PAGE_CSP: Final = (
    "default-src 'none'; "
    f"style-src 'sha256-{base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()}'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def _cell(value: str | None) -> str:
    if value is None or value == "":
        return '<td class="muted">—</td>'
    return f"<td>{escape(value)}</td>"


def _link(query: str, after: int | None) -> str:
    params: dict[str, str] = {}
    if query:
        params["q"] = query
    if after is not None:
        params["after"] = str(after)
    return escape("/?" + urlencode(params) if params else "/")


def render_page(
    practice_name: str,
    rows: Sequence[PageRow],
    *,
    query: str,
    after: int,
    has_more: bool,
    total: int,
) -> str:
    title = escape(practice_name)
    body_rows = "\n".join(
        "<tr>"
        + _cell(row.name)
        + _cell(row.code)
        + _cell(row.type)
        + _cell(row.email)
        + _cell(row.phone)
        + "</tr>"
        for row in rows
    )
    if not rows:
        message = "No contacts match this search." if query else "No contacts online yet."
        body_rows = f'<tr><td colspan="5" class="empty">{message}</td></tr>'
    links: list[str] = []
    if after > 0:
        links.append(f'<a href="{_link(query, None)}">« First page</a>')
    if has_more and rows:
        links.append(f'<a href="{_link(query, rows[-1].id)}">Next page »</a>')
    plural = "" if total == 1 else "s"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — contacts</title>
<style>{_STYLE}</style>
</head>
<body>
<header>
<h1>{title}</h1>
<p>{total} contact{plural} online · read-only copy of the practice database</p>
</header>
<main>
<form method="get" action="/" role="search">
<input type="search" name="q" value="{escape(query)}" placeholder="Search name, code, email, phone"
 aria-label="Search contacts">
<button type="submit">Search</button>
</form>
<table>
<thead><tr><th>Name</th><th>Code</th><th>Type</th><th>Email</th><th>Phone</th></tr></thead>
<tbody>
{body_rows}
</tbody>
</table>
<nav>{" ".join(links)}</nav>
</main>
</body>
</html>
"""
