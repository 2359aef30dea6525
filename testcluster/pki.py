"""The cluster's certificates and kubeconfigs, made with openssl.

ECDSA P-256 keys instead of the usual RSA 2048: Kubernetes accepts them everywhere (serving, client
and service-account keys), and generating fifteen of them takes a fraction of a second, not four.
"""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

from tasks.cluster.layout import NAME, Layout
from tasks.cluster.progress import ClusterError
from testcluster.layout import API_URL, NODE_IP

DAYS = "3650"
API_SANS = (
    "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,"
    f"DNS:localhost,IP:127.0.0.1,IP:10.96.0.1,IP:{NODE_IP}"
)
# file stem -> (subject, extended key usage, subjectAltName)
CERTS: dict[str, tuple[str, str, str]] = {
    "apiserver": ("/CN=kube-apiserver", "serverAuth", API_SANS),
    "apiserver-kubelet-client": ("/O=system:masters/CN=kube-apiserver-kubelet-client", "clientAuth", ""),
    "admin": ("/O=system:masters/CN=shipyard-test-admin", "clientAuth", ""),
    "controller-manager": ("/CN=system:kube-controller-manager", "clientAuth", ""),
    "scheduler": ("/CN=system:kube-scheduler", "clientAuth", ""),
    "kube-proxy": ("/CN=system:kube-proxy", "clientAuth", ""),
    "kube-router": ("/CN=system:kube-router", "clientAuth", ""),
    "kubelet-client": (f"/O=system:nodes/CN=system:node:{NAME}", "clientAuth", ""),
    "kubelet-server": (f"/CN={NAME}", "serverAuth", f"DNS:{NAME},DNS:localhost,IP:{NODE_IP},IP:127.0.0.1"),
}
# kubeconfig file stem -> (user name, certificate stem); "admin" is the one users get.
KUBECONFIGS = {
    "admin": ("shipyard-test-admin", "admin"),
    "controller-manager": ("system:kube-controller-manager", "controller-manager"),
    "scheduler": ("system:kube-scheduler", "scheduler"),
    "kube-proxy": ("system:kube-proxy", "kube-proxy"),
    "kubelet": (f"system:node:{NAME}", "kubelet-client"),
    "kube-router": ("system:kube-router", "kube-router"),
}


def _openssl(*args: str, cwd: Path, stdin: str | None = None) -> None:
    result = subprocess.run(["openssl", *args], cwd=cwd, input=stdin, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise ClusterError(f"openssl {args[0]} failed while making the cluster's certificates: {detail}")


def _key(stem: str, cwd: Path) -> None:
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", f"{stem}.key", cwd=cwd)


def _ca(stem: str, subject: str, cwd: Path) -> None:
    _key(stem, cwd)
    _openssl(
        "req",
        "-x509",
        "-new",
        "-key",
        f"{stem}.key",
        "-sha256",
        "-days",
        DAYS,
        "-subj",
        subject,
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,digitalSignature,keyCertSign",
        "-out",
        f"{stem}.crt",
        cwd=cwd,
    )


def _signed(stem: str, subject: str, usage: str, sans: str, ca: str, cwd: Path) -> None:
    _key(stem, cwd)
    _openssl("req", "-new", "-key", f"{stem}.key", "-subj", subject, "-out", f"{stem}.csr", cwd=cwd)
    ext = ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature", f"extendedKeyUsage={usage}"] + (
        [f"subjectAltName={sans}"] if sans else []
    )
    (cwd / f"{stem}.ext").write_text("\n".join(ext) + "\n")
    _openssl(
        "x509",
        "-req",
        "-in",
        f"{stem}.csr",
        "-CA",
        f"{ca}.crt",
        "-CAkey",
        f"{ca}.key",
        "-CAcreateserial",
        "-days",
        DAYS,
        "-sha256",
        "-extfile",
        f"{stem}.ext",
        "-out",
        f"{stem}.crt",
        cwd=cwd,
    )
    (cwd / f"{stem}.csr").unlink()
    (cwd / f"{stem}.ext").unlink()


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def kubeconfig_text(server: str, ca: Path, user: str, cert: Path, key: Path) -> str:
    """A kubeconfig with one cluster, user and context, all named for the test cluster (JSON is valid YAML)."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": NAME, "cluster": {"server": server, "certificate-authority-data": _b64(ca)}}],
        "users": [{"name": user, "user": {"client-certificate-data": _b64(cert), "client-key-data": _b64(key)}}],
        "contexts": [{"name": NAME, "context": {"cluster": NAME, "user": user}}],
        "current-context": NAME,
    }
    return json.dumps(config, indent=2) + "\n"


def generate(layout: Layout) -> None:
    """CA, component certificates, service-account key pair, front-proxy CA and client, and kubeconfigs."""
    pki = layout.pki
    pki.mkdir(mode=0o700, parents=True, exist_ok=True)
    _ca("ca", f"/CN={NAME}-ca", pki)
    for stem, (subject, usage, sans) in CERTS.items():
        _signed(stem, subject, usage, sans, "ca", pki)
    _ca("front-proxy-ca", f"/CN={NAME}-front-proxy-ca", pki)
    _signed("front-proxy-client", "/CN=front-proxy-client", "clientAuth", "", "front-proxy-ca", pki)
    _key("sa", pki)
    _openssl("pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=pki)
    kubeconfigs = layout.run_dir / "kubeconfigs"
    kubeconfigs.mkdir(mode=0o700, exist_ok=True)
    for stem, (user, cert) in KUBECONFIGS.items():
        text = kubeconfig_text(API_URL, pki / "ca.crt", user, pki / f"{cert}.crt", pki / f"{cert}.key")
        (kubeconfigs / f"{stem}.kubeconfig").write_text(text)
    layout.kubeconfig.write_text((kubeconfigs / "admin.kubeconfig").read_text())
    layout.kubeconfig.chmod(0o600)


def component_kubeconfig(layout: Layout, component: str) -> str:
    return str(layout.run_dir / "kubeconfigs" / f"{component}.kubeconfig")
