"""`invoke k8s.*`: render an overlay, validate them all, compare two overlays."""

from __future__ import annotations

from invoke import Context, Exit, task

from tasks.cli import emit, exits_on, help_even_for_positionals
from tasks.k8s import kustomize, overlay_diff, schema


@task
@help_even_for_positionals("k8s.render")
def render(c: Context, overlay: str) -> None:
    """Print an overlay rendered by kubectl's kustomize: invoke k8s.render prod."""
    with exits_on(*kustomize.ERRORS):
        emit(kustomize.render_yaml(overlay))


@task
def validate(c: Context) -> None:
    """Render every overlay and validate it strictly against the Kubernetes schemas."""
    failures = 0
    names = kustomize.overlays()
    versions = schema.versions()
    for overlay in names:
        with exits_on(*kustomize.ERRORS):
            manifests = kustomize.render_yaml(overlay)
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


@task(help={"left": "one overlay (default dev)", "right": "the other overlay (default prod)"})
def parity(c: Context, left: str = "dev", right: str = "prod") -> None:
    """Show what differs between two overlays, per workload (dev and prod unless --left/--right)."""
    with exits_on(*kustomize.ERRORS):
        left_objects, right_objects = kustomize.render(left), kustomize.render(right)
    emit(overlay_diff.format_report(overlay_diff.compare(left, left_objects, right, right_objects)) + "\n")
