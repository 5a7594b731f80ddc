"""The ``POST /sync/batches`` body, typed once: what the engine sends and the service takes.

The service decodes a whole batch into :class:`BatchRequest` in one call (validation in C);
the engine's body (``engine.online.client.encode_batch``) decodes as one, a test holds it to
that, and the OpenAPI schema of the body is generated from it.
"""

from __future__ import annotations

from typing import Annotated, Final

from msgspec import Meta, Struct

from engine.contract.document import Contact, Id

#: The longest checkpoint text.
MAX_CHECKPOINT_LENGTH: Final = 4096
#: The largest epoch: JSON numbers are exact integers up to here in every client (2**53-1).
MAX_EPOCH: Final = 9_007_199_254_740_991

#: A whole number in range; ``4827.0`` is one, as JSON Schema's ``integer`` has it.
Epoch = (
    Annotated[int, Meta(ge=0, le=MAX_EPOCH)]
    | Annotated[float, Meta(ge=0, le=MAX_EPOCH, multiple_of=1)]
)
Checkpoint = Annotated[str, Meta(max_length=MAX_CHECKPOINT_LENGTH)]


class BatchRequest(Struct, forbid_unknown_fields=True, gc=False):
    """All-or-nothing upserts and deletes, applied only while ``base_checkpoint`` is the
    checkpoint online; ``checkpoint`` is the one left online afterwards."""

    epoch: Epoch
    base_checkpoint: Checkpoint | None
    checkpoint: Checkpoint
    upserts: list[Contact]
    deletes: list[Id]
