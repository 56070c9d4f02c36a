"""Image references: split, retag, and pin to digests."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class ImageRef:
    repository: str
    tag: str | None = None
    digest: str | None = None

    @classmethod
    def parse(cls, text: str) -> ImageRef:
        name, _, digest = text.partition("@")
        repository, tag = name, None
        slash, colon = name.rfind("/"), name.rfind(":")
        if colon > slash:
            repository, tag = name[:colon], name[colon + 1 :]
        return cls(repository, tag, digest or None)

    def __str__(self) -> str:
        text = self.repository + (f":{self.tag}" if self.tag else "")
        return text + (f"@{self.digest}" if self.digest else "")

    def with_tag(self, tag: str) -> ImageRef:
        return ImageRef(self.repository, tag, None)

    def with_digest(self, digest: str | None) -> ImageRef:
        return ImageRef(self.repository, self.tag, digest)

    @property
    def unpinned(self) -> str:
        return self.repository + (f":{self.tag}" if self.tag else ":latest")


def belongs_to_app(ref: ImageRef, registry: str, app: str) -> bool:
    """``REGISTRY/ORG/APP``: the images the ``tag`` setting selects."""
    parts = ref.repository.split("/")
    return len(parts) >= 3 and parts[0] == registry and parts[-1] == app


def parse_digests(text: str) -> dict[str, str]:
    """Lines of ``IMAGE ["repo@sha256:..."]`` -> ``IMAGE -> sha256:...`` of its own repository."""
    found = {}
    for line in text.splitlines():
        image, _, raw = line.partition(" ")
        try:
            digests = json.loads(raw) if raw else []
        except ValueError:
            continue
        repository = ImageRef.parse(image).repository
        for entry in digests or []:
            name, _, digest = entry.partition("@")
            if name == repository and digest:
                found[image] = digest
                break
    return found
