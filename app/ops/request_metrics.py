"""Counts and times every request Django answers, by view, method and status (ops/metrics.py).

Placed after the health-check middleware, so the kubelet's probes are not counted: the counts are
the traffic's. A view name, not the path, labels a request, so /api/jobs/<id> is one series.
"""

import time

from ops.metrics import REQUEST_SECONDS, REQUESTS

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match  # None when no URL matched (a 404 before any view)
        view = match.view_name if match else "unmatched"
        method = request.method if request.method in METHODS else "other"  # any word is a method to HTTP
        labels = (view, method, str(response.status_code))
        REQUESTS.labels(*labels).inc()
        REQUEST_SECONDS.labels(*labels).observe(time.perf_counter() - started)
        return response
