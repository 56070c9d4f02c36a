"""Across sites: names, domains and database slots another site on the host already holds.

Only what Traefik actually serves counts as claimed (``traefik.enable=true``);
a site's own previous release (same app) is never a conflict.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from alpha_deploy.checks.context import Context
from alpha_deploy.checks.datastores import postgres_database, redis_index, settings_of
from alpha_deploy.checks.policy import SiteClaims
from alpha_deploy.compose import RuleError, Service, Site, parse_rule, rule_domains, traefik_key

_TRUE = frozenset({"true", "1", "t"})
_NAME = re.compile(r"traefik\.http\.(routers|services)\.([^.]+)\.")


def claims_of(site: Site, app: str) -> SiteClaims:
    """What ``site`` would occupy on the host once deployed as ``app``."""
    claims = SiteClaims(app)
    for service in site.public_services():
        _add_labels(claims, service.labels)
    for service in site.services.values():
        _add_environment(claims, {s.key: s.value for s in settings_of(service)})
    return claims


def claims_from_labels(
    app: str, labels: Mapping[str, str], environment: Mapping[str, str]
) -> SiteClaims:
    """What a running container occupies, from its ``docker inspect`` labels and env."""
    claims = SiteClaims(app)
    normal = {traefik_key(key): value for key, value in labels.items()}
    if normal.get("traefik.enable", "").strip().lower() in _TRUE:
        _add_labels(claims, normal)
    _add_environment(claims, environment)
    return claims


def _add_labels(claims: SiteClaims, labels: Mapping[str, str]) -> None:
    for key in labels:
        match = _NAME.match(key)
        if match:
            kind, name = match.groups()
            (claims.routers if kind == "routers" else claims.services).add(name)
    claims.domains |= rule_domains(dict(labels))


def _add_environment(claims: SiteClaims, environment: Mapping[str, str | None]) -> None:
    for value in environment.values():
        if value:
            database = postgres_database(value)
            if database:
                claims.postgres_dbs.add(database)
            index = redis_index(value)
            if index is not None:
                claims.redis_dbs.add(index)


def check_cross_site(ctx: Context, others: Sequence[SiteClaims]) -> None:
    """Report each name, domain or database slot this site shares with another."""
    foreign = [other for other in others if other.app != ctx.policy.app]
    if not foreign:
        return
    for service in ctx.site.public_services():
        _check_labels(ctx, service, foreign)
    for service in ctx.site.services.values():
        _check_datastores(ctx, service, foreign)


def _check_labels(ctx: Context, service: Service, others: list[SiteClaims]) -> None:
    reported: set[tuple[str, str]] = set()
    for setting in service.label_settings.values():
        match = _NAME.match(setting.key)
        if match is None:
            continue
        kind, name = match.group(1), match.group(2)
        if (kind, name) not in reported:
            reported.add((kind, name))
            _check_name(ctx, setting.path, kind, name, others)
        if kind == "routers" and setting.key.endswith(".rule"):
            _check_domains(ctx, setting.path, setting.value or "", others)


def _check_name(ctx: Context, path: str, kind: str, name: str, others: list[SiteClaims]) -> None:
    rule = "cross-site-router" if kind == "routers" else "cross-site-service"
    for other in others:
        taken = other.routers if kind == "routers" else other.services
        if name in taken:
            message = (
                f"Traefik {kind[:-1]} name {name!r} is already used by site {other.app!r}; "
                f"Traefik would drop or mix both: rename it to '{ctx.policy.app}-...'"
            )
            ctx.report(rule, path, message)


def _check_domains(ctx: Context, path: str, rule: str, others: list[SiteClaims]) -> None:
    try:
        domains = parse_rule(rule).domains
    except RuleError:
        return
    for other in others:
        for domain in sorted(set(domains) & other.domains):
            message = (
                f"domain {domain!r} is already served by site {other.app!r}; which site answers "
                "would be random: remove it here or move it off the other site first"
            )
            ctx.report("cross-site-domain", path, message)


def _check_datastores(ctx: Context, service: Service, others: list[SiteClaims]) -> None:
    for setting in settings_of(service):
        value = setting.value or ""
        database, index = postgres_database(value), redis_index(value)
        for other in others:
            if database and database in other.postgres_dbs:
                message = (
                    f"{setting.key} uses Postgres database {database!r}, which site "
                    f"{other.app!r} uses; give this app its own database"
                )
                ctx.report("cross-site-postgres-db", setting.path, message)
            if index is not None and index in other.redis_dbs:
                message = (
                    f"{setting.key} uses Redis DB {index}, which site {other.app!r} uses; "
                    "pick an index no other site uses"
                )
                ctx.report("cross-site-redis-db", setting.path, message)
