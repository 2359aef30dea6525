"""docs/make-it-yours.md's new app, added beside a `skaffold dev` loop (tests/cluster/skaffold_loop.py) as the page
says, through the restart it asks for.

The page's commands find the loop by the context's namespace, so the test makes the loop's namespace the test
cluster's context's own for its length, as a developer does (`kubectl config set-context`). That context is every
worker's, so this runs in the machine lane, after the quick start and apart from the doctor's and `cluster.status`'s
tests, which read the context; the cluster lane and the cluster files beside it name their namespaces.
"""

from __future__ import annotations

import pytest

from tests.cluster import day
from tests.cluster.skaffold_loop import skaffold_dev

pytestmark = [pytest.mark.cluster, pytest.mark.docker, pytest.mark.slow]


@pytest.mark.postgres  # the new app's own test runs against the local PostgreSQL, as the page says
def test_docs_make_it_yours_adds_an_app_with_a_model_a_task_and_a_periodic_task_on_the_loop(
    cluster_session, tmp_path_factory
):
    with skaffold_dev(cluster_session, tmp_path_factory) as loop:
        day.an_app_of_your_own_as_docs_make_it_yours_says(loop.copy, loop.cluster, loop.namespace, loop.restart)
