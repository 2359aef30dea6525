"""The app's ports for the tasks: read from app/config/ports.py, their one definition.

Run from its file, not imported as a package: importing `config` would start the app's Celery wiring.
"""

from __future__ import annotations

import runpy

from tasks.paths import APP

_ports = runpy.run_path(str(APP / "config" / "ports.py"))

WEB: int = _ports["WEB"]
DEBUGPY: int = _ports["DEBUGPY"]
METRICS: int = _ports["METRICS"]
WEB_URL = f"http://127.0.0.1:{WEB}"  # where the dev loop forwards web on this machine
