"""The app's ports, defined once. The app, tasks/ and tests/ read these names (tasks/ports.py);
the manifests, Dockerfile, Tiltfile, skaffold.yaml and .vscode/launch.json cannot import Python,
so tests/checks/test_ports.py checks each of them against these values."""

WEB = 8000  # the web process: gunicorn in prod, devserver in dev; forwarded to 127.0.0.1:8000 by the loop
DEBUGPY = 5678  # debugpy in the dev web pod (`invoke up --debug`), attached to by .vscode/launch.json
METRICS = 9100  # the Prometheus /metrics server of web, worker and beat: the manifests' METRICS_PORT
