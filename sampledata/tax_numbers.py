"""Australian business and tax numbers with valid check digits (ABN, TFN, ACN)."""

from __future__ import annotations

import random
from typing import Final

ABN_WEIGHTS: Final = (10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19)
TFN_WEIGHTS: Final = (1, 4, 3, 7, 5, 8, 6, 9, 10)
ACN_WEIGHTS: Final = (8, 7, 6, 5, 4, 3, 2, 1)


def abn_is_valid(abn: str) -> bool:
    """The ATO check: subtract 1 from the first digit, weighted sum divisible by 89."""
    digits = [int(ch) for ch in abn if ch.isdigit()]
    if len(digits) != 11:
        return False
    digits[0] -= 1
    return sum(d * w for d, w in zip(digits, ABN_WEIGHTS, strict=True)) % 89 == 0


def make_abn(rng: random.Random) -> str:
    """A random ABN with a valid checksum, written "12 345 678 901"."""
    rest = [rng.randrange(10) for _ in range(9)]
    partial = sum(d * w for d, w in zip(rest, ABN_WEIGHTS[2:], strict=True))
    for lead in range(10, 100):
        first, second = divmod(lead, 10)
        if ((first - 1) * 10 + second + partial) % 89 == 0:
            digits = f"{lead}{''.join(map(str, rest))}"
            return f"{digits[:2]} {digits[2:5]} {digits[5:8]} {digits[8:]}"
    raise AssertionError("every residue mod 89 has a two-digit lead")  # pragma: no cover


def make_tfn(rng: random.Random) -> str:
    """A random 9-digit TFN with a valid checksum, written "123 456 782"."""
    while True:
        head = [rng.randrange(10) for _ in range(8)]
        total = sum(d * w for d, w in zip(head, TFN_WEIGHTS, strict=False))
        last = total % 11  # 10 * last ≡ -last (mod 11)
        if last < 10:
            digits = "".join(map(str, [*head, last]))
            return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def make_acn(rng: random.Random) -> str:
    head = [rng.randrange(10) for _ in range(8)]
    check = (10 - sum(d * w for d, w in zip(head, ACN_WEIGHTS, strict=True)) % 10) % 10
    digits = "".join(map(str, [*head, check]))
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
