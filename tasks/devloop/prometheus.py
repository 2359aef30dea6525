"""Debian's Prometheus, run on loopback against metrics endpoints: `invoke metrics` and the tests."""

from __future__ import annotations

import json
import shutil

INSTALL = "install Debian's prometheus package (./bin/setup --services does)"


def binary() -> str:
    found = shutil.which("prometheus")
    if found is None:
        raise FileNotFoundError(f"no prometheus on PATH: {INSTALL}")
    return found


def config(targets: dict[str, str], interval_seconds: float) -> str:
    """prometheus.yml scraping each target (host:port) as its own job, named by its key. JSON is YAML."""
    # Prometheus's durations are whole numbers of a unit ("4.5s" is refused): milliseconds.
    interval_ms = round(interval_seconds * 1000)
    scrape = {"scrape_interval": f"{interval_ms}ms", "scrape_timeout": f"{interval_ms * 9 // 10}ms"}
    jobs = [{"job_name": job, "static_configs": [{"targets": [address]}]} for job, address in targets.items()]
    return json.dumps({"global": scrape, "scrape_configs": jobs}, indent=1)


def argv(config_file: str, data_dir: str, listen: str) -> list[str]:
    return [
        binary(),
        f"--config.file={config_file}",
        f"--storage.tsdb.path={data_dir}",
        f"--web.listen-address={listen}",
        "--log.level=warn",
    ]
