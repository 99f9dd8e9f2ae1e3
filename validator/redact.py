"""Credentials never leave the process: what is written or printed passes through here first.

Two nets: the token this validation holds (from the environment or a flag), whatever its shape,
and anything shaped like a GitHub token (``ghp_``, ``gho_``, ``ghs_``, ``ghu_``, ``ghr_``,
``github_pat_``) or assigned to a credential-looking name, as a job may print them in its log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "[redacted]"

TOKEN_SHAPED = re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")
_ASSIGNED = re.compile(r"(?i)\b((?:authorization|token|password|secret)\s*[:=]\s*)\S{8,}")
# A short "secret" would blank out ordinary words; real tokens are far longer.
_SHORTEST_SECRET = 8


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with the given secrets and every token-shaped string replaced by [redacted]."""
    for secret in secrets:
        if secret and len(secret) >= _SHORTEST_SECRET:
            text = text.replace(secret, REDACTED)
    text = TOKEN_SHAPED.sub(REDACTED, text)
    return _ASSIGNED.sub(lambda m: m.group(1) + REDACTED, text)
