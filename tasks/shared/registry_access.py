"""Does the team's registry accept a push from this developer? Asked the way a push starts: a blob upload is
opened with the developer's credentials (Basic, or the Bearer token the registry's auth service grants), then
cancelled. Nothing is stored. Plain HTTP for a registry on loopback (as Docker allows), HTTPS otherwise."""

from __future__ import annotations

import base64
import contextlib
import json
import re
import urllib.error
import urllib.parse
import urllib.request

from tasks.shared.credentials import Credentials
from tasks.shared.errors import SharedError

IMAGE = "shipyard-app"  # the image skaffold and Tilt push (skaffold.yaml, Tiltfile)
LOOPBACK = ("127.", "localhost", "[::1]")
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback must bypass any proxy
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')


def scheme(host: str) -> str:
    return "http" if host.startswith(LOOPBACK) else "https"


def repository(registry: str) -> str:
    """The repository a push goes to: registry.example.com/team -> team/shipyard-app."""
    _, _, path = registry.partition("/")
    return f"{path}/{IMAGE}" if path else IMAGE


def _open(method: str, url: str, headers: dict[str, str]):
    request = urllib.request.Request(url, method=method, headers=headers, data=b"" if method == "POST" else None)
    opener = _OPENER if url.startswith("http://") else urllib.request.build_opener()
    return opener.open(request, timeout=20)


def _basic(credentials: Credentials) -> str:
    return "Basic " + base64.b64encode(f"{credentials.username}:{credentials.password}".encode()).decode()


def _bearer(challenge: str, repo: str, credentials: Credentials, host: str) -> str:
    """A token from the registry's auth service (the Docker token flow) for pushing to REPO."""
    params = dict(_CHALLENGE.findall(challenge))
    if "realm" not in params:
        raise SharedError(f"registry {host} asks for a token but names no auth service: {challenge}")
    query = {"scope": f"repository:{repo}:push,pull", **({"service": params["service"]} if "service" in params else {})}
    url = f"{params['realm']}?{urllib.parse.urlencode(query)}"
    try:
        with _open("GET", url, {"Authorization": _basic(credentials)}) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as error:
        if error.code in (401, 403):
            raise _refused(host, credentials) from None
        raise SharedError(f"registry {host}'s auth service answered {error.code}") from None
    token = answer.get("token") or answer.get("access_token")
    if not token:
        raise SharedError(f"registry {host}'s auth service gave no token")
    return f"Bearer {token}"


def _refused(host: str, credentials: Credentials) -> SharedError:
    return SharedError(
        f"registry {host} refused the credentials of {credentials.username!r} from your Docker config: "
        f"run `docker login {host}` again"
    )


def check_push(registry: str, credentials: Credentials) -> str:
    """One line saying the registry accepts a push; SharedError (one line, with the fix) when it does not."""
    host, repo = registry.split("/", 1)[0], repository(registry)
    base = f"{scheme(host)}://{host}"
    uploads = f"{base}/v2/{repo}/blobs/uploads/"
    authorization = _basic(credentials)
    try:
        try:
            _open("GET", f"{base}/v2/", {}).close()
        except urllib.error.HTTPError as error:
            challenge = error.headers.get("WWW-Authenticate", "")
            if error.code != 401:
                raise SharedError(f"registry {host} answered {error.code} at {base}/v2/: is it a registry?") from None
            if challenge.lower().startswith("bearer"):
                authorization = _bearer(challenge, repo, credentials, host)
        try:
            with _open("POST", uploads, {"Authorization": authorization, "Content-Length": "0"}) as response:
                location = response.headers.get("Location", "")
        except urllib.error.HTTPError as error:
            if error.code == 401:
                raise _refused(host, credentials) from None
            if error.code == 403:
                raise SharedError(
                    f"registry {host} lets {credentials.username!r} in but not push to {repo}: "
                    "ask its admin for push rights there, or choose another --registry path"
                ) from None
            raise SharedError(f"registry {host} answered {error.code} to a push to {repo}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise SharedError(f"registry {host} does not answer at {base} ({reason}): check --registry") from None
    if location:  # cancel the upload just opened: nothing is left behind
        with contextlib.suppress(urllib.error.URLError, OSError):  # else an empty upload the registry expires
            _open("DELETE", urllib.parse.urljoin(uploads, location), {"Authorization": authorization}).close()
    return f"{host} accepts a push to {repo} from {credentials.username!r}"
