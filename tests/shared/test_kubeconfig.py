"""tasks/shared/kubeconfig.py gives the context the real `kubectl config current-context` prints, case by case."""

from __future__ import annotations

import os
import subprocess

import pytest

from tasks.paths import tool
from tasks.shared.kubeconfig import current_context


def config(context: object = None) -> str:
    line = "" if context is None else f"current-context: {context}\n"
    return f"apiVersion: v1\nkind: Config\n{line}"


# Each case: the files written under the test's folder (name: text), KUBECONFIG (None: unset, so HOME's file),
# and the context kubectl prints ("": none, or it fails).
CASES = {
    "one file": ({"a": config("alpha")}, "a", "alpha"),
    "home's own file": ({".kube/config": config("homely")}, None, "homely"),
    "no file at home": ({}, None, ""),
    "the first that sets it wins": ({"a": config(), "b": config("beta"), "c": config("gamma")}, "a:b:c", "beta"),
    "earlier wins over later": ({"a": config("alpha"), "b": config("beta")}, "b:a", "beta"),
    "a missing file is skipped": ({"b": config("beta")}, "missing:b", "beta"),
    "empty entries and repeats": ({"a": config("alpha")}, "::a::a", "alpha"),
    "only separators: not home's": ({".kube/config": config("homely")}, "::", ""),
    "an empty file": ({"a": "", "b": config("beta")}, "a:b", "beta"),
    "a later file that does not parse": ({"a": config("alpha"), "b": "current-context: [unclosed\n"}, "a:b", ""),
    "not a mapping": ({"a": "- just\n- a list\n", "b": config("beta")}, "a:b", ""),
    "a number for a context": ({"a": config(5), "b": config("beta")}, "a:b", ""),
    "a folder for a file": ({"a/inside": config("alpha"), "b": config("beta")}, "a:b", ""),
    "set empty": ({"a": 'current-context: ""\n', "b": config("beta")}, "a:b", "beta"),
}


def kubectl_says(env: dict[str, str]) -> str:
    result = subprocess.run(
        [tool("kubectl"), "config", "current-context"], capture_output=True, text=True, env=env, timeout=30
    )
    return result.stdout.strip() if result.returncode == 0 else ""


@pytest.mark.slow  # a kubectl per case
@pytest.mark.parametrize(("files", "kubeconfig", "context"), CASES.values(), ids=CASES.keys())
def test_the_context_is_the_one_kubectl_reads(tmp_path, monkeypatch, files, kubeconfig, context):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)  # KUBECONFIG's names are relative, as a user may write them
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    if kubeconfig is not None:
        env["KUBECONFIG"] = kubeconfig
    assert (kubectl_says(env), current_context(env)) == (context, context)
