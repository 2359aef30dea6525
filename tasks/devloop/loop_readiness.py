"""What a running loop's web says of itself: its /readyz answer, asked inside the web pod.

Inside the pod, so it needs no forward and reads the answer exactly as kubelet's probe gets it (a 503's
body included: it names what fails).
"""

from __future__ import annotations

import json
import os
import subprocess

from tasks import ports
from tasks.devloop import in_pod
from tasks.devloop.targets import Target

ASK = f"""
import urllib.error, urllib.request
try:
    body = urllib.request.urlopen("http://127.0.0.1:{ports.WEB}/readyz", timeout=5).read()
except urllib.error.HTTPError as error:
    body = error.read()
print(body.decode())
"""


def readyz(target: Target, namespace: str = "") -> dict | None:
    """web's /readyz answer in the loop at TARGET (NAMESPACE, else the context's); None when no loop's web runs."""
    argv = [*in_pod.exec_in_web(target, namespace), "--", "python", "-c", ASK]
    try:
        ran = subprocess.run(argv, env={**os.environ, **target.env}, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return None
    try:
        answer = json.loads(ran.stdout) if ran.returncode == 0 else None
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None
