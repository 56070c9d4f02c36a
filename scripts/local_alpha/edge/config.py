"""From `docker inspect` output to a routing table, the way Traefik's docker provider does it.

Only what the docker provider and the router manager do for HTTP routers:
- containers need `traefik.enable=true`; those with a healthcheck count only
  while their health is exactly `healthy`;
- a container without service labels gets one service named after it (compose
  service + project), with the port from the label, else the lowest exposed one;
- a container without router labels gets one router named after its only
  service, with the default rule Host(`<normalized name>`);
- a router without `service` uses the container's only service (error if several);
- routers, services and middlewares of the same name from several containers
  merge when their configuration is identical (services then pool their
  servers) and are dropped for all of them when it differs (traefik#7738);
- a rule that fails to parse, an unknown middleware or a missing service puts
  the router in error: it serves nothing.
"""

import logging
import random
import re
from dataclasses import dataclass, field
from typing import Any

from local_alpha.edge.rules import RuleError, parse_host_rule

log = logging.getLogger("edge.config")

PREFIX = "traefik."
DEFAULT_RETRY_INTERVAL_S = 0.1


@dataclass(frozen=True)
class RouterConf:
    """A router as labels define it, before merging."""

    rule: str
    service: str
    entrypoints: tuple[str, ...] = ()
    middlewares: tuple[str, ...] = ()
    tls: bool = False
    cert_resolver: str = ""
    priority: int = 0


@dataclass(frozen=True)
class Retry:
    """The retry middleware: total attempts and the first backoff interval."""

    attempts: int
    initial_interval_s: float = DEFAULT_RETRY_INTERVAL_S


@dataclass
class Service:
    """A load balancer over servers, round robin."""

    name: str
    servers: list[tuple[str, int]] = field(default_factory=list)
    turn: int = 0

    def next_server(self) -> tuple[str, int]:
        """The next server in round-robin order."""
        server = self.servers[self.turn % len(self.servers)]
        self.turn += 1
        return server


@dataclass(frozen=True)
class Router:
    """A router that serves: its domains, service and retry policy."""

    name: str
    domains: tuple[str, ...]
    entrypoints: tuple[str, ...]
    tls: bool
    cert_resolver: str
    service: Service
    retry: Retry | None
    priority: int


@dataclass
class Table:
    """The routing table in force."""

    routers: list[Router] = field(default_factory=list)

    def match(self, host: str, entrypoint: str, tls: bool) -> Router | None:
        """The router for a request's host on an entrypoint; TLS routers only take TLS."""
        for router in self.routers:
            on_entrypoint = not router.entrypoints or entrypoint in router.entrypoints
            if on_entrypoint and router.tls == tls and host in router.domains:
                return router
        return None

    def certified_domains(self, resolver: str) -> set[str]:
        """Domains of routers asking the given certificate resolver for a certificate."""
        return {d for r in self.routers if r.cert_resolver == resolver for d in r.domains}


@dataclass
class _ContainerConf:
    """What one container contributes, named as in Traefik's dynamic configuration."""

    name: str
    container: str
    routers: dict[str, RouterConf]
    services: dict[str, tuple[str, int] | None]
    middlewares: dict[str, Retry | str]


def build_table(containers: list[dict[str, Any]]) -> Table:
    """The routing table for the inspected containers."""
    confs = [c for c in map(_container_conf, filter(_kept, containers)) if c is not None]
    routers = _merge(confs, "routers", "Router")
    middlewares = _merge(confs, "middlewares", "Middleware")
    services = _merge_services(confs)
    owners = _owners(confs)
    built = (_router(n, c, services, middlewares, owners[n]) for n, c in routers.items())
    table = Table([router for router in built if router])
    random.shuffle(table.routers)  # equal priorities: which wins is not defined (traefik#2856)
    table.routers.sort(key=lambda r: -r.priority)
    return table


def _kept(container: dict[str, Any]) -> bool:
    labels = container["Config"].get("Labels") or {}
    if labels.get("traefik.enable", "").lower() != "true":
        return False
    health = (container["State"].get("Health") or {}).get("Status", "")
    return container["State"].get("Running", False) and health in ("", "healthy")


def container_name(container: dict[str, Any]) -> str:
    """Traefik's name for a container: compose service and project, normalized."""
    labels = container["Config"].get("Labels") or {}
    service = labels.get("com.docker.compose.service")
    project = labels.get("com.docker.compose.project")
    name = f"{service}_{project}" if service and project else container["Name"].lstrip("/")
    return normalize(name)


def normalize(name: str) -> str:
    """Traefik's provider.Normalize: runs of non-alphanumerics become one dash."""
    return "-".join(part for part in re.split(r"[^0-9A-Za-z]+", name) if part)


def _container_conf(container: dict[str, Any]) -> _ContainerConf | None:
    name = container_name(container)
    labels = _traefik_labels(container)
    address = _address(container, labels.get("docker.network", ""), name)
    if address is None:
        return None
    services = _services(container, labels, name, address)
    if services is None:
        return None
    routers = _routers(labels, services, name)
    container_id = container["Name"].lstrip("/")
    return _ContainerConf(name, container_id, routers, services, _middlewares(labels, name))


def _traefik_labels(container: dict[str, Any]) -> dict[str, str]:
    labels = container["Config"].get("Labels") or {}
    return {k[len(PREFIX) :]: v for k, v in labels.items() if k.startswith(PREFIX)}


def _grouped(labels: dict[str, str], kind: str) -> dict[str, dict[str, str]]:
    """Labels `http.<kind>.<NAME>.<key>` grouped by NAME, keys lower case."""
    groups: dict[str, dict[str, str]] = {}
    for key, value in labels.items():
        parts = key.split(".", 3)
        if len(parts) == 4 and parts[0].lower() == "http" and parts[1].lower() == kind:
            groups.setdefault(parts[2], {})[parts[3].lower()] = value
    return groups


def _address(container: dict[str, Any], wanted: str, name: str) -> str | None:
    settings = container.get("NetworkSettings") or {}
    networks = settings.get("Networks") or {}
    if container["HostConfig"].get("NetworkMode") == "host":
        return "127.0.0.1"
    if wanted and wanted in networks:
        return networks[wanted].get("IPAddress") or None
    if wanted:
        log.warning(
            "container %s: network %r not found (missing the project prefix?)", name, wanted
        )
    if not networks:
        log.error("container %s: unable to find the IP address: no network", name)
        return None
    chosen = random.choice(sorted(networks))
    if len(networks) > 1:
        log.warning(
            "container %s: on %d networks and no traefik.docker.network; picked %s at random",
            name, len(networks), chosen,
        )  # fmt: skip
    return networks[chosen].get("IPAddress") or None


def _services(container, labels, name, address) -> dict[str, tuple[str, int] | None] | None:
    groups = _grouped(labels, "services") or {name: {}}
    services: dict[str, tuple[str, int] | None] = {}
    for service, keys in groups.items():
        port = keys.get("loadbalancer.server.port") or _lowest_exposed_port(container)
        if not port or not port.isdigit():
            log.error("container %s: service %s: port is missing", name, service)
            return None
        services[service] = (address, int(port))
    return services


def _lowest_exposed_port(container: dict[str, Any]) -> str:
    exposed = (container["Config"].get("ExposedPorts") or {}).keys()
    # Compose writes "7000", the image "8080/tcp": no protocol means tcp.
    ports = sorted(int(p.split("/")[0]) for p in exposed if p.partition("/")[2] in ("", "tcp"))
    return str(ports[0]) if ports else ""


def _routers(labels, services, name) -> dict[str, RouterConf]:
    groups = _grouped(labels, "routers")
    if not groups:
        if len(services) > 1:
            log.error("container %s: could not create a router: too many services", name)
            return {}
        groups = {next(iter(services)): {}}
    routers = {}
    for router, keys in groups.items():
        service = keys.get("service", "").removesuffix("@docker") or (
            next(iter(services)) if len(services) == 1 else ""
        )
        if not service:
            log.error("container %s: router %s: too many services to pick one", name, router)
            continue
        routers[router] = _router_conf(keys, service, name)
    return routers


def _router_conf(keys: dict[str, str], service: str, name: str) -> RouterConf:
    return RouterConf(
        rule=keys.get("rule") or f"Host(`{name}`)",
        service=service,
        entrypoints=_names(keys.get("entrypoints", "")),
        middlewares=_names(keys.get("middlewares", "")),
        tls=keys.get("tls", "").lower() == "true" or any(k.startswith("tls.") for k in keys),
        cert_resolver=keys.get("tls.certresolver", ""),
        priority=int(keys["priority"]) if keys.get("priority", "").isdigit() else 0,
    )


def _names(value: str) -> tuple[str, ...]:
    return tuple(n.strip().removesuffix("@docker") for n in value.split(",") if n.strip())


def _middlewares(labels: dict[str, str], name: str) -> dict[str, Retry | str]:
    middlewares: dict[str, Retry | str] = {}
    for middleware, keys in _grouped(labels, "middlewares").items():
        attempts = keys.get("retry.attempts", "")
        if attempts.isdigit():
            interval = _duration_s(keys.get("retry.initialinterval", ""))
            middlewares[middleware] = Retry(int(attempts), interval)
        else:
            kind = next(iter(keys), "?").split(".")[0]
            log.warning(
                "container %s: middleware %s (%s) ignored by this edge", name, middleware, kind
            )
            middlewares[middleware] = kind
    return middlewares


def _duration_s(value: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s)?", value.strip())
    if not match:
        return DEFAULT_RETRY_INTERVAL_S
    return float(match[1]) / (1000 if match[2] == "ms" else 1)


def _merge(confs: list[_ContainerConf], kind: str, label: str) -> dict[str, Any]:
    """Same-name elements merge when identical and are dropped for all when they differ."""
    merged: dict[str, Any] = {}
    dropped: set[str] = set()
    for conf in confs:
        for name, element in getattr(conf, kind).items():
            if name in merged and merged[name] != element:
                log.error("%s %s defined multiple times with different configurations", label, name)
                dropped.add(name)
            merged.setdefault(name, element)
    return {n: e for n, e in merged.items() if n not in dropped}


def _merge_services(confs: list[_ContainerConf]) -> dict[str, Service]:
    services: dict[str, Service] = {}
    for conf in confs:
        for name, server in conf.services.items():
            services.setdefault(name, Service(name)).servers.append(server)
    return services


def _owners(confs: list[_ContainerConf]) -> dict[str, str]:
    """For each router name, the containers that define it, for log lines."""
    owners: dict[str, list[str]] = {}
    for conf in confs:
        for name in conf.routers:
            owners.setdefault(name, []).append(conf.container)
    return {name: ", ".join(containers) for name, containers in owners.items()}


def _router(name: str, conf: RouterConf, services, middlewares, owners: str) -> Router | None:
    try:
        domains = parse_host_rule(conf.rule)
    except RuleError as error:
        log.error("router %s (container %s): rule %r rejected: %s; no router",
                  name, owners, conf.rule, error)  # fmt: skip
        return None
    if conf.service not in services:
        log.error("router %s: service %s does not exist; no router", name, conf.service)
        return None
    missing = [m for m in conf.middlewares if m not in middlewares]
    if missing:
        log.error("router %s: middleware %s does not exist; no router", name, ", ".join(missing))
        return None
    retries = [middlewares[m] for m in conf.middlewares if isinstance(middlewares[m], Retry)]
    return Router(
        name, domains, conf.entrypoints, conf.tls, conf.cert_resolver,
        services[conf.service], retries[0] if retries else None, conf.priority or len(conf.rule),
    )  # fmt: skip
