"""Summaries of timing samples: the same percentile rule as the load generator."""

from __future__ import annotations

from tasks.bench.loadgen import percentile


def distribution(samples: list[float]) -> dict[str, float | int | list[float]]:
    """n, p50, p95, max (and min, mean) of `samples`, in their unit, with the samples kept."""
    if not samples:
        raise ValueError("no samples to summarise")
    return {
        "n": len(samples),
        "p50": round(percentile(samples, 0.5), 4),
        "p95": round(percentile(samples, 0.95), 4),
        "max": round(max(samples), 4),
        "min": round(min(samples), 4),
        "mean": round(sum(samples) / len(samples), 4),
        "samples": [round(s, 4) for s in samples],
    }


def median_of(rows: list[dict[str, float | None]], key: str) -> float | None:
    """The median of one phase across iterations, ignoring iterations where it was not seen."""
    values = [row[key] for row in rows if row.get(key) is not None]
    return round(percentile(values, 0.5), 4) if values else None
