"""Where skaffold forwards web: with another loop on 127.0.0.1:8000 it picks a free port of its own, which its API
(`--rpc-http-port`, /v1/state) reports."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def forwarded(state: dict, resource: str, remote: int) -> int | None:
    """The local port skaffold's state says RESOURCE's REMOTE port is forwarded to."""
    for forward in (state.get("forwardedPorts") or {}).values():
        if forward.get("resourceName") == resource and int(forward.get("remotePort", 0)) == remote:
            return int(forward["localPort"])
    return None


def web_url(rpc_port: int) -> str | None:
    """http://127.0.0.1:PORT/ of web's forward, once skaffold has made it; None before."""
    try:
        with _OPENER.open(f"http://127.0.0.1:{rpc_port}/v1/state", timeout=2) as response:
            state = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None
    port = forwarded(state, "web", 80)
    return f"http://127.0.0.1:{port}/" if port else None
