"""What every process of the app needs to run in production, whatever its domain: health probes,
request ids, metrics, heartbeats, logs, 503s while a dependency is away, and the management commands
(wait_for_db, a migrate that takes a lock). A Django app (apps.py) with no models."""
