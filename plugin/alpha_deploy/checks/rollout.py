"""What a start-first rollout needs from a public service: replicas, and nothing fixed."""

from __future__ import annotations

from alpha_deploy.checks.context import Context
from alpha_deploy.compose import Service

_WHY = "a start-first rollout runs the new replicas beside the old ones"


def check_replicas(ctx: Context) -> None:
    """Public services run at least two replicas."""
    for service in ctx.site.public_services():
        if service.replicas < 2:
            message = (
                f"service {service.name!r} runs {service.replicas} replica(s); one crash takes "
                "the site down; write `deploy: {replicas: 2}`"
            )
            ctx.report("deploy-replicas", _replicas_path(service), message)


def _replicas_path(service: Service) -> str:
    deploy = service.raw.get("deploy")
    if isinstance(deploy, dict) and "replicas" in deploy:
        return service.path_of("deploy.replicas")
    return service.path_of("scale") if "scale" in service.raw else service.path


def check_start_first_blockers(ctx: Context) -> None:
    """No container_name, host ports or host networking on public services."""
    for service in ctx.site.public_services():
        if service.container_name is not None:
            message = f"`container_name` fixes one name but {_WHY}; remove `container_name`"
            ctx.report("container-name", service.path_of("container_name"), message)
        for port in service.ports:
            _report_port(ctx, port.path, port.published, port.target)
        if service.network_mode == "host":
            message = f"`network_mode: host` binds host ports but {_WHY}; use `networks:` instead"
            ctx.report("network-mode-host", service.path_of("network_mode"), message)


def _report_port(ctx: Context, path: str, published: str | None, target: str) -> None:
    host = f"host port {published}" if published else "a host port"
    message = (
        f"publishes container port {target} on {host}, but {_WHY} and Traefik reaches the "
        f"container over the network; remove it and set the loadbalancer port label to {target}"
    )
    ctx.report("host-ports", path, message)
