"""A real Prometheus (Debian's `prometheus` package, installed by `bin/setup --services`) on loopback,
scraping the given targets every second, and PromQL through its HTTP API."""

from __future__ import annotations

from pathlib import Path

import requests

from tasks.devloop import prometheus
from tests.support.processes import Process, free_port, http_status, wait_until

SCRAPE_SECONDS = 1


class Prometheus:
    def __init__(self, targets: dict[str, str], work: Path):
        work.mkdir(parents=True, exist_ok=True)
        (work / "prometheus.yml").write_text(prometheus.config(targets, SCRAPE_SECONDS))
        self.url = f"http://127.0.0.1:{free_port()}"
        argv = prometheus.argv(str(work / "prometheus.yml"), str(work / "data"), self.url.removeprefix("http://"))
        self.process = Process("prometheus", argv, {}, work, cwd=work)
        wait_until("Prometheus to be ready", lambda: http_status(self.url + "/-/ready") == 200 or self.exited(), 30)
        assert not self.exited(), f"prometheus exited:\n{self.process.log()}"

    def exited(self) -> bool:
        return self.process.popen.poll() is not None

    def query(self, promql: str) -> list[dict]:
        """The instant vector PROMQL evaluates to now: [{"metric": {...}, "value": [time, "1"]}, ...]."""
        response = requests.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=5)
        body = response.json()
        assert body["status"] == "success", f"{promql}: {body}"
        return body["data"]["result"]

    def values(self, promql: str, *by: str) -> dict[tuple[str, ...], float]:
        """Each series' value, keyed by the values of the labels BY."""
        return {tuple(r["metric"].get(label, "") for label in by): float(r["value"][1]) for r in self.query(promql)}

    def value(self, promql: str) -> float | None:
        """The value of a one-series result; None when there is no series (yet)."""
        result = self.query(promql)
        assert len(result) <= 1, f"{promql} gave {len(result)} series: {result}"
        return float(result[0]["value"][1]) if result else None

    def wait_for(self, what: str, promql: str, expected, *by: str, timeout: float = 30):
        """Poll until PROMQL gives EXPECTED (a number, or a dict keyed by BY); fail showing the last answer."""
        read = (lambda: self.values(promql, *by)) if by else (lambda: self.value(promql))
        last = []

        def matches() -> bool:
            last[:] = [read()]
            return last[0] == expected

        try:
            wait_until(what, matches, timeout, interval=0.25)
        except AssertionError:
            raise AssertionError(f"{what}: {promql} gave {last[0]!r}, expected {expected!r}") from None
        return last[0]

    def stop(self) -> None:
        self.process.stop()
