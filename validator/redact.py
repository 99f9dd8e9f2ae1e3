"""Credentials never leave the process: what is written or printed passes through here first.

Two nets: the token this validation holds (from the environment or a flag), whatever its shape,
and anything shaped like a credential (GitHub's ``ghp_``/``github_pat_``/... tokens, npm,
Docker Hub, GitLab, Slack and AWS key shapes, PEM private keys), assigned to a credential-looking
name (``CARGO_REGISTRY_TOKEN=...``), sent as a bearer token, given as a ``--password``, or inside
a URL (``https://user:PASSWORD@host``), as a job may print them in its log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "[redacted]"

# Shapes of credentials that mean nothing else: GitHub (classic, fine-grained, app and the old
# installation-token form), npm, Docker Hub, GitLab, Slack, AWS access key ids, PEM private keys.
TOKEN_SHAPED = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|v1\.[0-9a-f]{40}"
    r"|npm_[A-Za-z0-9]{30,}|dckr_pat_[A-Za-z0-9_-]{16,}|glpat-[A-Za-z0-9_-]{20,}"
    r"|xox[abprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16})"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)"
)
# A value given to a name that says it is secret: GITHUB_TOKEN=..., AWS_SECRET_ACCESS_KEY=...,
# "password": "...", api-key: ... (the name may be part of a longer identifier).
_NAMED = (
    r"[A-Za-z0-9_.-]*(?:token|secret|passw(?:or)?d|pwd|credential|auth|"
    r"(?:api|access|private|signing|deploy|secret)[_-]?key)[A-Za-z0-9_.-]*"
)
_ASSIGNED = re.compile(rf"(?i)(\b{_NAMED}[\"']?\s*[:=]\s*[\"']?)([^\s\"',;]{{6,}})")
# Authorization headers and bearer tokens, whatever their length.
_BEARER = re.compile(r"(?i)(\b(?:bearer|basic|token)\s+)([A-Za-z0-9._~+/=-]{6,})")
# Passwords on command lines: --password X, --password=X, `... login ... -p X`.
_FLAG = re.compile(r"(?i)(--password(?:=|\s+)|\blogin\b[^\n]*?\s-p\s+)(\S+)")
# Credentials inside URLs: scheme://user:PASSWORD@host.
_URL = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^\s/:@]*:)([^\s/@]+)(@)")
# A short "secret" would blank out ordinary words; real tokens are far longer.
_SHORTEST_SECRET = 8


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with the given secrets and every token-shaped string replaced by [redacted]."""
    for secret in secrets:
        if secret and len(secret) >= _SHORTEST_SECRET:
            text = text.replace(secret, REDACTED)
    text = TOKEN_SHAPED.sub(REDACTED, text)
    text = _URL.sub(lambda m: m.group(1) + REDACTED + m.group(3), text)
    for pattern in (_BEARER, _FLAG, _ASSIGNED):
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text
