"""Read the host's configured Debian mirrors from /etc/apt, in both file formats.

The air-gapped base image is bootstrapped from the mirror this host already trusts, so it
works behind the same firewall the host does; no mirror address is invented here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

APT_DIR = Path("/etc/apt")


@dataclass(frozen=True)
class AptSource:
    uri: str
    suites: tuple[str, ...]
    components: tuple[str, ...]
    signed_by: str = ""

    def deb822(self) -> str:
        lines = [
            "Types: deb",
            f"URIs: {self.uri}",
            f"Suites: {' '.join(self.suites)}",
            f"Components: {' '.join(self.components)}",
        ]
        if self.signed_by:
            lines.append(f"Signed-By: {self.signed_by}")
        return "\n".join(lines) + "\n"


def _parse_deb822(text: str) -> list[AptSource]:
    sources = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.strip()
        if "deb" not in fields.get("types", "").split() or fields.get("enabled", "yes").lower() == "no":
            continue
        for uri in fields.get("uris", "").split():
            sources.append(
                AptSource(
                    uri=uri,
                    suites=tuple(fields.get("suites", "").split()),
                    components=tuple(fields.get("components", "").split()),
                    signed_by=fields.get("signed-by", ""),
                )
            )
    return sources


def _parse_one_line(text: str) -> list[AptSource]:
    sources = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line.startswith("deb "):
            continue
        words = line.split()[1:]
        signed_by = ""
        if words and words[0].startswith("["):
            options = []
            while words:
                word = words.pop(0)
                options.append(word.strip("[]"))
                if word.endswith("]"):
                    break
            signed_by = next((o.split("=", 1)[1] for o in options if o.startswith("signed-by=")), "")
        if len(words) >= 2:
            sources.append(AptSource(words[0], (words[1],), tuple(words[2:]), signed_by))
    return sources


def host_sources(apt_dir: Path = APT_DIR) -> list[AptSource]:
    """Every enabled `deb` source apt would read on this host, in apt's order."""
    sources: list[AptSource] = []
    one_line = apt_dir / "sources.list"
    if one_line.is_file():
        sources += _parse_one_line(one_line.read_text())
    parts = apt_dir / "sources.list.d"
    for path in sorted(parts.glob("*")) if parts.is_dir() else []:
        if path.suffix == ".list":
            sources += _parse_one_line(path.read_text())
        elif path.suffix == ".sources":
            sources += _parse_deb822(path.read_text())
    return sources


def for_suite(sources: list[AptSource], suite: str) -> list[AptSource]:
    """The sources of one Debian release: `suite` itself and its -updates, -security, ... suites."""
    picked = []
    for source in sources:
        suites = tuple(s for s in source.suites if s == suite or s.startswith(f"{suite}-"))
        if suites:
            picked.append(AptSource(source.uri, suites, source.components, source.signed_by))
    return picked


def mirror_for(sources: list[AptSource], suite: str) -> str:
    """The URI serving `suite` itself, for debootstrap; empty when the host has none."""
    return next((s.uri for s in for_suite(sources, suite) if suite in s.suites), "")
