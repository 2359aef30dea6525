"""Which shared cluster, registry and namespace the loop uses: the flags, else shared.toml (kept out of git, one
per checkout; shared.example.toml shows it), else the current kubectl context and dev-$USER.

Registry credentials are never here: they stay in the developer's Docker config (`docker login`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from tasks.paths import ROOT
from tasks.shared.developer import checked_namespace, default_namespace, developer
from tasks.shared.errors import SharedError

SETTINGS = ROOT / "shared.toml"
KEYS = ("context", "registry", "namespace")
HELP = {  # the shared-cluster flags of up, down and doctor
    "namespace": "run on a shared dev cluster, in this namespace of yours (just --namespace: dev-$USER)",
    "registry": "the team's registry to push to, e.g. registry.example.com/team (default: shared.toml's)",
    "context": "the shared cluster's kubectl context (default: shared.toml's, else the current one)",
}


@dataclass(frozen=True)
class Shared:
    namespace: str
    context: str  # "" = kubectl's current context
    registry: str  # host[:port][/path], where images are pushed and pulled from
    developer: str

    @property
    def registry_host(self) -> str:
        return self.registry.split("/", 1)[0]


def read(path: Path = SETTINGS) -> dict[str, str]:
    """shared.toml's settings; {} when there is none. A bad file is one line naming it and the fix."""
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SharedError(f"{path.name} is not valid TOML ({error}): fix it as shared.example.toml shows") from None
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise SharedError(f"{path.name}: unknown setting {unknown[0]!r}: the settings are {', '.join(KEYS)}")
    for key, value in data.items():
        if not isinstance(value, str):
            raise SharedError(f'{path.name}: {key} must be a string, e.g. {key} = "..."')
    return data


def resolve(
    namespace: str | bool, registry: str = "", context: str = "", need_registry: bool = True, path: Path = SETTINGS
) -> Shared:
    """The shared-cluster settings: NAMESPACE True means the default, dev-$USER."""
    settings = read(path)
    name = developer()
    chosen = namespace if isinstance(namespace, str) and namespace else settings.get("namespace", "")
    registry = (registry or settings.get("registry", "")).strip().removesuffix("/")
    if need_registry and not registry:
        raise SharedError(
            "no registry for the shared cluster: pass --registry HOST[:PORT][/PATH] "
            f"or set registry in {path.name} (see shared.example.toml)"
        )
    if "://" in registry:
        raise SharedError(f"registry {registry!r}: give it without a scheme, e.g. --registry registry.example.com/team")
    return Shared(
        namespace=checked_namespace(chosen or default_namespace(name)),
        context=context or settings.get("context", ""),
        registry=registry,
        developer=name,
    )


def shared_wanted(namespace: str | bool, registry: str, path: Path = SETTINGS) -> bool:
    """The doctor checks a shared cluster for a namespace given with a registry (a flag, or shared.toml's);
    a namespace alone names a running local loop's, as before."""
    return bool(namespace) and bool(registry or read(path).get("registry"))
