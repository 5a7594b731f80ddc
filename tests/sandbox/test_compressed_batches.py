"""Compressed batch bodies: decoded with a hard decompressed-size limit, replayed by key,
and pipelined batches held until their base checkpoint is current."""

from __future__ import annotations

import gzip
import json
import threading
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import zstandard

from sandbox.decoding import decode_body
from sandbox.errors import ApiError
from tests.sandbox.factories import contact
from tests.sandbox.support import Agent, activate, api
from tests.sandbox_harness import RunningSandbox, running_sandbox

MAX_BODY = 200_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path_factory.mktemp("compressed"), max_body=MAX_BODY) as sandbox:
        yield sandbox


@pytest.fixture
def agent(server: RunningSandbox) -> Iterator[Agent]:
    with api(server, timeout=60) as client:
        activate(client)
        agent = Agent(client)
        yield agent


def _body(agent: Agent, upserts: list[dict[str, Any]], checkpoint: str, **extra: Any) -> bytes:
    payload = {
        "epoch": agent.epoch,
        "base_checkpoint": agent.state()["checkpoint"],
        "checkpoint": checkpoint,
        "upserts": upserts,
        "deletes": [],
        **extra,
    }
    return json.dumps(payload).encode()


def _post(agent: Agent, content: bytes, encoding: str | None, key: str = "") -> httpx.Response:
    headers = {"Idempotency-Key": key or uuid.uuid4().hex, "Content-Type": "application/json"}
    if encoding is not None:
        headers["Content-Encoding"] = encoding
    return agent.client.post("/sync/batches", content=content, headers=headers)


def _compress(data: bytes, encoding: str) -> bytes:
    if encoding == "zstd":
        return zstandard.ZstdCompressor(level=3).compress(data)
    return gzip.compress(data)


def test_the_service_says_which_codings_it_accepts(server: RunningSandbox) -> None:
    client_id, secret = server.client_credentials("sync")
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    token = httpx.post(server.api_url + "/oauth/token", data=form)
    assert token.headers["Accept-Encoding"] == "zstd, gzip"
    with server.client("read") as client:
        assert client.get("/sync/state").headers["Accept-Encoding"] == "zstd, gzip"


@pytest.mark.parametrize("encoding", ["zstd", "gzip", "ZSTD"])
def test_compressed_batches_apply_like_plain_ones(agent: Agent, encoding: str) -> None:
    upserts = [contact(i, padding=500) for i in range(1, 40)]
    plain = _body(agent, upserts, f"cp-{encoding}")
    response = _post(agent, _compress(plain, encoding.lower()), encoding)
    assert response.status_code == 200, response.text
    assert response.json()["applied_upserts"] == 39
    assert agent.state()["checkpoint"] == f"cp-{encoding}"
    assert agent.client.get("/contacts/39").json() == upserts[-1]


def test_an_unknown_coding_is_415_naming_the_accepted_ones(agent: Agent) -> None:
    before = agent.state()
    response = _post(agent, _body(agent, [contact(1)], "cp-br"), "br")
    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_encoding"
    assert response.headers["Accept-Encoding"] == "zstd, gzip"
    assert agent.state() == before


@pytest.mark.parametrize("encoding", ["zstd", "gzip"])
def test_a_compression_bomb_is_413_and_nothing_is_applied(agent: Agent, encoding: str) -> None:
    before = agent.state()
    # 64 MB of spaces inside a JSON string, 320 times the limit: small on the wire.
    head = b'{"epoch": 1, "checkpoint": "bomb", "upserts": [], "deletes": [], "x": "'
    bomb = _bomb(head, 64, encoding)
    assert len(bomb) < MAX_BODY
    response = _post(agent, bomb, encoding)
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    assert agent.state() == before
    # the service is still fine afterwards
    assert _post(agent, _body(agent, [contact(5)], "after-bomb"), None).status_code == 200


def _bomb(head: bytes, megabytes: int, encoding: str) -> bytes:
    """``head`` then that many MB of spaces, compressed without holding them all."""
    block = b" " * (1 << 20)
    if encoding == "zstd":
        zstd = zstandard.ZstdCompressor(level=1).compressobj()
        parts = [zstd.compress(head), *(zstd.compress(block) for _ in range(megabytes))]
        return b"".join(parts) + zstd.flush()
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [deflate.compress(head), *(deflate.compress(block) for _ in range(megabytes))]
    return b"".join(parts) + deflate.flush()


@pytest.mark.parametrize("encoding", ["zstd", "gzip"])
def test_the_size_limit_counts_decompressed_bytes(agent: Agent, encoding: str) -> None:
    fits = _body(agent, [contact(7, padding=MAX_BODY - 2_000)], "fits")
    assert len(fits) <= MAX_BODY
    assert _post(agent, _compress(fits, encoding), encoding).status_code == 200
    over = _body(agent, [contact(8, padding=MAX_BODY + 10)], "over")
    packed = _compress(over, encoding)
    assert len(packed) < MAX_BODY // 10  # small on the wire, too large once decoded
    response = _post(agent, packed, encoding)
    assert response.status_code == 413
    assert agent.state()["checkpoint"] == "fits"


@pytest.mark.parametrize("garbage", [b"not compressed at all", b"\x28\xb5\x2f\xfd\x00"])
def test_corrupt_compressed_bodies_are_400(agent: Agent, garbage: bytes) -> None:
    assert _post(agent, garbage, "zstd").status_code == 400
    assert _post(agent, garbage, "gzip").status_code == 400


def test_a_compressed_batch_replays_by_key_whatever_its_coding(agent: Agent) -> None:
    plain = _body(agent, [contact(11), contact(12)], "replayed")
    first = _post(agent, _compress(plain, "zstd"), "zstd", key="same-key")
    assert first.status_code == 200
    again = _post(agent, _compress(plain, "zstd"), "zstd", key="same-key")
    as_gzip = _post(agent, _compress(plain, "gzip"), "gzip", key="same-key")
    as_plain = _post(agent, plain, None, key="same-key")
    for replay in (again, as_gzip, as_plain):
        assert replay.status_code == 200
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert replay.json() == first.json()
    different = _body(agent, [contact(13)], "replayed")
    assert _post(agent, _compress(different, "zstd"), "zstd", key="same-key").status_code == 422


def _send_in_thread(agent: Agent, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            with httpx.Client(base_url=str(agent.client.base_url), timeout=60) as client:
                response = client.post(
                    "/sync/batches",
                    content=body,
                    headers={**headers, "Authorization": agent.client.headers["Authorization"]},
                )
                outcome["response"] = response
        except Exception as error:  # reported by the assertion below
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    outcome["thread"] = thread
    return outcome


def test_a_pipelined_batch_waits_for_its_base_then_applies(agent: Agent) -> None:
    base = agent.state()["checkpoint"]
    second = json.dumps(
        {
            "epoch": agent.epoch,
            "base_checkpoint": "first",
            "checkpoint": "second",
            "upserts": [contact(22)],
            "deletes": [],
        }
    ).encode()
    waiting = _send_in_thread(
        agent,
        _compress(second, "zstd"),
        {"Idempotency-Key": "second", "Content-Encoding": "zstd", "Checkpoint-Wait": "30"},
    )
    # Without the header a batch on a base that is not current fails at once.
    early = _post(agent, second, None, key="second-early")
    assert early.status_code == 409
    first = _body(agent, [contact(21)], "first")
    assert json.loads(first)["base_checkpoint"] == base
    assert _post(agent, first, None, key="first").status_code == 200
    waiting["thread"].join(60)
    assert "error" not in waiting, waiting.get("error")
    assert waiting["response"].status_code == 200, waiting["response"].text
    assert agent.state()["checkpoint"] == "second"
    assert agent.client.get("/contacts/22").status_code == 200


def test_a_held_batch_gives_up_on_a_new_lease_and_at_its_deadline(agent: Agent) -> None:
    orphan = json.dumps(
        {
            "epoch": agent.epoch,
            "base_checkpoint": "never",
            "checkpoint": "orphan",
            "upserts": [contact(931)],
            "deletes": [],
        }
    ).encode()
    held = _send_in_thread(agent, orphan, {"Idempotency-Key": "held", "Checkpoint-Wait": "30"})
    agent.lease()  # another agent took over: the held batch is fenced off
    held["thread"].join(60)
    assert held["response"].status_code == 409
    assert held["response"].json()["error"] == "stale_epoch"
    late = json.loads(orphan)
    late["epoch"] = agent.epoch
    timed = _send_in_thread(
        agent,
        json.dumps(late).encode(),
        {"Idempotency-Key": "timed", "Checkpoint-Wait": "0.2"},
    )
    timed["thread"].join(60)
    assert timed["response"].status_code == 409
    assert timed["response"].json()["error"] == "checkpoint_conflict"
    assert agent.client.get("/contacts/931").status_code == 404


def test_decoding_stops_at_the_limit_whatever_the_expansion() -> None:
    huge = zstandard.ZstdCompressor(level=1).compress(b"\0" * 50_000_000)
    with pytest.raises(ApiError) as refused:
        decode_body(huge, "zstd", 1_000_000)
    assert refused.value.status == 413
    assert decode_body(huge, "zstd", 50_000_000) == b"\0" * 50_000_000
    with pytest.raises(ApiError) as unknown:
        decode_body(b"x", "gzip", 10, accepted=("zstd",))
    assert unknown.value.status == 415


def test_a_service_that_accepts_no_compression_says_so(tmp_path: Path) -> None:
    with (
        running_sandbox(tmp_path, accept_encoding="none") as sandbox,
        api(sandbox) as client,
    ):
        activate(client)
        agent = Agent(client)
        assert client.get("/sync/state").headers["Accept-Encoding"] == "identity"
        plain = _body(agent, [contact(1)], "cp")
        assert _post(agent, _compress(plain, "zstd"), "zstd").status_code == 415
        assert _post(agent, plain, None).status_code == 200
