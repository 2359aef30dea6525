"""Strict schema validation (kubernetes-validate --strict) of every rendered object of Kubernetes' own
kinds; the Prometheus Operator's are in test_monitoring_schema.py."""

import pytest

from tasks.k8s import kustomize, schema
from tests.k8s.conftest import OVERLAYS, STANDALONE
from tests.k8s.manifests import rendered

pytestmark = pytest.mark.k8s


def test_validates_against_1_26_1_31_and_the_newest_bundled_schema():
    from kubernetes_validate.utils import latest_version, major_minor

    assert schema.versions() == ["1.26", "1.31", major_minor(latest_version())]
    assert major_minor(latest_version()) != "1.31"


NATIVE_SLEEP = """
apiVersion: v1
kind: Pod
metadata:
  name: x
spec:
  containers:
    - name: x
      image: x:1
      lifecycle:
        preStop:
          sleep:
            seconds: 5
"""


def test_a_field_newer_than_the_oldest_supported_version_fails():
    # The field a real 1.26 API server rejected ("unknown field ...preStop.sleep"): 1.29+ only.
    assert any("sleep" in p for p in schema.validate(NATIVE_SLEEP, "1.26", 1))
    assert schema.validate(NATIVE_SLEEP, "1.31", 1) == []


@pytest.mark.parametrize("version", schema.versions())
@pytest.mark.parametrize("overlay", OVERLAYS + STANDALONE)
def test_every_object_is_schema_valid(overlay, version):
    manifests, _ = schema.split(rendered(overlay))
    assert schema.validate(manifests, version, len(kustomize.parse(manifests))) == []


def test_the_prometheus_operators_objects_go_to_their_own_validator(production_overlay):
    objects = rendered(production_overlay)
    manifests, monitoring = schema.split(objects)
    assert [o["kind"] for o in monitoring] == ["PodMonitor"] * 3
    assert len(kustomize.parse(manifests)) + len(monitoring) == len(objects)
    # kubernetes-validate has no schema for them: left in, they fail.
    assert any(
        "PodMonitor" in p for p in schema.validate(kustomize.render_yaml(production_overlay), "1.31", len(objects))
    )


BAD_FIELD = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: x
  colour: blue
"""

UNKNOWN_KIND = """
apiVersion: v1
kind: Gadget
metadata:
  name: x
"""


def test_an_unknown_field_fails():
    problems = schema.validate(BAD_FIELD, "1.31", 1)
    assert any("colour" in p for p in problems)


def test_an_unknown_kind_fails_instead_of_warning():
    problems = schema.validate(UNKNOWN_KIND, "1.31", 1)
    assert any("Gadget" in p for p in problems)
