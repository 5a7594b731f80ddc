"""What each token scope may see of a contact.

Decision (see SECURITY.md): a ``read`` token — viewers, dashboards, the contacts page's
API equivalent — never receives tax file numbers; ``tax_file_number`` comes back null.
Only the agent's ``sync`` scope, which uploaded them, reads them back (``verify``
compares every field). A TFN is the field whose leak does the most harm (identity fraud)
and no reader of the online copy needs it, so least privilege wins over convenience.
Hashes are of the full document, so a ``read`` client can't check a withheld document
against its hash — it has no need to.
"""

from __future__ import annotations

from typing import Final

from engine.contract.wire import Scope
from sandbox import jsonio

WITHHELD_FIELDS: Final = ("tax_file_number",)
#: Stored documents are canonical JSON: a null field is written exactly like this.
_NULLS: Final = tuple(f'"{name}":null' for name in WITHHELD_FIELDS)


def for_scope(doc: str, scope: Scope) -> str:
    """The stored JSON text of a contact as a token of ``scope`` may see it."""
    if scope is Scope.SYNC or all(null in doc for null in _NULLS):
        return doc
    value = jsonio.parse(doc.encode("utf-8"))
    for name in WITHHELD_FIELDS:
        if name in value:
            value[name] = None
    return jsonio.to_text(value)
