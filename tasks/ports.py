"""The app's ports for the tasks: read from app/config/ports.py, their one definition.

Loaded by path, not imported as a package: importing `config` would start the app's Celery wiring.
"""

from __future__ import annotations

import importlib.util

from tasks.paths import APP

_spec = importlib.util.spec_from_file_location("shipyard_app_ports", APP / "config" / "ports.py")
assert _spec is not None and _spec.loader is not None, "app/config/ports.py is missing"
_ports = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_ports)

WEB: int = _ports.WEB
DEBUGPY: int = _ports.DEBUGPY
METRICS: int = _ports.METRICS
WEB_URL = f"http://127.0.0.1:{WEB}"  # where the dev loop forwards web on this machine
