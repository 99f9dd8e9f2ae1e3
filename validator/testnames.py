"""Test names kept compactly: a digest of every distinct name, the names themselves up to a bound.

A log of a million tests has a million names; holding each as a Python string in the evidence
and the history costs hundreds of megabytes. What the comparison between two validations needs
is which tests vanished or appeared: an 8-byte digest per name answers that (a chance collision
among a million names is about one in 36 million), and the names kept up to
:data:`NAMES_KEPT` say which tests they are. The digests travel as one base64 text of the
sorted big-endian digests (8 MB for a million tests; 11 MB as base64 text in JSON).
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


def pack_digests(digests: Iterable[int]) -> bytes:
    """Digests as 8 big-endian bytes each, sorted and without repeats (see :func:`as_text`)."""
    return pack_sorted(array("Q", (d for d, _ in groupby(sorted(digests)))))


def pack_sorted(digests: array[int]) -> bytes:
    """:func:`pack_digests` of digests already sorted and distinct; swaps ``digests`` in place."""
    if sys.byteorder == "little":
        digests.byteswap()
    return digests.tobytes()


def as_text(packed: bytes) -> str:
    """Packed digests as the base64 text the evidence and the history hold."""
    return base64.b64encode(packed).decode("ascii")


def unpack_digests(packed: bytes | str) -> array[int]:
    """The digests of :func:`pack_digests` (or its :func:`as_text`); damaged text gives none."""
    if isinstance(packed, str):
        try:
            packed = base64.b64decode(packed.encode("ascii"), validate=True)
        except (ValueError, UnicodeEncodeError):
            return array("Q")
    digests = array("Q")
    digests.frombytes(packed[: len(packed) - len(packed) % _SIZE])
    if sys.byteorder == "little":
        digests.byteswap()
    return digests


def digests_of(names: Sequence[str], packed: bytes | str) -> set[int]:
    """Every name's digest: from ``packed`` when given, else from the names (older evidence)."""
    if packed:
        return set(unpack_digests(packed))
    return {name_digest(n) for n in names}


def named(digests: set[int], names: Iterable[str]) -> list[str]:
    """Those of ``names`` whose digest is among ``digests``, sorted."""
    return sorted(n for n in names if name_digest(n) in digests)
