"""What each daemon of the test cluster runs with: its config files (written under the run dir) and its
command line. The values follow the kube kit's up.sh (see its README for the reasons)."""

from __future__ import annotations

import json
from pathlib import Path

from tasks.cluster.layout import NAME, Layout
from testcluster import pki
from testcluster.layout import (
    API_PORT,
    BRIDGE,
    DNS_IP,
    ETCD_PEER_PORT,
    ETCD_PORT,
    NODE_IP,
    POD_SUBNET,
    SVC_CIDR,
    TEAM_REGISTRY,
)
from testcluster.system_images import PAUSE

PAUSE_REF = "{registry}/" + ":".join(PAUSE)


def _registry_config(layout: Layout) -> str:
    """docker-registry's config: data in the run dir (so `down` empties it), deletes allowed."""
    return (
        "version: 0.1\n"
        "log: {level: info, fields: {service: registry}}\n"
        f"storage:\n  filesystem: {{rootdirectory: {layout.run_dir / 'registry'}}}\n  delete: {{enabled: true}}\n"
        f"http:\n  addr: {layout.registry}\n  headers: {{X-Content-Type-Options: [nosniff]}}\n"
    )


def _hosts_toml(server: str, host: str, capabilities: str) -> str:
    return f'server = "{server}"\n[host."{host}"]\n  capabilities = [{capabilities}]\n  skip_verify = true\n'


def _containerd_toml(layout: Layout) -> str:
    run, pause = layout.run_dir, PAUSE_REF.format(registry=layout.registry)
    # runc through the kube kit's wrapper: root here may lack CAP_SYS_RESOURCE, and runc then fails every
    # sandbox because kubelet asks for a negative oom_score_adj; the wrapper clamps it to 0.
    runc = layout.kit_dir / "bin" / "runc-no-negative-oom"
    return f"""version = 2
root = "{run}/containerd/root"
state = "{run}/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "{layout.containerd_socket}"
[ttrpc]
  address = "{layout.containerd_socket}.ttrpc"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "{run}/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{pause}"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "{runc}"
        Root = "{run}/containerd/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "{run}/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "{run}/containerd/certs.d"
"""


def _cni_conflist(layout: Layout) -> str:
    bridge = {
        "type": "bridge",
        "bridge": BRIDGE,
        "isGateway": True,
        "ipMasq": False,
        "hairpinMode": True,
        "ipam": {
            "type": "host-local",
            "dataDir": str(layout.run_dir / "cni" / "ipam"),
            "ranges": [[{"subnet": POD_SUBNET, "gateway": NODE_IP}]],
            "routes": [{"dst": "0.0.0.0/0"}],
        },
    }
    plugins = [bridge, {"type": "portmap", "capabilities": {"portMappings": True}}, {"type": "firewall"}]
    return json.dumps({"cniVersion": "0.4.0", "name": NAME, "plugins": plugins}, indent=2) + "\n"


def _kubelet_config(layout: Layout) -> dict:
    pki_dir = layout.pki
    return {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "address": NODE_IP,
        "port": 10250,
        "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": 10248,
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"enabled": True},
            "x509": {"clientCAFile": str(pki_dir / "ca.crt")},
        },
        "authorization": {"mode": "Webhook"},
        "tlsCertFile": str(pki_dir / "kubelet-server.crt"),
        "tlsPrivateKeyFile": str(pki_dir / "kubelet-server.key"),
        "cgroupDriver": "cgroupfs",
        "clusterDNS": [DNS_IP],
        "clusterDomain": "cluster.local",
        # The "upstream" of dnsPolicy=Default pods: nothing leaves the host.
        "resolvConf": str(layout.conf / "resolv.conf"),
        # Ready 2 s after start, not at the default 10 s status round; a patch only on change (or each minute).
        "nodeStatusUpdateFrequency": "2s",
        "nodeStatusReportFrequency": "1m",
        "failSwapOn": False,
        "oomScoreAdj": 0,  # root may lack CAP_SYS_RESOURCE and then cannot lower oom_score_adj
        "maxPods": 110,
        "serializeImagePulls": False,
        "evictionHard": {
            "memory.available": "100Mi",
            "nodefs.available": "1%",
            "imagefs.available": "1%",
            "nodefs.inodesFree": "1%",
        },
        "imageGCHighThresholdPercent": 99,
        "imageGCLowThresholdPercent": 98,
    }


def _kube_proxy_config(layout: Layout) -> dict:
    return {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "clientConnection": {"kubeconfig": pki.component_kubeconfig(layout, "kube-proxy")},
        "mode": "iptables",
        "clusterCIDR": "10.244.0.0/16",
        "hostnameOverride": NAME,
        "bindAddress": "127.0.0.1",
        "healthzBindAddress": "127.0.0.1:10256",
        "metricsBindAddress": "127.0.0.1:10249",
        "nodePortAddresses": [f"{NODE_IP}/32"],
        "oomScoreAdj": 0,
        "conntrack": {"maxPerCore": 0, "min": 0, "tcpEstablishedTimeout": "0s", "tcpCloseWaitTimeout": "0s"},
    }


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def write_registry_hosts(layout: Layout) -> None:
    """containerd's certs.d: each registry it pulls from over plain HTTP. containerd reads it at each pull,
    so a running cluster follows a change without a restart."""
    reg, certs = layout.registry, layout.run_dir / "containerd" / "certs.d"
    for host in (reg, reg.replace("127.0.0.1", "localhost")):
        _write(certs / host / "hosts.toml", _hosts_toml(f"http://{reg}", f"http://{reg}", '"pull", "resolve", "push"'))
    # docker.io is mirrored by the local registry: "postgres:16.4-bookworm" is pulled as
    # REGISTRY/library/postgres:16.4-bookworm (nothing here reaches Docker Hub).
    _write(
        certs / "docker.io" / "hosts.toml",
        _hosts_toml("https://registry-1.docker.io", f"http://{reg}", '"pull", "resolve"'),
    )
    # The registry that requires a login: pods pull from it with an imagePullSecret (kubelet passes the
    # credentials to containerd); the host pushes to it with `docker login`.
    team = f"http://{TEAM_REGISTRY}"
    _write(certs / TEAM_REGISTRY / "hosts.toml", _hosts_toml(team, team, '"pull", "resolve"'))


def write(layout: Layout) -> None:
    """Every config file the daemons read (JSON where YAML is expected: JSON is YAML)."""
    run, conf = layout.run_dir, layout.conf
    for sub in ("etcd", "registry", "kubelet", "cni/ipam", "volumes", "containerd"):
        (run / sub).mkdir(parents=True, exist_ok=True)
    _write(conf / "registry.yml", _registry_config(layout))
    write_registry_hosts(layout)
    _write(conf / "containerd.toml", _containerd_toml(layout))
    _write(run / "cni" / "net.d" / f"10-{NAME}.conflist", _cni_conflist(layout))
    sock = f"unix://{layout.containerd_socket}"
    _write(layout.crictl_config, f"runtime-endpoint: {sock}\nimage-endpoint: {sock}\ntimeout: 30\n")
    _write(conf / "resolv.conf", "nameserver 127.0.0.1\n")
    _write(conf / "kubelet.json", json.dumps(_kubelet_config(layout), indent=2) + "\n")
    _write(conf / "kube-proxy.json", json.dumps(_kube_proxy_config(layout), indent=2) + "\n")


def commands(layout: Layout) -> dict[str, list[str]]:
    """Each daemon's command line, by the name its pid record and log file get."""
    run, bin_, pki_dir, reg = layout.run_dir, layout.binary, layout.pki, layout.registry
    etcd_url, peer_url = f"http://127.0.0.1:{ETCD_PORT}", f"http://127.0.0.1:{ETCD_PEER_PORT}"

    def kubeconfig(component: str) -> str:
        return pki.component_kubeconfig(layout, component)

    return {
        "etcd": [
            "/usr/bin/etcd",
            "--name",
            NAME,
            "--data-dir",
            str(run / "etcd" / "data"),
            "--listen-client-urls",
            etcd_url,
            "--advertise-client-urls",
            etcd_url,
            "--listen-peer-urls",
            peer_url,
            "--initial-advertise-peer-urls",
            peer_url,
            "--initial-cluster",
            f"{NAME}={peer_url}",
            "--initial-cluster-state",
            "new",
            "--quota-backend-bytes",
            "4294967296",
            "--snapshot-count",
            "10000",
        ],
        "registry": ["/usr/bin/docker-registry", "serve", str(layout.conf / "registry.yml")],
        "containerd": ["/usr/bin/containerd", "--config", str(layout.conf / "containerd.toml")],
        "kube-apiserver": [
            bin_("kube-apiserver"),
            f"--etcd-servers={etcd_url}",
            f"--bind-address={NODE_IP}",
            f"--advertise-address={NODE_IP}",
            f"--secure-port={API_PORT}",
            f"--tls-cert-file={pki_dir}/apiserver.crt",
            f"--tls-private-key-file={pki_dir}/apiserver.key",
            f"--client-ca-file={pki_dir}/ca.crt",
            f"--kubelet-client-certificate={pki_dir}/apiserver-kubelet-client.crt",
            f"--kubelet-client-key={pki_dir}/apiserver-kubelet-client.key",
            f"--kubelet-certificate-authority={pki_dir}/ca.crt",
            "--kubelet-preferred-address-types=InternalIP",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={pki_dir}/sa.pub",
            f"--service-account-signing-key-file={pki_dir}/sa.key",
            f"--service-cluster-ip-range={SVC_CIDR}",
            "--authorization-mode=Node,RBAC",
            "--enable-admission-plugins=NodeRestriction,PodSecurity",
            f"--requestheader-client-ca-file={pki_dir}/front-proxy-ca.crt",
            "--requestheader-allowed-names=front-proxy-client",
            "--requestheader-username-headers=X-Remote-User",
            "--requestheader-group-headers=X-Remote-Group",
            "--requestheader-extra-headers-prefix=X-Remote-Extra-",
            f"--proxy-client-cert-file={pki_dir}/front-proxy-client.crt",
            f"--proxy-client-key-file={pki_dir}/front-proxy-client.key",
            "--allow-privileged=true",
            "--profiling=false",
            "--v=1",
        ],
        # No in-tree hostPath provisioner: the test cluster's own (volume_provisioner.py) makes writable volumes.
        "kube-controller-manager": [
            bin_("kube-controller-manager"),
            f"--kubeconfig={kubeconfig('controller-manager')}",
            f"--authentication-kubeconfig={kubeconfig('controller-manager')}",
            f"--authorization-kubeconfig={kubeconfig('controller-manager')}",
            "--bind-address=127.0.0.1",
            "--leader-elect=false",
            f"--service-account-private-key-file={pki_dir}/sa.key",
            f"--root-ca-file={pki_dir}/ca.crt",
            f"--cluster-signing-cert-file={pki_dir}/ca.crt",
            f"--cluster-signing-key-file={pki_dir}/ca.key",
            "--use-service-account-credentials=true",
            f"--service-cluster-ip-range={SVC_CIDR}",
            "--allocate-node-cidrs=false",
            # The not-ready taint of a new node goes within 2 s (default 5 s): CoreDNS is scheduled sooner.
            "--node-monitor-period=2s",
            "--v=1",
        ],
        "kube-scheduler": [
            bin_("kube-scheduler"),
            f"--kubeconfig={kubeconfig('scheduler')}",
            f"--authentication-kubeconfig={kubeconfig('scheduler')}",
            f"--authorization-kubeconfig={kubeconfig('scheduler')}",
            "--bind-address=127.0.0.1",
            "--leader-elect=false",
            "--v=1",
        ],
        "kubelet": [
            bin_("kubelet"),
            f"--config={layout.conf / 'kubelet.json'}",
            f"--kubeconfig={kubeconfig('kubelet')}",
            f"--root-dir={run / 'kubelet'}",
            f"--cert-dir={run / 'kubelet' / 'pki'}",
            f"--container-runtime-endpoint=unix://{layout.containerd_socket}",
            f"--pod-infra-container-image={PAUSE_REF.format(registry=reg)}",
            f"--hostname-override={NAME}",
            f"--node-ip={NODE_IP}",
            "--v=1",
        ],
        "kube-proxy": [bin_("kube-proxy"), f"--config={layout.conf / 'kube-proxy.json'}", "--v=1"],
        # NetworkPolicy only: no routing, no service proxy (kube-proxy does that).
        "kube-router": [
            bin_("kube-router"),
            "--run-firewall=true",
            "--run-router=false",
            "--run-service-proxy=false",
            "--enable-cni=false",
            "--health-port=0",
            f"--kubeconfig={kubeconfig('kube-router')}",
            f"--hostname-override={NAME}",
            f"--service-cluster-ip-range={SVC_CIDR}",
            "--iptables-sync-period=1m",
            "--v=1",
        ],
    }
