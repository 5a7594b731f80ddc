"""schemathesis hooks for tests/sandbox/test_schemathesis.py (loaded by SCHEMATHESIS_HOOKS).

Two rules of the batch contract are beyond JSON Schema, so generated batches are made to
keep them (the document's descriptions say both; the service answers 422 otherwise):

- within a batch a contact id appears at most once (upserts and deletes together): a later
  upsert of an id already upserted gets a fresh id, deletes of upserted ids are dropped;
- an Idempotency-Key is used for one batch content only: a schema-valid key is replaced
  by a new one for every request (schemathesis repeats values in deterministic mode).

And one is about time, not validity: ``Checkpoint-Wait`` may hold a batch up to 30 s for
its base, which would spend the run's time budget waiting (the waiting itself is tested in
tests/sandbox/test_compressed_batches.py); valid numbers are capped at 0.2 s.
Everything else is exactly what schemathesis generated.
"""

from __future__ import annotations

import itertools
import re
from typing import Any, Final

import schemathesis

from sandbox.decoding import CHECKPOINT_WAIT_PATTERN
from sandbox.limits import IDEMPOTENCY_KEY_RE

_KEYS: Final = itertools.count(1)
MAX_WAIT_S: Final = 0.2


def _unique_ids(body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    upserts, deletes = body.get("upserts"), body.get("deletes")
    if not isinstance(upserts, list):
        return body
    seen: set[str] = set()
    fresh = 10**17
    for doc in upserts:
        if isinstance(doc, dict) and isinstance(doc.get("id"), str):
            while doc["id"] in seen:
                fresh += 1
                doc["id"] = str(fresh)
            seen.add(doc["id"])
    if isinstance(deletes, list):
        kept: list[Any] = []
        for item in deletes:
            if isinstance(item, str) and item in seen:
                continue
            kept.append(item)
            if isinstance(item, str):
                seen.add(item)
        body["deletes"] = kept
    return body


def _headers(headers: Any) -> Any:
    if not isinstance(headers, dict):
        return headers
    for name in list(headers):
        value = headers[name]
        if name.lower() == "idempotency-key":
            if isinstance(value, str) and IDEMPOTENCY_KEY_RE.fullmatch(value):
                headers[name] = f"st-{next(_KEYS)}-{value[:150]}"
        elif (
            name.lower() == "checkpoint-wait"
            and isinstance(value, str)
            and re.fullmatch(CHECKPOINT_WAIT_PATTERN, value)
        ):
            headers[name] = f"{min(float(value), MAX_WAIT_S):.6f}"  # still valid
    return headers


def _is_batch(context: Any) -> bool:
    operation = getattr(context, "operation", None)
    return operation is not None and str(operation.path).endswith("/sync/batches")


@schemathesis.hook
def map_body(context: Any, body: Any) -> Any:
    """Fuzzing and stateful phases: the generated body (see the module's docstring)."""
    return _unique_ids(body) if _is_batch(context) else body


@schemathesis.hook
def map_headers(context: Any, headers: Any) -> Any:
    """Fuzzing and stateful phases: the generated headers."""
    return _headers(headers) if _is_batch(context) else headers


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    """The coverage phase's cases (its own generator, without the strategy hooks)."""
    if str(case.operation.path).endswith("/sync/batches"):
        case.body = _unique_ids(case.body)
        case.headers = _headers(case.headers)
    return case
