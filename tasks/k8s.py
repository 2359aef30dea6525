"""Kubernetes manifests: render an overlay, validate them all, compare two overlays."""

from __future__ import annotations

import os
import sys

from invoke import Context, Exit, task

from tasks import kustomize, schema
from tasks import parity as parity_report


def _render_yaml(overlay: str) -> str:
    try:
        return kustomize.render_yaml(overlay)
    except (kustomize.UnknownOverlay, kustomize.RenderError, FileNotFoundError) as error:
        raise Exit(str(error), code=2) from None


def _emit(text: str) -> None:
    """Write long output; a reader that stops early (`| head`) ends us quietly, as with any tool."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # Point stdout at /dev/null so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(141) from None  # 128 + SIGPIPE, what a shell reports for a closed pipe


def _render(overlay: str) -> list[dict]:
    return kustomize.parse(_render_yaml(overlay))


@task
def render(c: Context, overlay: str) -> None:
    """Print an overlay rendered by kubectl's kustomize: invoke k8s.render prod."""
    _emit(_render_yaml(overlay))


@task
def validate(c: Context) -> None:
    """Render every overlay and validate it strictly against the Kubernetes schemas."""
    failures = 0
    names = kustomize.overlays()
    versions = schema.versions()
    for overlay in names:
        manifests = _render_yaml(overlay)
        count = len(kustomize.parse(manifests))
        for version in versions:
            problems = schema.validate(manifests, version, count)
            print(f"{overlay}: {count} objects against Kubernetes {version}: {'ok' if not problems else 'FAILED'}")
            for problem in problems:
                print(f"  {problem}")
            failures += bool(problems)
    summary = f"{len(names)} overlays x {len(versions)} Kubernetes versions ({', '.join(versions)})"
    if failures:
        raise Exit(f"k8s.validate: {failures} of {len(names) * len(versions)} checks failed ({summary})", code=1)
    print(f"k8s.validate: all valid, {summary}")


@task
def parity(c: Context, left: str, right: str) -> None:
    """Show what differs between two overlays, per workload: invoke k8s.parity dev prod."""
    left_objects, right_objects = _render(left), _render(right)
    _emit(parity_report.format_report(parity_report.compare(left, left_objects, right, right_objects)) + "\n")
