"""Run the Tiltfile in a real Starlark interpreter with stand-ins for Tilt's builtins.

Each stand-in has the signature of Tilt's own (docs.tilt.dev/api.html), so a misspelt or
unknown argument fails as it would under `tilt up`, and records its call for the tests.
`kustomize` renders for real with the pinned kubectl, so the resources the Tiltfile names
can be checked against the objects it deploys.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field

import starlark

from tasks.k8s.kustomize import render
from tasks.paths import ROOT


@dataclass
class Call:
    name: str
    args: dict

    def __getitem__(self, key: str):
        return self.args[key]


@dataclass
class TiltRun:
    calls: list[Call] = field(default_factory=list)
    flags: dict = field(default_factory=dict)  # config.define_*: what `tilt up -- --flag` would set

    def named(self, name: str) -> list[Call]:
        return [call for call in self.calls if call.name == name]

    def resource(self, workload: str) -> Call:
        (call,) = [call for call in self.named("k8s_resource") if call["workload"] == workload]
        return call


def _standins(run: TiltRun) -> dict:
    def record(builtin: str, /, **args) -> dict:
        call = Call(builtin, args)
        run.calls.append(call)
        return {"tilt": builtin, **args}

    def allow_k8s_contexts(contexts):
        return record("allow_k8s_contexts", contexts=contexts)

    def kustomize(pathToDir, kustomize_bin=None, flags=[]):
        overlay = pathToDir.rstrip("/").rsplit("/", 1)[-1]
        return record("kustomize", path=pathToDir, objects=render(overlay, ROOT / "k8s"))

    def decode_yaml_stream(yaml):  # only ever given kustomize()'s result here: its objects
        return copy.deepcopy(yaml["objects"])

    def encode_yaml_stream(objs):
        return record("encode_yaml_stream", objects=objs)

    def k8s_yaml(yaml, allow_duplicates=False):
        return record("k8s_yaml", yaml=yaml)

    def docker_build(
        ref,
        context,
        build_args=None,
        dockerfile="Dockerfile",
        dockerfile_contents=None,
        live_update=[],
        match_in_env_vars=False,
        ignore=[],
        only=[],
        entrypoint=[],
        target="",
        ssh="",
        network="",
        secret="",
        extra_tag="",
        container_args=None,
        cache_from=[],
        pull=False,
        platform="",
        env_vars={},
    ):
        return record(
            "docker_build",
            ref=ref,
            context=context,
            dockerfile=dockerfile,
            live_update=live_update,
            only=only,
            ignore=ignore,
            target=target,
            build_args=build_args,
            secret=secret,
        )

    def fall_back_on(files):
        return record("fall_back_on", files=[files] if isinstance(files, str) else files)

    def sync(local_path, remote_path):
        return record("sync", local_path=local_path, remote_path=remote_path)

    def run_(cmd, trigger=[], echo_off=False):
        return record("run", cmd=cmd, trigger=[trigger] if isinstance(trigger, str) else trigger)

    def k8s_resource(
        workload="",
        new_name="",
        port_forwards=[],
        extra_pod_selectors=[],
        trigger_mode=None,
        resource_deps=[],
        objects=[],
        auto_init=True,
        pod_readiness="",
        links=[],
        labels=[],
        discovery_strategy="",
    ):
        return record(
            "k8s_resource",
            workload=workload,
            port_forwards=port_forwards,
            resource_deps=resource_deps,
            links=links,
            labels=labels,
            trigger_mode=trigger_mode,
        )

    def port_forward(local_port, container_port=None, name=None, link_path=None, host=None):
        return record("port_forward", local_port=local_port, container_port=container_port or local_port, name=name)

    def link(url, name=None):
        return record("link", url=url, name=name)

    def local_resource(
        name,
        cmd="",
        deps=None,
        trigger_mode=None,
        resource_deps=[],
        ignore=[],
        auto_init=True,
        serve_cmd="",
        cmd_bat="",
        serve_cmd_bat="",
        allow_parallel=False,
        links=[],
        tags=[],
        env={},
        serve_env={},
        readiness_probe=None,
        dir="",
        serve_dir="",
        labels=[],
    ):
        return record(
            "local_resource",
            name=name,
            cmd=cmd,
            deps=deps or [],
            ignore=ignore,
            labels=labels,
            allow_parallel=allow_parallel,
        )

    def version_settings(check_updates=True, constraint=""):
        return record("version_settings", check_updates=check_updates)

    def secret_settings(disable_scrub=False):
        return record("secret_settings", disable_scrub=disable_scrub)

    def analytics_settings(enable):
        return record("analytics_settings", enable=enable)

    def define_bool(name, args=False, usage=""):
        run.flags.setdefault(name, False)
        return record("config.define_bool", name=name)

    def define_string(name, args=False, usage=""):
        return record("config.define_string", name=name)  # unset unless given, as in Tilt: cfg.get() has no key

    def parse():
        return dict(run.flags)

    def default_registry(host, host_from_cluster=None, single_name=""):
        return record("default_registry", host=host)

    return {
        "allow_k8s_contexts": allow_k8s_contexts,
        "kustomize": kustomize,
        "k8s_yaml": k8s_yaml,
        "decode_yaml_stream": decode_yaml_stream,
        "encode_yaml_stream": encode_yaml_stream,
        "docker_build": docker_build,
        "fall_back_on": fall_back_on,
        "sync": sync,
        "run": run_,
        "k8s_resource": k8s_resource,
        "port_forward": port_forward,
        "link": link,
        "local_resource": local_resource,
        "version_settings": version_settings,
        "analytics_settings": analytics_settings,
        "secret_settings": secret_settings,
        "_config_define_bool": define_bool,
        "_config_define_string": define_string,
        "default_registry": default_registry,
        "_config_parse": parse,
        # Tilt's os.path.exists reads this machine's files, as the stand-in does.
        "_os_path_exists": os.path.exists,
    }


def run_tiltfile(path=ROOT / "Tiltfile", **flags: bool | str) -> TiltRun:
    """Run the Tiltfile as `tilt up -- --FLAG` would for each FLAG given True (or `--FLAG VALUE` for a string);
    a flag with '-' in its name is given as a dict: run_tiltfile(**{"web-port": "8001"})."""
    run = TiltRun()
    run.flags.update(flags)
    module = starlark.Module()
    for name, function in _standins(run).items():
        module.add_callable(name, function)
    # Tilt's `config` module, as a struct of the stand-ins above.
    globals_ = starlark.Globals.extended_by([starlark.LibraryExtension.StructType])
    prelude = (
        "config = struct(define_bool=_config_define_bool, define_string=_config_define_string, parse=_config_parse)\n"
        "os = struct(path=struct(exists=_os_path_exists))\n"
        "TRIGGER_MODE_AUTO = 'auto'\nTRIGGER_MODE_MANUAL = 'manual'"
    )
    starlark.eval(module, starlark.parse("prelude", prelude, starlark.Dialect.extended()), globals_)
    ast = starlark.parse(str(path), path.read_text(), starlark.Dialect.extended())
    starlark.eval(module, ast, globals_)
    return run
