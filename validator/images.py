"""Read the platform of docker-save and OCI image archives from their JSON documents.

The archive walker hands over the small JSON members it met at a tar's top level (name →
bytes); ``walk_archive`` turns those of an image layout into ``ImageInfo``. The reading itself
is pure: it follows docker's ``manifest.json`` (``Config``) or the OCI layout (``index.json`` →
manifest → config) to the image config and reads its ``os``, ``architecture`` and ``variant``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator, Mapping
from typing import Any, BinaryIO

from validator.archives import DEFAULT_LIMITS, Documents, Limits, Member, NotOpened, Problem, walk
from validator.evidence import ImageInfo

MAX_INDEX_DEPTH = 4  # an OCI index may point at further indexes (multi-platform images)
_DIGEST = re.compile(r"^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$")
_ATTESTATION = "attestation-manifest"


def walk_archive(
    stream: BinaryIO, *, path: str, limits: Limits = DEFAULT_LIMITS, random_access: bool = False
) -> Iterator[Member | ImageInfo | Problem | NotOpened]:
    """``archives.walk``, with an ``ImageInfo`` per image in a docker-save or OCI archive."""
    for event in walk(stream, path=path, limits=limits, random_access=random_access):
        if isinstance(event, Documents):
            if is_image_layout(event.top_names):
                yield from read_images(event.path, event.docs)
        else:
            yield event


def is_image_layout(names: Collection[str]) -> bool:
    """True when an archive's top-level names mark a docker-save or OCI image layout."""
    return "manifest.json" in names or "oci-layout" in names


def read_images(path: str, docs: Mapping[str, bytes]) -> list[ImageInfo]:
    """One ImageInfo per image in the archive at ``path``, from its JSON members ``docs``.

    A docker ``manifest.json`` wins over an OCI ``index.json`` (docker ≥ 25 writes both).
    A ``manifest.json`` that is not docker's (e.g. a build manifest) makes no image.
    """
    if "manifest.json" in docs:
        entries = _json(docs["manifest.json"])
        if isinstance(entries, list) and entries and all(_is_docker_entry(e) for e in entries):
            return [_config(path, docs, str(e["Config"])) for e in entries]
    if "oci-layout" in docs or "index.json" in docs:
        return _oci(path, docs)
    return []


def _is_docker_entry(entry: Any) -> bool:
    return isinstance(entry, dict) and isinstance(entry.get("Config"), str)


def _oci(path: str, docs: Mapping[str, bytes]) -> list[ImageInfo]:
    index = _json(docs.get("index.json", b""))
    if not isinstance(index, dict) or not isinstance(index.get("manifests"), list):
        return [_unreadable(path, "index.json is missing or is not an OCI image index")]
    images: list[ImageInfo] = []
    _follow_index(path, docs, index, images, depth=0)
    return images or [_unreadable(path, "index.json lists no image manifest")]


def _follow_index(
    path: str, docs: Mapping[str, bytes], index: dict[str, Any], out: list[ImageInfo], depth: int
) -> None:
    for descriptor in index.get("manifests") or ():
        if not isinstance(descriptor, dict) or _is_attestation(descriptor):
            continue
        blob = _blob_name(descriptor.get("digest"))
        if blob is None:
            out.append(_unreadable(path, f"bad manifest digest {descriptor.get('digest')!r}"))
            continue
        manifest = _json(docs.get(blob, b""))
        if not isinstance(manifest, dict):
            out.append(_unreadable(path, f"manifest {blob} is missing or is not JSON"))
        elif isinstance(manifest.get("manifests"), list):
            if depth >= MAX_INDEX_DEPTH:
                out.append(_unreadable(path, f"image indexes nested deeper than {depth}"))
            else:
                _follow_index(path, docs, manifest, out, depth + 1)
        else:
            config = manifest.get("config")
            digest = config.get("digest") if isinstance(config, dict) else None
            config_blob = _blob_name(digest)
            if config_blob is None:
                out.append(_unreadable(path, f"manifest {blob} has no valid config digest"))
            else:
                out.append(_config(path, docs, config_blob))


def _is_attestation(descriptor: dict[str, Any]) -> bool:
    """Build attestations (buildx provenance/SBOM) sit in the index but are not images."""
    annotations = descriptor.get("annotations")
    return isinstance(annotations, dict) and (
        annotations.get("vnd.docker.reference.type") == _ATTESTATION
    )


def _blob_name(digest: Any) -> str | None:
    match = _DIGEST.match(digest) if isinstance(digest, str) else None
    return f"blobs/{match[1]}/{match[2]}" if match else None


def _config(path: str, docs: Mapping[str, bytes], name: str) -> ImageInfo:
    name = name.removeprefix("./")
    if name not in docs:
        return _unreadable(path, f"image config {name} is missing from the archive")
    config = _json(docs[name])
    if not isinstance(config, dict):
        return _unreadable(path, f"image config {name} is not a JSON object")
    return ImageInfo(
        path=path,
        os=_text(config.get("os")),
        architecture=_text(config.get("architecture")),
        variant=_text(config.get("variant")),
        reason=None if _text(config.get("architecture")) else f"{name} names no architecture",
    )


def _unreadable(path: str, reason: str) -> ImageInfo:
    return ImageInfo(path=path, os=None, architecture=None, reason=reason)


def _text(value: Any) -> str | None:
    return value[:100] if isinstance(value, str) and value else None


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None
