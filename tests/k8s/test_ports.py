"""One source for each port: app/config/ports.py. Files that cannot import it are checked against it here."""

from __future__ import annotations

import json

import pytest
import yaml

from tasks import ports
from tasks.paths import ROOT
from tests.devloop.tilt_standins import run_tiltfile
from tests.k8s.manifests import rendered, template

pytestmark = pytest.mark.k8s

APP_PROCESSES = ("web", "worker", "beat")


def _env_of(container: dict) -> dict[str, str]:
    return {var["name"]: var.get("value") for var in container.get("env", [])}


def test_every_overlay_declares_the_web_and_metrics_ports_from_the_one_source(overlay):
    objects = rendered(overlay)
    assert template(objects, "web").port_names()["http"] == ports.WEB
    for name in APP_PROCESSES:
        workload = template(objects, name)
        assert workload.port_names()["metrics"] == ports.METRICS, f"{overlay}: {name}'s metrics port"
        assert _env_of(workload.container(name))["METRICS_PORT"] == str(ports.METRICS), f"{overlay}: {name}"


def test_the_dev_web_pod_listens_where_its_ports_say():
    web = template(rendered("dev"), "web")
    assert web.port_names()["debugpy"] == ports.DEBUGPY
    command = " ".join(web.container("web")["command"])
    assert f"--listen 0.0.0.0:{ports.DEBUGPY}" in command
    assert f"0.0.0.0:{ports.WEB}" in command


def test_the_dockerfile_exposes_and_serves_the_web_port():
    text = (ROOT / "Dockerfile").read_text()
    exposed = [set(map(int, line.split()[1:])) for line in text.splitlines() if line.startswith("EXPOSE ")]
    assert exposed == [{ports.WEB, ports.DEBUGPY}, {ports.WEB}], "the dev stage, then the prod stage"
    (dev_cmd,) = [line for line in text.splitlines() if line.startswith("CMD") and "devserver" in line]
    assert f"0.0.0.0:{ports.WEB}" in dev_cmd


def test_the_tiltfile_forwards_web_and_debugpy_to_the_same_ports_here():
    web = run_tiltfile(debug=True).resource("web")  # the Tiltfile run, as `tilt up -- --debug` runs it
    forwards = {(f["local_port"], f["container_port"]) for f in web["port_forwards"]}
    assert forwards == {(ports.WEB, ports.WEB), (ports.DEBUGPY, ports.DEBUGPY)}
    assert [link["url"] for link in web["links"]] == [f"http://localhost:{ports.WEB}/admin/"]


def test_skaffold_forwards_web_and_debugpy_to_the_same_ports_here():
    forwards = yaml.safe_load((ROOT / "skaffold.yaml").read_text())["portForward"]
    by_resource = {(f["resourceType"], f["resourceName"]): f for f in forwards}
    assert by_resource[("service", "web")]["localPort"] == ports.WEB
    debugpy = by_resource[("deployment", "web")]
    assert (debugpy["port"], debugpy["localPort"]) == (ports.DEBUGPY, ports.DEBUGPY)


def test_vscode_attaches_to_the_debugpy_port():
    text = (ROOT / ".vscode" / "launch.json").read_text()
    uncommented = "\n".join(line.split("//", 1)[0] for line in text.splitlines())
    (config,) = json.loads(uncommented)["configurations"]
    assert config["connect"] == {"host": "127.0.0.1", "port": ports.DEBUGPY}
