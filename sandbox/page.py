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

from sandbox.search import PageRow

_STYLE: Final = """
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0;
       color: #1f2933; background: #f5f7fa; }
header { background: #1f4e79; color: #fff; padding: 1rem 2rem; }
header h1 { margin: 0; font-size: 1.4rem; overflow-wrap: anywhere; }
header p { margin: .25rem 0 0; opacity: .85; font-size: .9rem; }
main { padding: 1.5rem 2rem; }
form { margin-bottom: 1rem; display: flex; gap: .5rem; }
input[type=search] { flex: 0 1 24rem; min-width: 0; padding: .45rem .6rem;
       border: 1px solid #9aa5b1; border-radius: 4px; font-size: 1rem; }
button { padding: .45rem 1rem; border: 0; border-radius: 4px; background: #1f4e79;
       color: #fff; font-size: 1rem; cursor: pointer; }
.status { margin: 0 0 .75rem; color: #52606d; }
table { border-collapse: collapse; width: 100%; background: #fff;
       box-shadow: 0 1px 2px rgba(0,0,0,.08); }
th, td { text-align: left; padding: .5rem .75rem; border-bottom: 1px solid #e4e7eb;
       font-size: .92rem; overflow-wrap: anywhere; }
th { background: #e4e7eb; font-weight: 600; }
tr:hover td { background: #f0f4f8; }
.empty { padding: 2rem; text-align: center; color: #616e7c; }
nav { margin-top: 1rem; display: flex; flex-wrap: wrap; gap: .5rem 1rem;
      align-items: center; }
nav a { color: #1f4e79; }
nav .off { color: #9aa5b1; }
.muted { color: #9aa5b1; }
@media (max-width: 700px) {
  header { padding: .75rem 1rem; }
  main { padding: 1rem; }
  input[type=search] { flex: 1 1 auto; }
  table, tbody, tr, td { display: block; width: 100%; }
  table { background: none; box-shadow: none; }
  thead { display: none; }
  tr { background: #fff; margin-bottom: .75rem; border-radius: 6px;
       box-shadow: 0 1px 2px rgba(0,0,0,.12); padding: .5rem .75rem; }
  td { border: 0; padding: .15rem 0; }
  td::before { content: attr(data-label) ": "; color: #52606d; }
  td.name { font-weight: 600; font-size: 1rem; }
  td.name::before, td.empty::before { content: none; }
  td.muted { display: none; }
}
"""

#: The page's policy: its own inline style (by hash) and nothing else; no script at all,
#: never framed, the search form posts only to this service.
PAGE_CSP: Final = (
    "default-src 'none'; "
    f"style-src 'sha256-{base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()}'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


_COLUMNS: Final = ("Name", "Code", "Type", "Email", "Phone")


def _cell(label: str, value: str | None) -> str:
    name = ' class="name"' if label == "Name" else ""
    if value is None or value == "":
        return f'<td class="muted" data-label="{label}">—</td>'
    return f'<td{name} data-label="{label}">{escape(value)}</td>'


def _link(query: str, page: int) -> str:
    params: dict[str, str] = {}
    if query:
        params["q"] = query
    if page > 1:
        params["page"] = str(page)
    return escape("/?" + urlencode(params) if params else "/")


def _nav(query: str, page: int, pages: int) -> str:
    """First, previous, where we are, next, last; the ones that lead nowhere are greyed."""

    def item(label: str, target: int, rel: str) -> str:
        if target == page or not 1 <= target <= pages:
            return f'<span class="off">{label}</span>'
        return f'<a href="{_link(query, target)}" rel="{rel}">{label}</a>'

    return " ".join(
        (
            item("« First", 1, "first"),
            item("‹ Previous", min(page - 1, pages), "prev"),
            f"<span>Page {page:,} of {pages:,}</span>",
            item("Next ›", page + 1, "next"),
            item("Last »", pages, "last"),
        )
    )


def _status(query: str, page: int, size: int, shown: int, matched: int) -> str:
    if matched == 0:
        return ""
    first = (page - 1) * size + 1
    where = f"{first:,}–{first + shown - 1:,} of {matched:,}" if shown else "none"
    if not query:
        return f"Contacts {where}, by name"
    plural = "" if matched == 1 else "es"
    return f"{matched:,} match{plural} for “{escape(query)}” · {where}"


def render_page(
    practice_name: str,
    rows: Sequence[PageRow],
    *,
    query: str,
    page: int,
    size: int,
    matched: int,
    total: int,
) -> str:
    pages = max(1, -(-matched // size))
    body_rows = "\n".join(
        "<tr>"
        + "".join(
            _cell(label, value)
            for label, value in zip(
                _COLUMNS, (row.name, row.code, row.type, row.email, row.phone), strict=True
            )
        )
        + "</tr>"
        for row in rows
    )
    if not rows:
        if page > pages:
            message = f"There is no page {page:,}; the last page is {pages:,}."
        else:
            message = "No contacts match this search." if query else "No contacts online yet."
        body_rows = f'<tr><td colspan="5" class="empty">{message}</td></tr>'
    return _document(
        practice_name,
        total,
        query,
        f'<p class="status" role="status">{_status(query, page, size, len(rows), matched)}</p>'
        f"""
<table>
<thead><tr>{"".join(f"<th>{label}</th>" for label in _COLUMNS)}</tr></thead>
<tbody>
{body_rows}
</tbody>
</table>
<nav aria-label="Pages">{_nav(query, min(page, pages), pages)}</nav>""",
    )


def render_problem(practice_name: str, total: int, message: str) -> str:
    """The page with a plain message instead of the list (a bad address), and the way on."""
    return _document(
        practice_name,
        total,
        "",
        f'<p class="status" role="alert">{escape(message)}</p>'
        '<nav><a href="/">Go to the first page</a></nav>',
    )


def _document(practice_name: str, total: int, query: str, content: str) -> str:
    title = escape(practice_name)
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
<p>{total:,} contact{plural} online · read-only copy of the practice database</p>
</header>
<main>
<form method="get" action="/" role="search">
<input type="search" name="q" value="{escape(query)}" placeholder="Name, code, email or phone"
 aria-label="Search contacts">
<button type="submit">Search</button>
</form>
{content}
</main>
</body>
</html>
"""
