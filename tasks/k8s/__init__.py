"""`invoke k8s.*`: render an overlay, validate them all, compare two overlays."""

from __future__ import annotations

from invoke import Context, Exit, task

from tasks.cli import emit, exits_on, help_even_for_positionals
from tasks.k8s import kustomize, monitoring_schema, overlay_diff, schema


@task
@help_even_for_positionals("k8s.render")
def render(c: Context, overlay: str) -> None:
    """Print an overlay rendered by kubectl's kustomize: invoke k8s.render prod (or dev-namespace-rbac-example)."""
    with exits_on(*kustomize.ERRORS):
        emit(kustomize.render_yaml(overlay))


@task
def validate(c: Context) -> None:
    """Render every overlay and k8s/dev-namespace*, validate each strictly: Kubernetes' schemas, the operator's."""
    names = kustomize.overlays() + kustomize.standalone()
    versions = schema.versions()
    rendered = {}
    for overlay in names:
        with exits_on(*kustomize.ERRORS):
            rendered[overlay] = schema.split(kustomize.render(overlay))
    with_monitoring = [overlay for overlay in names if rendered[overlay][1]]
    if with_monitoring and (missing := monitoring_schema.missing()):
        raise Exit(f"k8s.validate: cannot check the PodMonitors of {', '.join(with_monitoring)}: {missing}", code=2)
    operator = (
        f"@kubernetes-models/prometheus-operator {monitoring_schema.package_version()}" if with_monitoring else ""
    )
    failures = 0
    for overlay in names:
        manifests, monitoring = rendered[overlay]
        count = len(kustomize.parse(manifests))
        for version in versions:
            problems = schema.validate(manifests, version, count)
            print(schema.outcome(overlay, f"{count} objects against Kubernetes {version}", problems))
            failures += bool(problems)
        if monitoring:
            problems = monitoring_schema.validate(monitoring)
            print(schema.outcome(overlay, f"{len(monitoring)} objects against {operator}", problems))
            failures += bool(problems)
    total = len(names) * len(versions) + len(with_monitoring)
    others = names[len(kustomize.overlays()) :]
    kustomizations = f"{len(names) - len(others)} overlays" + "".join(f", {other}" for other in others)
    summary = f"{len(names)} kustomizations ({kustomizations}) x {len(versions)} Kubernetes versions"
    summary += f" ({', '.join(versions)})"
    if with_monitoring:
        summary += f", and {', '.join(with_monitoring)} against {operator}"
    if failures:
        raise Exit(f"k8s.validate: {failures} of {total} checks failed ({summary})", code=1)
    print(f"k8s.validate: all valid, {summary}")


@task(help={"left": "one overlay (default dev)", "right": "the other overlay (default prod)"})
def parity(c: Context, left: str = "dev", right: str = "prod") -> None:
    """Show what differs between two overlays, per workload (dev and prod unless --left/--right)."""
    with exits_on(*kustomize.ERRORS):
        left_objects, right_objects = kustomize.render(left), kustomize.render(right)
    emit(overlay_diff.format_report(overlay_diff.compare(left, left_objects, right, right_objects)) + "\n")
