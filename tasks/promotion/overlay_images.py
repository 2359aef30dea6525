"""Read and rewrite the app image's `images:` entry of a kustomization.yaml, and nothing else.

    text = path.read_text()
    current(text)                    # 'shipyard-app:staging'
    new_text = pin(text, ref)        # the same bytes except that entry: newName (if any) + digest

ruamel.yaml reads and writes the file as a round trip, so comments, key order, quoting and
blank lines stay. A file that would not survive the round trip unchanged is refused before
any edit, so the only bytes a promotion can change are those of the entry itself.
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from tasks.promotion.digest_ref import APP_IMAGE, DigestRef


class OverlayError(ValueError):
    """The kustomization cannot be edited safely; str() is the one line to show the user."""


def _yaml() -> YAML:
    yaml = YAML()  # round-trip mode
    yaml.preserve_quotes = True
    # The project's style: sequences indented under their key (`  - name: ...`).
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never re-wrap a long line
    return yaml


def _load(text: str, where: str) -> Any:
    try:
        return _yaml().load(text)
    except YAMLError as error:
        raise OverlayError(f"{where} is not valid YAML: {' '.join(str(error).split())}") from None


def _dump(document: Any) -> str:
    out = io.StringIO()
    _yaml().dump(document, out)
    return out.getvalue()


def _entry(document: Any, where: str, image: str) -> CommentedMap:
    images = document.get("images") if isinstance(document, dict) else None
    entries = [e for e in images or [] if isinstance(e, dict) and e.get("name") == image]
    if len(entries) != 1:
        found = "none" if not entries else f"{len(entries)}"
        raise OverlayError(f"{where} must have exactly one images entry named {image} (found {found})")
    return entries[0]


def current(text: str, where: str = "kustomization.yaml", image: str = APP_IMAGE) -> str:
    """The reference the entry sets, as kustomize writes it into the pods: repo[:tag][@digest]."""
    entry = _entry(_load(text, where), where, image)
    reference = str(entry.get("newName", image))
    if entry.get("newTag"):
        reference += f":{entry['newTag']}"
    if entry.get("digest"):
        reference += f"@{entry['digest']}"
    return reference


def entry_digest(text: str, where: str = "kustomization.yaml", image: str = APP_IMAGE) -> tuple[str, str | None]:
    """(repository, digest or None) of the entry: what a promotion from this overlay would carry."""
    entry = _entry(_load(text, where), where, image)
    digest = entry.get("digest")
    return str(entry.get("newName", image)), str(digest) if digest else None


def pin(text: str, ref: DigestRef, where: str = "kustomization.yaml", image: str = APP_IMAGE) -> str:
    """The text with the entry set to exactly name, newName (unless it is `image`) and digest."""
    document = _load(text, where)
    if _dump(document) != text:
        raise OverlayError(
            f"{where} does not survive a YAML round trip unchanged (indent sequences by 2 under their key, "
            "as the other kustomizations do), so it is not edited"
        )
    entry = _entry(document, where, image)
    wanted = {"name": image}
    if ref.repository != image:
        wanted["newName"] = ref.repository
    wanted["digest"] = ref.digest

    # What follows the entry (a blank line, the next comment) hangs on its last key: keep it last.
    old_last = list(entry)[-1]
    trailing = entry.ca.items.get(old_last)
    for key in [k for k in entry if k not in wanted]:  # newTag, or a newName no longer needed
        del entry[key]
        entry.ca.items.pop(key, None)
    for position, (key, value) in enumerate(wanted.items()):
        if key in entry:
            entry[key] = value  # in place: its position and any comment on it stay
        else:
            entry.insert(position, key, value)
    new_last = list(entry)[-1]
    if trailing is not None and new_last != old_last:
        entry.ca.items.pop(old_last, None)
        entry.ca.items[new_last] = trailing
    return _dump(document)
