"""``python -m benchmarks.page [--contacts N ...]``: how fast the contacts page answers.

Fills a sandbox store with ``N`` generated people (through the real batch path), then asks
the app in-process (no network) for the first, a middle and the last page and for a few
searches, and reports the median of several rounds of each in milliseconds. Wall time on a
busy machine is noise: compare runs made one after the other on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

import httpx

from engine.contract.document import blank_document, wire_document
from engine.online.client import encode_batch
from sandbox.accounts import ACCOUNTS_FILE_NAME, Accounts
from sandbox.app import create_app
from sandbox.batch import prepare_batch
from sandbox.storage import Store
from sandbox.terms import current_terms

BENCH_EMAIL: Final = "bench@demo-practice.example"
BENCH_PASSWORD: Final = "bench-password-only-here"

FIRST = ("Ethan", "Olivia", "Noah", "Mia", "Liam", "Ava", "Jack", "Isla", "Leo", "Zoe")
LAST = ("Green", "Nguyen", "Smith", "Brown", "Wilson", "Taylor", "Lee", "Martin", "King")
BATCH = 5_000


def person(contact_id: int, rng: random.Random) -> dict[str, Any]:
    """A valid contact document with a plausible name, email and phone."""
    doc = blank_document(contact_id)
    first, last = rng.choice(FIRST), rng.choice(LAST) + str(rng.randrange(1000))
    doc.update(
        id=str(contact_id),
        type="person",
        code=f"C{contact_id:06d}",
        first_name=first,
        last_name=last,
        email=f"{first}.{last}@example.com".lower(),
        phone=f"04{rng.randrange(10**8):08d}",
    )
    return doc


def _fill(store: Store, contacts: int) -> None:
    store.create_practice("bench", "Benchmark Practice")
    terms = current_terms().version
    store.activate(terms, terms, "bench", "bench")
    epoch = store.lease("bench", "bench")
    rng = random.Random(24)
    base = None
    for start in range(1, contacts + 1, BATCH):
        docs = [person(i, rng) for i in range(start, min(start + BATCH, contacts + 1))]
        checkpoint = str(start)
        body = encode_batch(epoch, base, checkpoint, [wire_document(doc) for doc in docs], [])
        store.apply_batch(prepare_batch(body), str(uuid.uuid4()), lambda *_: "{}")
        base = checkpoint


async def _sign_in(client: httpx.AsyncClient) -> None:
    form = {"email": BENCH_EMAIL, "password": BENCH_PASSWORD, "next": "/"}
    answer = await client.post(
        "/sign-in",
        content=urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    if answer.status_code != 303:
        raise SystemExit(f"signing in answered {answer.status_code}")


async def _time(client: httpx.AsyncClient, params: dict[str, str], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        answer = await client.get("/", params=params)
        times.append(time.perf_counter() - started)
        if answer.status_code != 200:
            raise SystemExit(f"page {params} answered {answer.status_code}")
    return statistics.median(times) * 1000


def measure(contacts: int, rounds: int, pages: dict[str, dict[str, str]]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "sandbox.db")
        _fill(store, contacts)
        accounts = Accounts(Path(tmp) / ACCOUNTS_FILE_NAME)
        accounts.replace_users([(BENCH_EMAIL, BENCH_PASSWORD)])
        app = create_app(store, accounts=accounts)
        transport = httpx.ASGITransport(app, client=("127.0.0.1", 5000))

        async def run() -> dict[str, float]:
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                await _sign_in(client)  # the page is for a signed-in browser, as in life
                return {name: await _time(client, p, rounds) for name, p in pages.items()}

        try:
            return asyncio.run(run())
        finally:
            store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--last", default="page", help="the page's paging parameter")
    args = parser.parse_args()
    for contacts in args.contacts:
        pages = {
            "first page": {},
            "search 'Ethan Green'": {"q": "Ethan Green"},
            "search 'Green, Ethan'": {"q": "Green, Ethan"},
            "search code C000123": {"q": "C000123"},
            "search phone 0477": {"q": "0477"},
            "search (no match)": {"q": "zzzz"},
        }
        if args.last == "page":
            pages["middle page"] = {"page": str(contacts // 100)}
            pages["last page"] = {"page": str((contacts + 49) // 50)}
        else:
            pages["middle page"] = {"after": str(contacts // 2)}
            pages["last page"] = {"after": str(contacts - 50)}
        results = measure(contacts, args.rounds, pages)
        for name, ms in results.items():
            print(f"{contacts:>7} contacts  {name:<24} {ms:7.1f} ms")


if __name__ == "__main__":
    main()
