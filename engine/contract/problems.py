"""A refusal in plain words: what msgspec found wrong, said the way people read it.

msgspec decides (the typed Structs of ``engine.contract.document`` are the only rules) and
says where, as a path (``$.addresses[0].postcode``); this module only phrases that one
problem, from the declared type at that path and the value found there:
"addresses[0].postcode must be text or null". It judges nothing itself, so the engine and
the service can't disagree about what is valid, only share the same words for it.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, Final, get_args, get_type_hints

import msgspec
import msgspec.inspect as mi

from engine.contract.formats import (
    CONTROL_RE,
    DATE_OR_TIMESTAMP,
    ID,
    TEXT,
    TIMESTAMP,
    schema_pattern,
)

#: Unknown keys named in one problem; a document with thousands gets a count instead,
#: so a refusal stays small whatever was sent.
MAX_LISTED_KEYS: Final = 20

#: What a text of each pattern must be (after "must be"), for the patterns the types use.
_PATTERN_WORDS: Final = {
    schema_pattern(DATE_OR_TIMESTAMP): "a date (YYYY-MM-DD, optionally with a time)",
    schema_pattern(TIMESTAMP): "a timestamp (YYYY-MM-DDTHH:MM:SS)",
    schema_pattern(TEXT): "text",
}
_ID_PATTERN: Final = schema_pattern(ID)
_ID_WORDS: Final = (
    "is not a contact id: a string of 1 to 18 digits without leading zeros (1 or more)"
)

_AT: Final = re.compile(r" - at `\$([^`]*)`$")
_STEP: Final = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[([0-9]+)\]")
_MISSING: Final = "Object missing required field"
_UNKNOWN: Final = "Object contains unknown field"


def listed(keys: list[str]) -> str:
    """The first :data:`MAX_LISTED_KEYS` keys (each cut to 100 characters), then a count."""
    shown = ", ".join(key[:100] for key in keys[:MAX_LISTED_KEYS])
    more = len(keys) - MAX_LISTED_KEYS
    return shown + (f" and {more} more" if more > 0 else "")


@cache
def _info(root: type) -> mi.Type:
    return mi.type_info(root)


def _unwrapped(info: mi.Type) -> tuple[list[mi.Type], bool]:
    """The kinds a value of this type may be (metadata stripped), and whether null is one."""
    members = list(info.types) if isinstance(info, mi.UnionType) else [info]
    kinds = [m.type if isinstance(m, mi.Metadata) else m for m in members]
    nullable = any(isinstance(kind, mi.NoneType) for kind in kinds)
    return [kind for kind in kinds if not isinstance(kind, mi.NoneType)], nullable


def _step(value: object, token: str | int) -> object:
    if isinstance(token, int):
        return value[token] if isinstance(value, list) and token < len(value) else None
    return value.get(token) if isinstance(value, dict) else None


def _walk(root: type, path: str, doc: object) -> tuple[str, object, mi.Type, Any]:
    """Follow an error path: (where, in words; the value there; its declared type; the
    field's annotation when it is a struct field, for a literal's values in order)."""
    info, value, where, hint = _info(root), doc, "", None
    for match in _STEP.finditer(path):
        key, index = match.groups()
        kinds, _ = _unwrapped(info)
        if index is not None:
            lists = [kind for kind in kinds if isinstance(kind, mi.ListType)]
            if not lists:
                break
            info, value, hint = lists[0].item_type, _step(value, int(index)), None
            where += f"[{index}]"
            continue
        structs = [kind for kind in kinds if isinstance(kind, mi.StructType)]
        fields = {field.name: field for field in structs[0].fields} if structs else {}
        if key not in fields:
            break
        hint = get_type_hints(structs[0].cls, include_extras=True)[key]
        info, value = fields[key].type, _step(value, key)
        where = f"{where}.{key}" if where else key
    return where, value, info, hint


def _must(where: str, value: object, info: mi.Type, hint: Any) -> str | None:
    """The words for a value that is not of its declared type; None: no words for it."""
    kinds, nullable = _unwrapped(info)
    or_null = " or null" if nullable else ""
    if len(kinds) != 1 and not all(isinstance(k, mi.IntType | mi.FloatType) for k in kinds):
        return None
    kind = kinds[0]
    if isinstance(kind, mi.StrType) and kind.pattern == _ID_PATTERN:
        return f"{where} {repr(value)[:40]} {_ID_WORDS}"
    if isinstance(kind, mi.StrType) and kind.pattern == schema_pattern(TEXT):
        bad = CONTROL_RE.search(value) if isinstance(value, str) else None
        if bad is not None:
            return f"{where} holds a control character (U+{ord(bad.group()):04X})"
    if isinstance(kind, mi.StrType) and kind.pattern in _PATTERN_WORDS:
        return f"{where} must be {_PATTERN_WORDS[kind.pattern]}{or_null}"
    if isinstance(kind, mi.StrType) and kind.max_length is not None and kind.pattern is None:
        null = " null or" if nullable else ""
        return f"{where} must be{null} text of at most {kind.max_length} characters"
    if isinstance(kind, mi.IntType | mi.FloatType):
        return f"{where} must be a whole number from {kind.ge} to {kind.le}"
    if isinstance(kind, mi.BoolType):
        return f"{where} must be true{',' if nullable else ' or'} false{or_null}"
    if isinstance(kind, mi.LiteralType):
        values = [arg for arg in get_args(hint) if arg in kind.values] or list(kind.values)
        return f"{where} must be {' or '.join(repr(v) for v in values)}{or_null}"
    if isinstance(kind, mi.StructType):
        return f"{where} must be an object{or_null}"
    if isinstance(kind, mi.ListType):
        return f"{where} must be a list{or_null}"
    return None


def problem_words(
    error: msgspec.ValidationError, doc: object, root: type, label: str = "contact"
) -> str:
    """The one problem msgspec found in ``doc`` (checked as ``root``), in plain words that
    name the key and what it must be; ``label`` names ``doc`` itself."""
    text = str(error)
    found = _AT.search(text)
    path = found.group(1) if found else ""
    message = text[: found.start()] if found else text
    where, value, info, hint = _walk(root, path, doc)
    label = where or label
    kinds, _ = _unwrapped(info)
    structs = [kind for kind in kinds if isinstance(kind, mi.StructType)]
    if structs and isinstance(value, dict) and message.startswith((_MISSING, _UNKNOWN)):
        names = [field.name for field in structs[0].fields]
        if message.startswith(_MISSING):
            missing = [name for name in names if name not in value]
            return f"{label} is missing {', '.join(missing)}"
        unknown = sorted(str(key) for key in value if key not in names)
        return f"{label} has unknown keys {listed(unknown)}"
    return _must(label, value, info, hint) or f"{label}: {message}"
