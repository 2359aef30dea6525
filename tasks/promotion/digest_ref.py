"""Image references pinned by digest: parse `repo@sha256:<64 hex>` and Skaffold's build output.

    parse("registry.example.com/team/shipyard-app:abc@sha256:" + "a" * 64)
    # DigestRef(repository='registry.example.com/team/shipyard-app', digest='sha256:aaa...', dropped_tag='abc')
    from_build_file(Path("build.json"))   # `skaffold build --file-output build.json`

Anything that is not pinned by a well-formed sha256 digest is refused with a RefError whose
str() is the one line to show the user.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

# The name every manifest and skaffold.yaml use for the app image (docs/runtime-contract.md).
APP_IMAGE = "shipyard-app"
# The not-yet-promoted placeholder prod starts with: a digest of no image at all.
PLACEHOLDER_DIGEST = "sha256:" + "0" * 64

_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
# The reference grammar of the distribution project, without the digest: [host[:port]/]path[:tag].
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_HOST = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?"
_NAME = re.compile(rf"^(?P<repository>(?:{_HOST}/)?{_COMPONENT}(?:/{_COMPONENT})*)(?::(?P<tag>[\w][\w.-]{{0,127}}))?$")


class RefError(ValueError):
    """A reference that cannot be promoted; str() is the one line to show the user."""


@dataclass(frozen=True)
class DigestRef:
    """An image pinned by digest: what an overlay's images entry is set to."""

    repository: str
    digest: str
    dropped_tag: str | None = None

    def __str__(self) -> str:
        return f"{self.repository}@{self.digest}"


def is_placeholder(digest: str | None) -> bool:
    """True for the all-zero digest: an overlay carrying it has not been promoted to yet."""
    return digest == PLACEHOLDER_DIGEST


def check_digest(digest: str, where: str) -> str:
    """The digest itself, or RefError saying what a well-formed one looks like."""
    if not _DIGEST.match(digest):
        raise RefError(f"malformed digest {digest!r} in {where}: expected sha256: and 64 lowercase hex digits")
    if is_placeholder(digest):
        raise RefError(f"{where} carries the all-zero placeholder digest, which names no image")
    return digest


def parse(reference: str) -> DigestRef:
    """A DigestRef for `[host[:port]/]path[:tag]@sha256:<64 hex>`; RefError for anything else."""
    reference = reference.strip()
    name, at, digest = reference.partition("@")
    if not at:
        raise RefError(
            f"{reference!r} has no digest: promote an image by digest (REPO@sha256:...), which a registry "
            "assigns on push (skaffold build --push --file-output build.json)"
        )
    match = _NAME.match(name)
    if match is None:
        raise RefError(f"{name!r} is not an image repository (expected e.g. registry.example.com/team/{APP_IMAGE})")
    return DigestRef(match["repository"], check_digest(digest, repr(reference)), match["tag"])


def from_build_file(path: Path, image: str = APP_IMAGE) -> DigestRef:
    """The reference Skaffold built for `image`, from `skaffold build --file-output` JSON."""
    try:
        builds = json.loads(path.read_text())["builds"]
        tags = [build["tag"] for build in builds if build.get("imageName") == image]
    except FileNotFoundError:
        raise RefError(f"{path}: no such file (write it with skaffold build --file-output {path})") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise RefError(f'{path} is not skaffold build output ({{"builds": [...]}}): {error}') from None
    if len(tags) != 1:
        found = "no build" if not tags else f"{len(tags)} builds"
        raise RefError(f"{path} has {found} of {image}: expected exactly one")
    return parse(tags[0])
