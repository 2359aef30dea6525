"""The smallest Debug Adapter Protocol client: what VS Code says to debugpy, nothing more.

Enough to attach to `python -m debugpy --listen`, follow a subprocess, set a breakpoint and
see it hit, the way .vscode/launch.json's "Attach to web" does it.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any


class DapSession:
    def __init__(self, host: str, port: int, timeout: float = 30):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buffer = b""
        self.seq = 0
        self.pending: list[dict[str, Any]] = []  # messages read while waiting for another

    def close(self) -> None:
        self.sock.close()

    def send(self, command: str, arguments: dict[str, Any] | None = None) -> int:
        self.seq += 1
        body = json.dumps({"seq": self.seq, "type": "request", "command": command, "arguments": arguments or {}})
        self.sock.sendall(f"Content-Length: {len(body)}\r\n\r\n".encode() + body.encode())
        return self.seq

    def _read(self) -> dict[str, Any]:
        """One message: a Content-Length header, a blank line, that many bytes of JSON."""
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        header = self.buffer.partition(b"\r\n\r\n")[0]
        start = len(header) + 4
        end = start + int(header.split(b":")[1])
        while len(self.buffer) < end:
            self._fill()
        body, self.buffer = self.buffer[start:end], self.buffer[end:]
        return json.loads(body)

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the debug adapter closed the connection")
        self.buffer += chunk

    def wait_for(self, what: str, match, timeout: float = 30) -> dict[str, Any]:
        """The first message (already read or new) for which match(message) is true."""
        deadline = time.monotonic() + timeout
        while True:
            for message in self.pending:
                if match(message):
                    self.pending.remove(message)
                    return message
            if time.monotonic() > deadline:
                seen = [m.get("event") or m.get("command") for m in self.pending]
                raise AssertionError(f"timed out waiting for {what}; saw {seen}")
            self.pending.append(self._read())

    def event(self, name: str, timeout: float = 30) -> dict[str, Any]:
        return self.wait_for(f"event {name}", lambda m: m["type"] == "event" and m["event"] == name, timeout)

    def response(self, seq: int, timeout: float = 30) -> dict[str, Any]:
        message = self.wait_for(
            f"the response to request {seq}", lambda m: m["type"] == "response" and m["request_seq"] == seq, timeout
        )
        assert message["success"], message
        return message

    def request(self, command: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.response(self.send(command, arguments))

    def attach(self, arguments: dict[str, Any], breakpoints: dict[str, list[int]] | None = None) -> None:
        """initialize, attach, (breakpoints), configurationDone: VS Code's attach sequence."""
        self.request(
            "initialize",
            {
                "adapterID": "debugpy",
                "clientID": "tests",
                "pathFormat": "path",
                "linesStartAt1": True,
                "columnsStartAt1": True,
            },
        )
        attached = self.send("attach", arguments)
        self.event("initialized")
        for path, lines in (breakpoints or {}).items():
            wanted = {"source": {"path": path}, "breakpoints": [{"line": n} for n in lines]}
            body = self.request("setBreakpoints", wanted)
            assert all(b["verified"] for b in body["body"]["breakpoints"]), body
        self.request("configurationDone")
        self.response(attached)
