"""What the contents of a contact's text values may be: ids, dates, timestamps, text.

Each rule is one regular expression, written in the subset that Python's ``re`` and
ECMAScript read alike, so the same text is both the ``pattern`` the contact document's types
enforce (``engine.contract.document``, through msgspec) and the ``pattern`` of the published
OpenAPI schema: a schema-valid value is never refused and a refused one never matches the
schema. Calendar validity (month lengths, leap years) is in
the expressions themselves, so "a date" means a real date, not just the shape of one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

#: The most digits an id has.
MAX_ID_LENGTH: Final = 18
#: A contact id: 1 to 18 digits with no leading zero (so one id has one spelling, and 0 is
#: not an id: the desktop's ids start at 1 and every listing pages from "after 0").
ID: Final = f"[1-9][0-9]{{0,{MAX_ID_LENGTH - 1}}}"
#: An ``after`` cursor: an id, or 0 for "from the start".
CURSOR: Final = f"0|{ID}"

_YEAR: Final = "(?:[0-9]{3}[1-9]|[0-9]{2}[1-9]0|[0-9][1-9]00|[1-9]000)"  # 0001-9999
_FOURS: Final = "(?:0[48]|[2468][048]|[13579][26])"  # two digits, a multiple of 4 (not 00)
_LEAP_YEAR: Final = f"(?:[0-9]{{2}}{_FOURS}|{_FOURS}00)"
_MONTH_DAY: Final = (
    "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    "|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
#: A calendar date, ISO 8601 ``YYYY-MM-DD``.
DATE: Final = f"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
_TIME: Final = "(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,6})?"
_OFFSET: Final = "(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
#: A timestamp as the agent writes it (Python's ``isoformat``): date, ``T``, time with
#: optional fraction, optional UTC offset (the desktop's are usually local, without one).
TIMESTAMP: Final = f"{DATE}T{_TIME}{_OFFSET}?"
#: A date that may carry a time (a desktop date column holding one, e.g. a date of birth
#: stored as a date-time with a non-midnight time).
DATE_OR_TIMESTAMP: Final = f"{DATE}(?:T{_TIME}{_OFFSET}?)?"
#: Characters text may not hold: C0 controls other than tab, line feed and carriage
#: return (the desktop's text columns and the practice's forms can't show or keep them).
CONTROL_CHARACTERS: Final = "[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]"
#: Text without those characters.
TEXT: Final = "[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*"


#: The end of the text. ECMAScript's ``$`` (JSON Schema's) matches only there, but Python's
#: also matches before a final line feed, so ``re.search`` (what msgspec and Python's JSON
#: Schema validators run) would take "1\\n" for an id; the lookahead shuts that out and changes
#: nothing in ECMAScript.
END: Final = "$(?!\\n)"


def schema_pattern(expression: str) -> str:
    """The expression anchored for a ``pattern`` (JSON Schema's and msgspec's ``Meta``),
    which searches rather than matches; grouped only when it has alternatives (a group
    around ``[^...]*`` makes Python's ``re`` twice as slow)."""
    return f"^(?:{expression}){END}" if "|" in expression else f"^{expression}{END}"


ID_RE: Final = re.compile(ID)
CURSOR_RE: Final = re.compile(CURSOR)
DATE_RE: Final = re.compile(DATE)
TIMESTAMP_RE: Final = re.compile(TIMESTAMP)
DATE_OR_TIMESTAMP_RE: Final = re.compile(DATE_OR_TIMESTAMP)
CONTROL_RE: Final = re.compile(CONTROL_CHARACTERS)


def is_id(value: object) -> bool:
    """True for a contact id in its one canonical spelling (``"1"``, never ``"01"``)."""
    return type(value) is str and ID_RE.fullmatch(value) is not None


# -- many values at once -----------------------------------------------------------------
#
# msgspec asks ``re`` about each value in a call of its own (``pattern.search``: a Python
# call and a match object each time), which costs a decoded batch more than its JSON. The
# same verdicts for a whole list in a few C calls: ids by ``str`` methods over the joined
# values, the other rules by one match over all the values on lines of their own.


def all_ids(values: Sequence[str]) -> bool:
    """Whether every value is an id (what ``ID_RE.fullmatch`` says of each)."""
    if not values:
        return True
    digits = "".join(values)
    return (
        digits.isascii()  # with isdigit: 0-9 only (isdigit alone takes "١" and "²")
        and digits.isdigit()
        and "\n0" not in "\n" + "\n".join(values)  # digits only: none starts with 0
        and min(map(len, values)) > 0
        and max(map(len, values)) <= MAX_ID_LENGTH
    )


def lines_of(expression: str) -> re.Pattern[str]:
    """Matches values of ``expression`` on lines; ``expression`` must never match a line
    feed (no ``.``, no ``[^...]``, no ``\\s``: checked roughly here)."""
    bare = expression.replace("\\.", "")
    assert not any(part in bare for part in ("\n", ".", "[^", "\\s", "\\D", "\\W")), bare
    return re.compile(f"(?:{expression})(?:\n(?:{expression}))*")


def all_match(lines: re.Pattern[str], values: Sequence[str]) -> bool:
    """Whether every value is what ``lines`` (:func:`lines_of`) matches on one line: the
    values are its lines only when none holds a line feed, which the count tells."""
    if not values:
        return True
    text = "\n".join(values)
    return text.count("\n") == len(values) - 1 and lines.fullmatch(text) is not None


DATE_OR_TIMESTAMP_LINES: Final = lines_of(DATE_OR_TIMESTAMP)
TIMESTAMP_LINES: Final = lines_of(TIMESTAMP)
