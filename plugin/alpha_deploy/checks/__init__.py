"""Checks that stop a bad release before it touches the host, and the rules they apply.

``check_site`` returns the findings the caller must act on; ``check_site_all``
and ``split_ignored`` let the caller also say which findings ``ignore_rules``
silenced.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from alpha_deploy.checks import datastores, health, host_safety, images, rollout, structure, traefik
from alpha_deploy.checks.catalogue import RULES, Rule
from alpha_deploy.checks.context import Context
from alpha_deploy.checks.cross_site import check_cross_site, claims_from_labels, claims_of
from alpha_deploy.checks.policy import Policy, SiteClaims
from alpha_deploy.compose import Site
from alpha_deploy.findings import Finding

__all__ = [
    "CHECKS",
    "RULES",
    "Policy",
    "Rule",
    "SiteClaims",
    "check_site",
    "check_site_all",
    "claims_from_labels",
    "claims_of",
    "split_ignored",
    "unknown_rules",
]

CHECKS: tuple[Callable[[Context], None], ...] = (
    structure.check_load_problems,
    structure.check_services_mapping,
    structure.check_images,
    images.check_image_registry,
    traefik.check_routers,
    traefik.check_ports,
    traefik.check_names,
    traefik.check_network,
    traefik.check_deploy_labels,
    health.check_healthchecks,
    rollout.check_replicas,
    rollout.check_start_first_blockers,
    datastores.check_database_urls,
    datastores.check_own_servers,
    host_safety.check_privileged,
    host_safety.check_mounts,
)


def check_site_all(site: Site, policy: Policy, others: Sequence[SiteClaims] = ()) -> list[Finding]:
    """Every finding for ``site``, ignored rules included, in file order."""
    ctx = Context(site, policy)
    for check in CHECKS:
        check(ctx)
    check_cross_site(ctx, others)
    return sorted(ctx.findings, key=lambda f: (f.line, f.column, f.rule, f.message))


def check_site(site: Site, policy: Policy, others: Sequence[SiteClaims] = ()) -> list[Finding]:
    """The findings for ``site`` that ``policy.ignore_rules`` does not silence."""
    kept, _ = split_ignored(check_site_all(site, policy, others), policy.ignore_rules)
    return kept


def split_ignored(
    findings: Iterable[Finding], ignore: Iterable[str]
) -> tuple[list[Finding], list[Finding]]:
    """Findings to act on, and those whose rule id is in ``ignore`` (to report as ignored)."""
    ignored_ids = frozenset(ignore)
    kept: list[Finding] = []
    ignored: list[Finding] = []
    for finding in findings:
        (ignored if finding.rule in ignored_ids else kept).append(finding)
    return kept, ignored


def unknown_rules(ids: Iterable[str]) -> list[str]:
    """Ids in ``ignore_rules`` that name no rule (a typo silences nothing), sorted."""
    return sorted(set(ids) - RULES.keys())
