"""A stand-in HTTP server on loopback for one test: a handler class served from a thread, stopped at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tasks.services.reach import free_port


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """HANDLER on a free 127.0.0.1 port; yields "127.0.0.1:PORT"."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    # shutdown() waits for serve_forever's next poll: half a second per test at the default interval.
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
