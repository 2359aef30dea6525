"""The app's stack and a scraper discovering it, for this folder's tests: set up once, both namespaces deleted after.

The stack is the fault scenarios' (FaultStack: the prod image from `skaffold build`, a restricted
namespace) rendered from ./overlay, which adds k8s/components/monitoring. The scraper (scraper.py)
starts while the stack rolls out: the two waits overlap.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tasks.cluster.client import kubectl
from tasks.devloop.scratch import scratch_copy
from tests.cluster.commands import apply, delete_namespace, restricted_namespace
from tests.cluster.faults.fault_stack import FaultStack, build
from tests.cluster.monitoring import image, scrape, scraper
from tests.support.cluster_session import heavy_stack

OVERLAY = Path(__file__).parent / "overlay"
# The PodMonitors say 30 s, prod's interval. What these tests check (discovery, relabelling, the metrics port's
# NetworkPolicy, the series) holds at any interval; at 30 s each check waited up to 30 s for its scrape.
SCRAPE_INTERVAL = "5s"


@dataclass
class Monitored:
    stack: FaultStack
    api: scraper.Api


@pytest.fixture(scope="package")
def monitored(cluster_session, tmp_path_factory) -> Monitored:
    cluster = cluster_session.ensure_stack()
    copy = scratch_copy(tmp_path_factory.mktemp("monitoring"))
    app_image = build(cluster, copy, copy.parent / "build.json")
    scraper_image = image.ensure(cluster)
    applicable, monitors = scrape.split(list(yaml.safe_load_all(kubectl(cluster, "kustomize", str(OVERLAY)).stdout)))
    assert monitors, f"no PodMonitor in {OVERLAY}'s manifests"
    with heavy_stack("the monitored stack"):
        stack = FaultStack(cluster, restricted_namespace(cluster, "metrics"), {"a": app_image})
        try:
            scraper.create_namespace(cluster)
            configs = scrape.scrape_configs(monitors, stack.namespace)
            for job in configs:
                job["scrape_interval"] = SCRAPE_INTERVAL
            apply(cluster, *scraper.manifests(scraper_image, stack.namespace, configs))
            stack.deploy(yaml.safe_dump_all(applicable, sort_keys=False))
            api = scraper.Api(cluster)
            api.ready()
            yield Monitored(stack, api)
        finally:
            delete_namespace(cluster, stack.namespace)
            delete_namespace(cluster, scraper.NAMESPACE)
