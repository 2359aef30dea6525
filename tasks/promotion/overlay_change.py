"""Promotion by digest: dev -> staging -> prod, one kustomization entry at a time.

    ref = source_ref("prod", root)            # prod takes exactly the digest staging has
    change = plan("prod", ref, root)          # renders before and after; refuses what is unsafe
    print(change.diff); write(change)         # write() is atomic: temp file + os.replace

Every refusal is a PromotionError whose str() is one line, raised before anything is written.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tasks.k8s import kustomize
from tasks.promotion.digest_ref import DigestRef, RefError, from_build_file, is_placeholder, parse
from tasks.promotion.overlay_images import OverlayError, current, entry_digest, pin

# Where promotion goes. dev is not one: skaffold and Tilt set its image on every build.
# staging takes a digest from a build; prod only the digest staging has.
ENVIRONMENTS = ("staging", "prod")


class PromotionError(ValueError):
    """A promotion that must not happen; str() is the one line to show the user."""


@dataclass
class Change:
    """One planned promotion: the file's text before and after, and the rendered diff."""

    environment: str
    path: Path
    old_text: str
    new_text: str
    old_ref: str
    new_ref: str
    diff: str
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.new_text != self.old_text


def one_line(text: str) -> str:
    """kubectl's (possibly multi-line) complaint, squeezed onto one line."""
    return " ".join(text.split())


def shown(path: Path) -> str:
    """The path relative to the working directory when it is below it, else as is."""
    with contextlib.suppress(ValueError):
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    return str(path)


def kustomization(environment: str, root: Path = kustomize.K8S_ROOT) -> Path:
    """The kustomization.yaml of a promotable environment; PromotionError for any other name."""
    if environment not in ENVIRONMENTS:
        raise PromotionError(f"unknown environment {environment!r}: promote --to staging or --to prod")
    try:
        return kustomize.overlay_dir(environment, root) / "kustomization.yaml"
    except kustomize.UnknownOverlay as error:
        raise PromotionError(str(error)) from None


def read(path: Path) -> str:
    # Bytes, not read_text(): universal newlines would silently rewrite a CRLF file.
    return path.read_bytes().decode("utf-8")


def source_ref(environment: str, root: Path = kustomize.K8S_ROOT) -> DigestRef:
    """For prod: the reference staging pins. Nothing reaches prod that staging never ran."""
    if environment != "prod":
        raise PromotionError(f"{environment} takes its digest from a build: give --image or --from-build-file")
    path = kustomization("staging", root)
    text = read(path)
    try:
        repository, digest = entry_digest(text, shown(path))
    except OverlayError as error:
        raise PromotionError(str(error)) from None
    if digest is None or is_placeholder(digest):
        runs = current(text, shown(path))
        raise PromotionError(f"staging has no digest to promote (it runs {runs}): invoke promote --to staging first")
    try:
        # The same checks as any reference: staging's file may have been edited by hand.
        return parse(f"{repository}@{digest}")
    except RefError as error:
        raise PromotionError(f"staging's images entry: {error}") from None


def _render(environment: str, root: Path, when: str) -> str:
    try:
        return kustomize.render_yaml(environment, root)
    except (kustomize.RenderError, FileNotFoundError) as error:
        raise PromotionError(f"{environment} does not render {when} the edit: {one_line(str(error))}") from None


def _render_edited(environment: str, root: Path, new_text: str) -> str:
    """Render the overlay as it would be, from a throwaway copy of root: the tree stays untouched."""
    with tempfile.TemporaryDirectory(prefix="promote-") as scratch:
        copy = Path(scratch) / root.name
        shutil.copytree(root, copy, symlinks=True)
        (copy / "overlays" / environment / "kustomization.yaml").write_bytes(new_text.encode("utf-8"))
        return _render(environment, copy, "after")


def container_images(manifests: str) -> dict[str, str]:
    """Every container (init and ephemeral too) of the rendered objects: 'kind/name/container' -> image."""
    images: dict[str, str] = {}

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("containers", "initContainers", "ephemeralContainers") and isinstance(value, list):
                    for container in value:
                        if isinstance(container, dict) and "image" in container:
                            images[f"{where}/{container.get('name')}"] = str(container["image"])
                else:
                    walk(value, where)
        elif isinstance(node, list):
            for item in node:
                walk(item, where)

    for obj in yaml.safe_load_all(manifests):
        if obj:
            walk(obj, f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}")
    return images


def _check_rendered(environment: str, before: str, after: str, ref: DigestRef) -> None:
    """The edit moved the app's containers to ref, and nothing else: otherwise refuse."""
    old, new = container_images(before), container_images(after)
    if set(old) != set(new):
        raise PromotionError(f"{environment}: the edit changed which containers render; nothing written")
    wrong = sorted(c for c in new if new[c] != old[c] and new[c] != str(ref))
    if wrong:
        raise PromotionError(f"{environment}: the edit gave {', '.join(wrong)} an image other than {ref}")
    if str(ref) not in new.values():
        raise PromotionError(f"{environment}: no container runs {ref} after the edit; is the images entry in use?")


def plan(environment: str, ref: DigestRef, root: Path = kustomize.K8S_ROOT) -> Change:
    """The promotion of ref to environment, checked and rendered, but not yet written."""
    path = kustomization(environment, root)
    where = shown(path)
    old_text = read(path)
    try:
        new_text = pin(old_text, ref, where)
        old_ref, new_ref = current(old_text, where), current(new_text, where)
    except OverlayError as error:
        raise PromotionError(str(error)) from None
    notes = []
    if ref.dropped_tag:
        notes.append(f"note: dropped tag {ref.dropped_tag!r}: the overlay pins {ref} by digest alone")
    before = _render(environment, root, "before")
    if new_text == old_text:
        return Change(environment, path, old_text, new_text, old_ref, new_ref, "", notes)
    after = _render_edited(environment, root, new_text)
    _check_rendered(environment, before, after, ref)
    diff = "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"kubectl kustomize {shown(path.parent)} (before)",
            tofile=f"kubectl kustomize {shown(path.parent)} (after)",
        )
    )
    return Change(environment, path, old_text, new_text, old_ref, new_ref, diff, notes)


def write(change: Change) -> None:
    """Replace the file atomically, and only if nobody changed it since plan() read it."""
    if read(change.path) != change.old_text:
        raise PromotionError(f"{shown(change.path)} changed while promoting; run the promotion again")
    fd, temporary = tempfile.mkstemp(dir=change.path.parent, prefix=f".{change.path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(change.new_text.encode("utf-8"))
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, stat.S_IMODE(change.path.stat().st_mode))
        os.replace(temporary, change.path)  # atomic: readers see the old file or the new one
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def source_for(to: str, image: str, build_file: str, root: Path) -> DigestRef:
    """Where the digest comes from: a build for staging, staging itself for prod."""
    if to == "prod":
        if image or build_file:
            raise PromotionError("prod takes exactly the digest staging has: drop --image/--from-build-file")
        return source_ref("prod", root)
    if bool(image) == bool(build_file):
        raise PromotionError(
            f"promote --to {to} needs one of --image REPO@sha256:<64 hex> or --from-build-file build.json"
        )
    return parse(image) if image else from_build_file(Path(build_file))
