"""scripts/local-alpha: up, env, status, down, engine and load."""

import argparse
import os
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from local_alpha import ca, engine, images, registry, sshd, state
from local_alpha.edge import control as edge
from local_alpha.system import SetupError, say


@dataclass(frozen=True)
class Component:
    """One thing `up` starts: how to start it, see it run and stop it."""

    name: str
    ensure: Callable[[], None]
    running: Callable[[], bool]
    stop: Callable[[], bool]


def _ensure_engine() -> None:
    engine.ensure_engine()
    engine.ensure_compose()


COMPONENTS = [
    Component("docker engine", _ensure_engine, engine.engine_answers, engine.stop_engine),
    Component("compose v2", engine.ensure_compose, engine.compose_works, lambda: False),
    Component("sshd", sshd.ensure_sshd, sshd.sshd_running, sshd.stop_sshd),
    Component(
        "registry", registry.ensure_registry, registry.registry_running, registry.stop_registry
    ),
    Component(
        "demo images",
        images.ensure_images,
        lambda: all(map(images.tag_in_registry, images.TAGS)),
        lambda: False,
    ),
    Component("test CA", ca.ensure_ca, state.CA_CERT.exists, lambda: False),
    Component("edge", edge.ensure_edge, edge.edge_running, edge.stop_edge),
]


def up(_: argparse.Namespace) -> int:
    """Bring every component up; fast when they all run already."""
    _require_root()
    started = time.monotonic()
    state.STATE_DIR.mkdir(parents=True, exist_ok=True, mode=0o755)
    for component in COMPONENTS:
        component.ensure()
    say(
        f'Local Alpha is up ({time.monotonic() - started:.1f} s); eval "$(scripts/local-alpha env)"'
    )
    return 0


def engine_only(_: argparse.Namespace) -> int:
    """Only make sure a Docker engine and Compose v2 answer."""
    _require_root()
    state.STATE_DIR.mkdir(parents=True, exist_ok=True, mode=0o755)
    _ensure_engine()
    return 0


def env_lines() -> list[str]:
    """`export` lines pointing the plugin and the tests at this host."""
    edge_https = f"https://127.0.0.1:{state.EDGE_HTTPS_PORT}"
    values = {
        "PLUGIN_HOST": state.SSH_HOST,
        "PLUGIN_PORT": str(state.SSH_PORT),
        "PLUGIN_USER": state.DEPLOY_USER,
        "PLUGIN_SSH_KEY_PATH": str(state.CLIENT_KEY),
        "PLUGIN_KNOWN_HOSTS": sshd.known_hosts_line(),
        "PLUGIN_PROBE_ADDRESS": f"127.0.0.1:{state.EDGE_HTTPS_PORT}",
        "PLUGIN_CA_BUNDLE": str(state.CA_CERT),
        "PLUGIN_REGISTRY": state.REGISTRY,
        "PLUGIN_SITES_DIR": str(state.SITES_DIR),
        "ALPHA_REGISTRY": state.REGISTRY,
        "ALPHA_EDGE_HTTPS": edge_https,
        "ALPHA_EDGE_API": f"http://127.0.0.1:{state.EDGE_API_PORT}/api/http/routers",
        "ALPHA_CA_BUNDLE": str(state.CA_CERT),
        "ALPHA_SSH_KEY_PATH": str(state.CLIENT_KEY),
        "ALPHA_KNOWN_HOSTS_FILE": str(state.KNOWN_HOSTS),
        "ALPHA_DRAIN_COMMAND": images.DRAIN_COMMAND,
        "ALPHA_DEMO_IMAGE": state.DEMO_REPOSITORY,
    }
    return [f"export {name}={shlex.quote(value)}" for name, value in values.items()]


def env(_: argparse.Namespace) -> int:
    """Print the environment for `eval`."""
    if not state.KNOWN_HOSTS.exists():
        raise SetupError("no keys yet: run scripts/local-alpha up first")
    print("\n".join(env_lines()))
    return 0


def status(_: argparse.Namespace) -> int:
    """Say what runs; exit 1 when anything is down."""
    down = 0
    for component in COMPONENTS:
        running = component.running()
        down += not running
        print(f"{component.name:14} {'running' if running else 'DOWN'}")
    return 1 if down else 0


def down(_: argparse.Namespace) -> int:
    """Stop what `up` started, the engine only when `up` started it."""
    _require_root()
    for component in reversed(COMPONENTS):
        if component.stop():
            say(f"Stopped {component.name}")
    return 0


def load(argv: list[str]) -> int:
    """Run steady HTTPS load through the edge (see `load --help`)."""
    from local_alpha import load as load_tool  # keeps `up` and `env` free of its imports

    return load_tool.main(argv)


def _require_root() -> None:
    if os.geteuid() != 0:
        raise SetupError("run as root: it installs packages and starts daemons")


def parser() -> argparse.ArgumentParser:
    """The command line."""
    main_parser = argparse.ArgumentParser(prog="local-alpha", description=__doc__)
    commands = main_parser.add_subparsers(dest="command", required=True)
    for name, handler in (("up", up), ("env", env), ("status", status), ("down", down),
                          ("engine", engine_only)):  # fmt: skip
        commands.add_parser(name, help=handler.__doc__).set_defaults(handler=handler)
    commands.add_parser("load", help=load.__doc__, add_help=False)
    return main_parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; expected failures are one line and exit 1."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["load"]:
        return load(argv[1:])  # its own parser, so its options pass through untouched
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except SetupError as error:
        print(f"local-alpha {args.command}: {error}", file=sys.stderr)
        return 1
