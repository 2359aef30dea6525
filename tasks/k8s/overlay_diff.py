"""Compare two rendered overlays: which objects only one has, and which fields differ.

Fields are dotted paths into each object. Lists whose items all have a unique `name`
(containers, env, ports, volumes, volumeMounts) are keyed by it, `containers[web].image`,
so reordering is no difference; other lists of objects of equal length are compared by
position, `rules[0].host`, and lists of plain values (a command) as a whole. Generated
ConfigMap/Secret names are compared without their hash suffix. Where one side lacks a whole
subtree, the difference is reported once, there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tasks.k8s.kustomize import generated_names

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")
ABSENT = "<absent>"


@dataclass(frozen=True)
class Difference:
    path: str
    left: Any  # ABSENT when the left overlay lacks the field
    right: Any


@dataclass
class Report:
    left: str
    right: str
    only_left: list[str] = field(default_factory=list)  # object keys, "kind/name"
    only_right: list[str] = field(default_factory=list)
    differences: dict[str, list[Difference]] = field(default_factory=dict)  # key -> fields
    identical: list[str] = field(default_factory=list)

    def fields(self) -> set[tuple[str, str]]:
        """Every (object key, dotted path) that differs."""
        return {(key, diff.path) for key, diffs in self.differences.items() for diff in diffs}


def key(obj: dict[str, Any]) -> str:
    return f"{obj['kind'].lower()}/{obj['metadata']['name']}"


def is_workload(object_key: str) -> bool:
    return object_key.split("/", 1)[0] in {kind.lower() for kind in WORKLOAD_KINDS}


def _normalize(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _normalize(v, names) for k, v in value.items()}
    if isinstance(value, list):
        items = [_normalize(v, names) for v in value]
        item_names = [item.get("name") if isinstance(item, dict) else None for item in items]
        if items and None not in item_names and len(set(item_names)) == len(items):
            return {f"[{name}]": item for name, item in zip(item_names, items, strict=True)}
        return items
    if isinstance(value, str):
        return names.get(value, value)
    return value


def normalized(objects: list[dict[str, Any]]) -> dict[str, Any]:
    """Object key -> object with generated names unhashed and named lists keyed by name."""
    names = generated_names(objects)
    return {key(obj): obj for obj in (_normalize(o, names) for o in objects)}


def _diff(left: Any, right: Any, path: str) -> list[Difference]:
    if isinstance(left, dict) and isinstance(right, dict):
        diffs = []
        for name in list(left) + [k for k in right if k not in left]:
            sub = f"{path}{name}" if name.startswith("[") else f"{path}.{name}" if path else name
            if name not in left:
                diffs.append(Difference(sub, ABSENT, right[name]))
            elif name not in right:
                diffs.append(Difference(sub, left[name], ABSENT))
            else:
                diffs.extend(_diff(left[name], right[name], sub))
        return diffs
    structures = isinstance(left, list) and isinstance(right, list) and len(left) == len(right)
    if structures and all(isinstance(item, dict) for item in left + right):  # by position
        return [d for i, (a, b) in enumerate(zip(left, right, strict=True)) for d in _diff(a, b, f"{path}[{i}]")]
    return [] if left == right else [Difference(path, left, right)]


def compare(left_name: str, left: list[dict[str, Any]], right_name: str, right: list[dict[str, Any]]) -> Report:
    a, b = normalized(left), normalized(right)
    report = Report(left_name, right_name, only_left=sorted(set(a) - set(b)), only_right=sorted(set(b) - set(a)))
    # Workloads first, then everything else both overlays have, each group by name.
    for object_key in sorted(set(a) & set(b), key=lambda k: (not is_workload(k), k)):
        diffs = _diff(a[object_key], b[object_key], "")
        if diffs:
            report.differences[object_key] = diffs
        else:
            report.identical.append(object_key)
    return report


def _plain(value: Any) -> Any:
    """A normalized value as the manifest spells it: lists keyed by name become lists again."""
    if isinstance(value, dict):
        if value and all(k.startswith("[") for k in value):
            return [_plain(v) for v in value.values()]
        return {k: _plain(v) for k, v in value.items()}
    return value


def _show(value: Any) -> str:
    return ABSENT if value is ABSENT else json.dumps(_plain(value), separators=(", ", ": "))


def format_report(report: Report) -> str:
    left, right = report.left, report.right
    lines = [f"parity: {left} vs {right}"]
    lines.append(f"only in {left}: {', '.join(report.only_left) or '(nothing)'}")
    lines.append(f"only in {right}: {', '.join(report.only_right) or '(nothing)'}")
    for object_key, diffs in report.differences.items():
        lines.append(
            f"{object_key}: {len(diffs)} field{'s' if len(diffs) != 1 else ''} differ{'s' if len(diffs) == 1 else ''}"
        )
        lines.extend(f"  {d.path}: {left}={_show(d.left)} {right}={_show(d.right)}" for d in diffs)
    lines.append(f"identical: {', '.join(report.identical) or '(nothing)'}")
    workloads = [k for k in report.differences if is_workload(k)]
    total = sum(len(d) for d in report.differences.values())
    lines.append(
        f"{total} fields differ in {len(report.differences)} objects ({len(workloads)} workloads); "
        f"{len(report.identical)} identical; "
        f"{len(report.only_left)} only in {left}, {len(report.only_right)} only in {right}"
    )
    return "\n".join(lines)
