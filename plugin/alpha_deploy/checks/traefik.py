"""Traefik labels on public services: rule syntax, entrypoint, resolver, port, names, network."""

from __future__ import annotations

from alpha_deploy.checks.context import Context
from alpha_deploy.compose import RuleError, Service, Setting, parse_rule, suggest_rule

ENTRYPOINT = "websecure"
CERT_RESOLVER = "le"
_ROUTERS = "traefik.http.routers."
_SERVICES = "traefik.http.services."


def check_routers(ctx: Context) -> None:
    """Every public service has a router; each router parses and uses websecure and le."""
    for service in ctx.site.public_services():
        routers = service.routers
        if not any(f"{_ROUTERS}{r}.rule" in service.labels for r in routers):
            _report_no_router(ctx, service)
        for router in routers:
            _check_router(ctx, service, router)


def _report_no_router(ctx: Context, service: Service) -> None:
    name = f"{ctx.policy.app}-{service.name}"
    message = (
        f"service {service.name!r} has traefik.enable=true but no router rule; add "
        f"`traefik.http.routers.{name}.rule=Host(`your-domain`)`"
    )
    ctx.report("traefik-router-missing", _labels_path(service), message)


def _check_router(ctx: Context, service: Service, router: str) -> None:
    settings = service.label_settings
    prefix = f"{_ROUTERS}{router}."
    rule = settings.get(prefix + "rule")
    anchor = rule or _first_setting(service, prefix)
    if rule is not None:
        _check_rule(ctx, rule)
    _check_value(
        ctx,
        settings.get(prefix + "entrypoints"),
        anchor,
        "traefik-entrypoint",
        prefix + "entrypoints",
        ENTRYPOINT,
    )
    _check_value(
        ctx,
        settings.get(prefix + "tls.certresolver"),
        anchor,
        "traefik-certresolver",
        prefix + "tls.certresolver",
        CERT_RESOLVER,
    )


def _check_rule(ctx: Context, rule: Setting) -> None:
    text = rule.value or ""
    try:
        parse_rule(text)
    except RuleError as error:
        suggestion = suggest_rule(text)
        fix = (
            f"write `{rule.key}={suggestion}`"
            if suggestion and suggestion != text.strip()
            else "write one Host(`domain`) per domain, joined with ||"
        )
        message = f"router rule {text!r} does not parse in Traefik v3: {error}; {fix}"
        ctx.report("traefik-rule-syntax", rule.path, message)


def _check_value(
    ctx: Context, setting: Setting | None, anchor: Setting, rule: str, key: str, wanted: str
) -> None:
    if setting is None:
        message = f"router has no `{key}`; add `{key}={wanted}`"
        ctx.report(rule, anchor.path, message)
    elif [part.strip() for part in (setting.value or "").split(",")] != [wanted]:
        message = f"`{key}` is {setting.value!r}; Alpha only has {wanted!r}: write `{key}={wanted}`"
        ctx.report(rule, setting.path, message)


def check_ports(ctx: Context) -> None:
    """Each public service names its Traefik service and a valid loadbalancer port."""
    for service in ctx.site.public_services():
        names = service.traefik_services
        if not names:
            example = f"{_SERVICES}{ctx.policy.app}-{service.name}.loadbalancer.server.port=3000"
            message = f"no loadbalancer port is set; add `{example}` with the app's port"
            ctx.report("traefik-port", _labels_path(service), message)
        for name in names:
            _check_port(ctx, service, name)


def _check_port(ctx: Context, service: Service, name: str) -> None:
    key = f"{_SERVICES}{name}.loadbalancer.server.port"
    setting = service.label_settings.get(key)
    if setting is None:
        anchor = _first_setting(service, f"{_SERVICES}{name}.")
        ctx.report("traefik-port", anchor.path, f"service {name!r} has no port; add `{key}=3000`")
        return
    value = (setting.value or "").strip()
    if not (value.isdigit() and 1 <= int(value) <= 65535):
        message = f"port {value!r} is not a port number; write `{key}=N` with 1 <= N <= 65535"
        ctx.report("traefik-port", setting.path, message)


def check_names(ctx: Context) -> None:
    """Router and service names start with the app name: they are global on the host."""
    app = ctx.policy.app
    for service in ctx.site.public_services():
        for kind, prefix, names in (
            ("router", _ROUTERS, service.routers),
            ("service", _SERVICES, service.traefik_services),
        ):
            for name in names:
                if name != app and not name.startswith(f"{app}-"):
                    _report_name(ctx, service, kind, prefix, name)


def _report_name(ctx: Context, service: Service, kind: str, prefix: str, name: str) -> None:
    app = ctx.policy.app
    message = (
        f"Traefik {kind} name {name!r} is not this app's: names are global on the host and "
        f"another site using it takes both down; rename it to '{app}-{name}'"
    )
    ctx.report("traefik-name-prefix", _first_setting(service, f"{prefix}{name}.").path, message)


def check_network(ctx: Context) -> None:
    """A public service on several networks says which one Traefik must use."""
    for service in ctx.site.public_services():
        networks = service.networks
        if len(networks) > 1 and "traefik.docker.network" not in service.labels:
            message = (
                f"service is on {len(networks)} networks ({', '.join(networks)}) and Traefik "
                "picks one at random; add `traefik.docker.network=<the network Traefik is on>`"
            )
            ctx.report("traefik-network", service.path_of("networks"), message)


def check_deploy_labels(ctx: Context) -> None:
    """Traefik labels under deploy.labels are Swarm-only; Compose drops them."""
    for service in ctx.site.services.values():
        deploy = service.raw.get("deploy")
        labels = deploy.get("labels") if isinstance(deploy, dict) else None
        keys = labels if isinstance(labels, dict) else labels if isinstance(labels, list) else []
        if any(str(key).startswith("traefik.") for key in keys):
            message = (
                "Traefik labels under `deploy.labels` only reach Swarm services; Compose does "
                "not set them on containers, so Traefik never sees them; move them to `labels`"
            )
            ctx.report("traefik-deploy-labels", f"{service.path}.deploy.labels", message)


def _first_setting(service: Service, prefix: str) -> Setting:
    return next(s for key, s in service.label_settings.items() if key.startswith(prefix))


def _labels_path(service: Service) -> str:
    return service.path_of("labels") if "labels" in service.raw else service.path
