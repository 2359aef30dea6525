"""A registry that requires a login, as a team's would: Debian's docker-registry (distribution 2.8) with htpasswd
auth on loopback, at the address the test cluster's containerd pulls from over plain HTTP
(testcluster.layout.TEAM_REGISTRY). One per test session, its storage in a temporary directory.

A developer's Docker config for it is made by the real `docker login`; a stale one (a wrong password) is written
as `docker login` would have left it, since `docker login` refuses a wrong password.
"""

from __future__ import annotations

import base64
import ctypes
import json
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tasks.cluster.state import KIND
from tasks.services.reach import port_open
from testcluster.layout import TEAM_REGISTRY, TEAM_REGISTRY_PORT
from tests.support.cluster_session import ClusterSession
from tests.support.needs import need
from tests.support.processes import Process, clean_env, http_status, wait_until

DOCKER_REGISTRY = "/usr/bin/docker-registry"
USER = "developer"


def bcrypt(password: str) -> str:
    """PASSWORD's bcrypt hash, the only one docker-registry's htpasswd accepts, from libxcrypt (libcrypt.so.1,
    the crypt(3) of every Debian). Called directly: Python's crypt module, its wrapper, is gone in 3.13."""
    libcrypt = ctypes.CDLL("libcrypt.so.1")
    libcrypt.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]
    libcrypt.crypt_gensalt.restype = ctypes.c_char_p
    libcrypt.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    libcrypt.crypt.restype = ctypes.c_char_p
    # Cost 5, not 12: the registry checks the hash on every request of a push, and this guards nothing real.
    salt = libcrypt.crypt_gensalt(b"$2b$", 5, None, 0)  # no random bytes given: libxcrypt reads the OS's
    hashed = libcrypt.crypt(password.encode(), salt) if salt else None
    assert hashed and hashed.startswith(b"$2b$05$"), f"libxcrypt made no bcrypt hash (salt {salt!r})"
    return hashed.decode()


def _config(storage: Path, htpasswd: Path) -> str:
    return (
        "version: 0.1\n"
        "log: {level: info, fields: {service: auth-registry}}\n"
        f"storage:\n  filesystem: {{rootdirectory: {storage}}}\n  delete: {{enabled: true}}\n"
        f"http:\n  addr: {TEAM_REGISTRY}\n  secret: {secrets.token_hex(16)}\n"
        f"auth:\n  htpasswd: {{realm: shipyard-team, path: {htpasswd}}}\n"
    )


@dataclass(frozen=True)
class AuthRegistry:
    host: str  # "127.0.0.1:5001": the image prefix, and the key of a Docker config's `auths`
    user: str
    password: str

    def docker(self, config: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
        """`docker ARGS` as a developer whose Docker config is the directory CONFIG (DOCKER_CONFIG)."""
        return subprocess.run(
            ["docker", *args],
            env=clean_env({"DOCKER_CONFIG": str(config)}),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def docker_config(self, directory: Path) -> Path:
        """DIRECTORY made a developer's Docker config by the real `docker login HOST --password-stdin`."""
        directory.mkdir(parents=True, exist_ok=True)
        login = subprocess.run(
            ["docker", "login", self.host, "--username", self.user, "--password-stdin"],
            input=self.password,
            env=clean_env({"DOCKER_CONFIG": str(directory)}),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert login.returncode == 0, f"docker login {self.host} failed:\n{login.stdout}{login.stderr}"
        return directory

    def docker_config_with_wrong_password(self, directory: Path) -> Path:
        """DIRECTORY made a Docker config whose `auths` entry for HOST has a wrong password: a stale credential,
        as `docker login` stores one (docker login itself refuses a wrong password)."""
        directory.mkdir(parents=True, exist_ok=True)
        auth = base64.b64encode(f"{self.user}:not-{self.password}".encode()).decode()
        (directory / "config.json").write_text(json.dumps({"auths": {self.host: {"auth": auth}}}, indent=1) + "\n")
        return directory

    def push(self, config: Path, source: str, name: str) -> str:
        """Push SOURCE (an image in Docker's store) as HOST/NAME with the Docker config CONFIG; the new ref."""
        ref = f"{self.host}/{name}"
        for args in (("tag", source, ref), ("push", ref)):
            result = self.docker(config, *args)
            assert result.returncode == 0, f"docker {' '.join(args)} failed:\n{result.stdout}{result.stderr}"
        return ref


@pytest.fixture(scope="session")
def auth_registry(tmp_path_factory: pytest.TempPathFactory, cluster_session: ClusterSession):
    """docker-registry with htpasswd on TEAM_REGISTRY for the session, which the test cluster pulls from: an
    AuthRegistry (host, user, password)."""
    cluster = cluster_session.ensure()
    if cluster.kind == KIND:
        # kind's nodes are containers: the host's loopback, where this registry listens, is not theirs.
        pytest.skip(f"the test cluster pulls from a registry on {TEAM_REGISTRY} on the binaries driver only, not kind")
    hosts = (cluster.run_dir or Path("/nonexistent")) / "containerd" / "certs.d" / TEAM_REGISTRY / "hosts.toml"
    if not hosts.is_file():
        pytest.fail(
            f"the running test cluster predates {hosts} (testcluster/config.py): restart it "
            "(invoke cluster.down && invoke cluster.up) so that its containerd pulls from the team registry",
            pytrace=False,
        )
    need(f"Debian's {DOCKER_REGISTRY}", Path(DOCKER_REGISTRY).is_file(), "apt-get install docker-registry")
    need("the docker client", shutil.which("docker") is not None, "apt-get install docker.io")
    try:
        ctypes.CDLL("libcrypt.so.1")
    except OSError:
        need("libxcrypt (libcrypt.so.1), for the htpasswd file's bcrypt hash", False, "apt-get install libcrypt1")
    if port_open("127.0.0.1", TEAM_REGISTRY_PORT):
        pytest.fail(f"{TEAM_REGISTRY} is taken (a registry left by an earlier run?): stop it", pytrace=False)
    work = tmp_path_factory.mktemp("auth-registry")
    password = secrets.token_urlsafe(16)
    (work / "htpasswd").write_text(f"{USER}:{bcrypt(password)}\n")
    (work / "config.yml").write_text(_config(work / "storage", work / "htpasswd"))
    registry = Process("auth-registry", [DOCKER_REGISTRY, "serve", str(work / "config.yml")], {}, work, cwd=work)
    try:
        url = f"http://{TEAM_REGISTRY}/v2/"
        answered = wait_until(
            f"docker-registry to ask for a login on {url}",
            lambda: http_status(url) == 401 or registry.popen.poll() is not None,
            30,
        )
        assert answered and registry.popen.poll() is None, f"docker-registry exited:\n{registry.log()}"
        yield AuthRegistry(TEAM_REGISTRY, USER, password)
    finally:
        registry.stop()
