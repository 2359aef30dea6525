"""kubectl's current context, read from the kubeconfig files as kubectl reads them, without starting kubectl.

`kubectl config current-context` cost every command that asks which cluster it is on 60 ms a call, and
some ask twice. Its rules (client-go's loading rules): KUBECONFIG, when set and not empty, is a list of
files (":"-separated, empty entries ignored, a missing file skipped); otherwise ~/.kube/config alone.
The first file that sets current-context wins. A file that cannot be read or parsed fails the whole load,
so kubectl has no context then; nor here. tests/shared/test_kubeconfig.py compares both on each case.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml


def files(env: dict[str, str]) -> list[Path]:
    """The kubeconfig files kubectl would load for ENV, in order of precedence."""
    listed = env.get("KUBECONFIG", "")
    if listed:
        return [Path(name) for name in dict.fromkeys(listed.split(os.pathsep)) if name]
    home = env.get("HOME") or os.path.expanduser("~")
    return [Path(home) / ".kube" / "config"]


def current_context(env: dict[str, str] | None = None) -> str:
    """The context `kubectl config current-context` prints for ENV (default: this process's); "" where it has
    none or fails."""
    found = ""
    for path in files(dict(os.environ) if env is None else env):
        try:
            config = yaml.safe_load(path.read_text()) or {}
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return ""
        if not isinstance(config, dict):
            return ""
        context = config.get("current-context") or ""
        if not isinstance(context, str):
            return ""
        found = found or context
    return found
