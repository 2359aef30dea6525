"""What tests read from skaffold.yaml beyond its schema: the debug profile's after-deploy hook."""

from __future__ import annotations


def debug_hook(config: dict) -> tuple[dict, list[str]]:
    """The debug profile's one patch, and the command its after-deploy hook runs on the host."""
    (profile,) = [p for p in config["profiles"] if p["name"] == "debug"]
    (patch,) = profile["patches"]
    (hook,) = patch["value"]["after"]
    return patch, hook["host"]["command"]
