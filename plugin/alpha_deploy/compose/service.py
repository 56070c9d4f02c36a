"""One compose service, read leniently: odd shapes give empty values, never exceptions.

Compose accepts several spellings for most fields (labels and environment as a
list or a map, short and long port and volume syntax); each property here
gives one normalised view, and ``path_of`` says where a value was written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from alpha_deploy.compose.durations import parse_duration
from alpha_deploy.compose.yamltree import Mark, join

# Docker's defaults when a healthcheck leaves a field out.
DEFAULT_INTERVAL_S = 30.0
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_RETRIES = 3
DEFAULT_STOP_GRACE_S = 10.0
_TRUE = frozenset({"true", "1", "t"})
_PROTOCOLS = frozenset({"http", "tcp", "udp"})
_ROUTER = re.compile(r"traefik\.http\.routers\.([^.]+)\.")
_TRAEFIK_SERVICE = re.compile(r"traefik\.http\.services\.([^.]+)\.")


@dataclass(frozen=True)
class Healthcheck:
    """A compose healthcheck with Docker's defaults filled in; ``test`` as a list."""

    test: list[str]
    interval_s: float
    timeout_s: float
    retries: int
    start_period_s: float
    disabled: bool

    @property
    def command(self) -> str:
        """The command line the healthcheck runs, without CMD / CMD-SHELL."""
        return " ".join(self.test[1:]) if self.test[:1] in (["CMD"], ["CMD-SHELL"]) else ""


@dataclass(frozen=True)
class PortMapping:
    """One ``ports`` entry; ``published`` is None when Docker picks the host port."""

    target: str
    published: str | None
    host_ip: str | None
    path: str


@dataclass(frozen=True)
class Mount:
    """One ``volumes`` entry; ``kind`` is bind, volume or tmpfs."""

    kind: str
    source: str | None
    target: str | None
    path: str


@dataclass(frozen=True)
class Setting:
    """A key=value pair (label or variable) and the key path it was written at."""

    key: str
    value: str | None
    path: str


class Service:
    """A service of a site; ``raw`` is its interpolated mapping from the compose file."""

    def __init__(
        self,
        name: str,
        raw: dict[str, Any],
        mark_of: Callable[[str], Mark],
        env_file_values: list[Setting] | None = None,
    ) -> None:
        self.name = name
        self.raw = raw
        self.path = join("services", name)
        self._mark_of = mark_of
        self.env_file_values = env_file_values or []

    def __repr__(self) -> str:
        return f"Service({self.name!r})"

    def path_of(self, key: str) -> str:
        """The key path of ``key`` inside this service (``image`` -> ``services.web.image``)."""
        return join(self.path, key)

    def mark(self, key: str = "") -> Mark:
        """Line and column of ``key`` inside this service (of the service itself if empty)."""
        return self._mark_of(self.path_of(key) if key else self.path)

    @property
    def image(self) -> str | None:
        value = self.raw.get("image")
        return value if isinstance(value, str) else None

    @cached_property
    def label_settings(self) -> dict[str, Setting]:
        """Labels and deploy.labels merged (``labels`` wins), each with where it was written."""
        deploy = self.raw.get("deploy")
        merged: dict[str, Setting] = {}
        if isinstance(deploy, dict):
            merged.update(_settings(deploy.get("labels"), join(self.path_of("deploy"), "labels")))
        merged.update(_settings(self.raw.get("labels"), self.path_of("labels")))
        return {traefik_key(key): setting for key, setting in merged.items()}

    @property
    def labels(self) -> dict[str, str]:
        return {key: s.value or "" for key, s in self.label_settings.items()}

    @cached_property
    def environment_settings(self) -> dict[str, Setting]:
        return _settings(self.raw.get("environment"), self.path_of("environment"))

    @property
    def environment(self) -> dict[str, str | None]:
        return {key: s.value for key, s in self.environment_settings.items()}

    @property
    def replicas(self) -> int:
        deploy = self.raw.get("deploy")
        value = deploy.get("replicas") if isinstance(deploy, dict) else None
        if value is None:
            value = self.raw.get("scale")
        return _as_int(value, default=1)

    @cached_property
    def healthcheck(self) -> Healthcheck | None:
        raw = self.raw.get("healthcheck")
        return _healthcheck(raw) if isinstance(raw, dict) else None

    @property
    def stop_grace_period_s(self) -> float:
        value = parse_duration(self.raw.get("stop_grace_period"))
        return DEFAULT_STOP_GRACE_S if value is None else value

    @cached_property
    def ports(self) -> list[PortMapping]:
        return [_port(item, f"{self.path_of('ports')}[{i}]") for i, item in _items(self, "ports")]

    @cached_property
    def volumes(self) -> list[Mount]:
        mounts = (
            _mount(item, f"{self.path_of('volumes')}[{i}]") for i, item in _items(self, "volumes")
        )
        return [mount for mount in mounts if mount is not None]

    @property
    def networks(self) -> list[str]:
        value = self.raw.get("networks")
        if isinstance(value, dict):
            return [str(name) for name in value]
        if isinstance(value, list):
            return [str(name) for name in value if isinstance(name, str | int)]
        return []

    @property
    def container_name(self) -> str | None:
        value = self.raw.get("container_name")
        return None if value is None else str(value)

    @property
    def network_mode(self) -> str | None:
        value = self.raw.get("network_mode")
        return None if value is None else str(value)

    @property
    def privileged(self) -> bool:
        return _as_bool(self.raw.get("privileged"))

    @property
    def is_public(self) -> bool:
        """True when Traefik routes to it: ``traefik.enable=true``."""
        return self.labels.get("traefik.enable", "").strip().lower() in _TRUE

    @property
    def routers(self) -> list[str]:
        return _names(_ROUTER, self.labels)

    @property
    def traefik_services(self) -> list[str]:
        return _names(_TRAEFIK_SERVICE, self.labels)


def _names(pattern: re.Pattern[str], labels: dict[str, str]) -> list[str]:
    return sorted({m.group(1) for key in labels if (m := pattern.match(key))})


def _items(service: Service, key: str) -> Iterator[tuple[int, Any]]:
    value = service.raw.get(key)
    return enumerate(value) if isinstance(value, list) else iter(())


def text_of(value: Any) -> str | None:
    """A YAML scalar as the string Compose would pass on (``true`` -> ``"true"``)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def traefik_key(key: str) -> str:
    """A label key as Traefik reads it: case-insensitive, except router/service names.

    ``traefik.http.Routers.Super.Rule`` and ``traefik.http.routers.Super.rule``
    are the same label to Traefik.
    """
    parts = key.split(".")
    if parts[0].lower() != "traefik":
        return key
    named = len(parts) > 3 and parts[1].lower() in _PROTOCOLS
    return ".".join(p if named and i == 3 else p.lower() for i, p in enumerate(parts))


def _settings(value: Any, path: str) -> dict[str, Setting]:
    """``KEY: value`` maps and ``- KEY=value`` lists, as Compose reads both."""
    settings: dict[str, Setting] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            settings[key] = Setting(key, text_of(item), join(path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str) and item:
                key, sep, rest = item.partition("=")
                settings[key] = Setting(key, rest if sep else None, f"{path}[{index}]")
    return settings


def _as_int(value: Any, default: int) -> int:
    if isinstance(value, bool):
        return default
    try:
        return int(str(value).strip()) if value is not None else default
    except ValueError:
        return default


def _as_bool(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in _TRUE)


def _healthcheck(raw: dict[str, Any]) -> Healthcheck:
    test = raw.get("test")
    tests = [str(t) for t in test] if isinstance(test, list) else []
    if isinstance(test, str):
        tests = ["CMD-SHELL", test]
    disabled = _as_bool(raw.get("disable")) or tests[:1] == ["NONE"]
    return Healthcheck(
        test=tests,
        interval_s=_seconds(raw.get("interval"), DEFAULT_INTERVAL_S),
        timeout_s=_seconds(raw.get("timeout"), DEFAULT_TIMEOUT_S),
        retries=_as_int(raw.get("retries"), DEFAULT_RETRIES),
        start_period_s=_seconds(raw.get("start_period"), 0.0),
        disabled=disabled,
    )


def _seconds(value: Any, default: float) -> float:
    seconds = parse_duration(value)
    return default if seconds is None else seconds


def _port(item: Any, path: str) -> PortMapping:
    if isinstance(item, dict):
        published = text_of(item.get("published"))
        host_ip = text_of(item.get("host_ip"))
        return PortMapping(text_of(item.get("target")) or "", published or None, host_ip, path)
    return _short_port(str(item), path)


def _short_port(text: str, path: str) -> PortMapping:
    """``[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]``, IPv6 addresses in brackets."""
    spec = text.split("/", 1)[0]
    host_ip = None
    if spec.startswith("["):
        host_ip, _, spec = spec[1:].partition("]")
        spec = spec.removeprefix(":")
    parts = spec.split(":")
    target = parts[-1]
    published = parts[-2] if len(parts) >= 2 else None
    if len(parts) >= 3:
        host_ip = ":".join(parts[:-2])
    return PortMapping(target, published or None, host_ip, path)


def _mount(item: Any, path: str) -> Mount | None:
    if isinstance(item, dict):
        kind = text_of(item.get("type")) or "volume"
        return Mount(kind, text_of(item.get("source")), text_of(item.get("target")), path)
    if not isinstance(item, str):
        return None
    parts = item.split(":")
    if len(parts) == 1:
        return Mount("volume", None, parts[0], path)
    source = parts[0]
    kind = "bind" if source.startswith(("/", ".", "~")) else "volume"
    return Mount(kind, source, parts[1], path)
