"""What the benchmark runs on: a throwaway database and Redis db, and pods of a rendered overlay.

Pods are started through tasks/containers/podrun.py exactly as their manifest says; their containers are
named shipyard-bench-* so they never collide with a test run's shipyard-test-* containers.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import redis
import requests

from tasks import ports
from tasks.containers.podrun import RunningPod
from tasks.containers.podspec import pod
from tasks.k8s.kustomize import render
from tasks.services.databases import drop_database, recreate_database

T = TypeVar("T")
WEB = f"http://127.0.0.1:{ports.WEB}"  # the web pod's port, published here
BENCH_REDIS_DB = 7  # tests use 1, 2 and 5
# staging/prod read app-secrets from a Secret made out of band: a throwaway key here.
BENCH_SECRET_KEY = "bench-only-not-a-secret-" + "b" * 40


class BenchError(RuntimeError):
    """The benchmark cannot go on; str() is one line for the user."""


def poll(what: str, probe: Callable[[], T | None], timeout: float, every: float = 0.02) -> T:
    """probe() until it returns something truthy; BenchError naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not (value := probe()):
        if time.monotonic() >= deadline:
            raise BenchError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)
    return value


def get_json(path: str, headers: dict[str, str] | None = None, timeout: float = 2) -> dict[str, Any] | None:
    """GET WEB+path as JSON; None while the server restarts or answers something else."""
    try:
        response = requests.get(WEB + path, headers=headers, timeout=timeout)
        return response.json() if response.ok else None
    except (requests.RequestException, ValueError):
        return None


@contextmanager
def datastores() -> Iterator[dict[str, str]]:
    """A fresh database and an emptied Redis db: the bench's DATABASE_URL and REDIS_URL."""
    name = f"shipyard_bench_{os.getpid()}"
    redis_url = f"redis://127.0.0.1:6379/{BENCH_REDIS_DB}"
    database_url = recreate_database(name)
    redis.Redis.from_url(redis_url).flushdb()
    try:
        yield {"DATABASE_URL": database_url, "REDIS_URL": redis_url}
    finally:
        drop_database(name)
        redis.Redis.from_url(redis_url).flushdb()


class PodSet:
    """Workloads of one rendered overlay, started as pods on `image`; remove_all() at the end."""

    def __init__(self, overlay: str, image: str, stores: dict[str, str]):
        self.overlay, self.image = overlay, image
        self.objects = render(overlay)
        self.out_of_band = {"app-secrets": {"SECRET_KEY": BENCH_SECRET_KEY, **stores}}
        self.overrides = dict(stores)  # dev's committed Secret points at in-cluster services
        self.pods: list[RunningPod] = []

    def spec(self, workload: str):
        return pod(self.objects, workload, self.out_of_band)

    def env(self, workload: str) -> dict[str, str]:
        """The main container's environment as the manifest resolves it, with the bench's stores."""
        return {**self.spec(workload).containers[0].env, **self.overrides}

    def start(self, workload: str, image: str | None = None) -> RunningPod:
        running = RunningPod(
            self.spec(workload), image or self.image, self.overrides, prefix=f"shipyard-bench-{uuid.uuid4().hex[:8]}"
        )
        self.pods.append(running)
        running.start()
        return running

    def migrate(self) -> None:
        job = self.start("migrate")
        if job.wait() != 0:
            raise BenchError(f"the migrate Job failed: {job.logs().strip().splitlines()[-1:]}")

    def remove(self, running: RunningPod) -> None:
        running.remove()
        self.pods.remove(running)

    def remove_all(self) -> None:
        for running in list(self.pods):
            self.remove(running)

    def ingress_headers(self) -> dict[str, str]:
        """What a client behind the Ingress sends: the allowed Host and X-Forwarded-Proto."""
        host = self.env("web").get("ALLOWED_HOSTS", "*").split(",")[0]
        return {"X-Forwarded-Proto": "https"} | ({"Host": host} if host != "*" else {})
