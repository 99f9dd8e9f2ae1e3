"""Test names kept compactly: a digest of every distinct name, the names themselves up to a bound.

A log of a million tests has a million names; holding each as a Python string in the evidence
and the history costs hundreds of megabytes. What the comparison between two validations needs
is which tests vanished or appeared: an 8-byte digest per name answers that (a chance collision
among a million names is about one in 36 million), and the names kept up to
:data:`NAMES_KEPT` say which tests they are. The digests travel as one base64 text of the
sorted big-endian digests (11 MB for a million tests).
"""

from __future__ import annotations

import base64
import hashlib
import sys
from array import array
from collections.abc import Iterable, Sequence
from itertools import groupby

NAMES_KEPT = 10_000  # names listed in the evidence and the history; beyond it, digests only
_SIZE = 8


def name_digest(name: str) -> int:
    """The stable 64-bit digest of a test's shown name (the same on every machine and run)."""
    data = name.encode("utf-8", errors="replace")
    return int.from_bytes(hashlib.blake2b(data, digest_size=_SIZE).digest(), "big")


def pack_digests(digests: Iterable[int]) -> str:
    """Digests as one base64 text, sorted and without repeats (the form kept in evidence)."""
    return pack_sorted(array("Q", (d for d, _ in groupby(sorted(digests)))))


def pack_sorted(digests: array[int]) -> str:
    """:func:`pack_digests` of digests already sorted and distinct, without a copy as objects."""
    if sys.byteorder == "little":
        digests = array("Q", digests)
        digests.byteswap()
    return base64.b64encode(memoryview(digests).cast("B")).decode("ascii")


def unpack_digests(text: str) -> array[int]:
    """The digests of :func:`pack_digests`; an empty or damaged text gives none."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        return array("Q")
    packed = array("Q")
    packed.frombytes(raw[: len(raw) - len(raw) % _SIZE])
    if sys.byteorder == "little":
        packed.byteswap()
    return packed


def digests_of(names: Sequence[str], packed: str) -> set[int]:
    """Every name's digest: from ``packed`` when given, else from the names (older evidence)."""
    if packed:
        return set(unpack_digests(packed))
    return {name_digest(n) for n in names}


def named(digests: set[int], names: Iterable[str]) -> list[str]:
    """Those of ``names`` whose digest is among ``digests``, sorted."""
    return sorted(n for n in names if name_digest(n) in digests)
