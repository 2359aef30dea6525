import pytest

from tasks.k8s import kustomize
from tests.k8s.manifests import rendered

# Every overlay on disk: a new one is covered by every test without being named here.
OVERLAYS = kustomize.overlays()
PRODUCTION_SHAPED = [o for o in OVERLAYS if o != "dev"]
# Every other kustomization applied as it is (k8s/dev-namespace, its RBAC example): schema-checked too.
STANDALONE = kustomize.standalone()


@pytest.fixture(params=OVERLAYS)
def overlay(request) -> str:
    return request.param


@pytest.fixture(params=PRODUCTION_SHAPED)
def production_overlay(request) -> str:
    return request.param


@pytest.fixture
def objects(overlay):
    return rendered(overlay)
