"""Claims of sites on the host, cross-site conflicts and ignored rules."""

from __future__ import annotations

from pathlib import Path

from alpha_deploy.checks import (
    Policy,
    SiteClaims,
    check_site,
    check_site_all,
    claims_from_labels,
    claims_of,
    split_ignored,
    unknown_rules,
)
from alpha_deploy.compose import load_site

FIXTURES = Path(__file__).parent / "fixtures" / "compose"
GOOD = FIXTURES / "good" / "docker-compose.yml"
CROSS = FIXTURES / "bad" / "cross-site.yml"


def test_claims_of_a_loaded_site() -> None:
    """A site claims its public routers, services and domains and its database slots."""
    claims = claims_of(load_site(GOOD, {}), "klz")

    assert claims == SiteClaims(
        "klz",
        routers={"klz-web"},
        services={"klz-web"},
        domains={"klz-cables.com", "www.klz-cables.com"},
        postgres_dbs={"klz_site"},
        redis_dbs={4},
    )


def test_claims_from_container_labels_and_environment() -> None:
    """docker inspect labels and env of a running container give the same kind of claims."""
    labels = {
        "traefik.enable": "true",
        "traefik.http.Routers.shop.Rule": "Host(`shop.de`) || Host(`www.shop.de`)",
        "traefik.http.services.shop-svc.loadbalancer.server.port": "80",
        "com.docker.compose.project": "shop",
    }
    env = {"DATABASE_URL": "postgres://u:p@postgres:5432/shop", "REDIS_URL": "redis://redis/2"}

    claims = claims_from_labels("shop", labels, env)

    assert claims.routers == {"shop"} and claims.services == {"shop-svc"}
    assert claims.domains == {"shop.de", "www.shop.de"}
    assert (claims.postgres_dbs, claims.redis_dbs) == ({"shop"}, {2})


def test_container_not_enabled_in_traefik_claims_no_names() -> None:
    """Without traefik.enable=true a container's router labels occupy nothing."""
    labels = {"traefik.http.routers.shop.rule": "Host(`shop.de`)"}

    claims = claims_from_labels("shop", labels, {})

    assert claims.routers == set() and claims.domains == set()


def test_conflicts_name_the_other_site() -> None:
    """Each cross-site finding names the site that already holds the name or slot."""
    other = SiteClaims("shop", {"shop"}, {"shop"}, {"shop.customer.de"}, {"shop"}, {1})

    findings = check_site(load_site(CROSS, {}), Policy(app="klz"), [other])

    cross = [f for f in findings if f.rule.startswith("cross-site-")]
    assert len(cross) == 5
    assert all("'shop'" in f.message for f in cross)


def test_the_same_app_is_never_a_conflict() -> None:
    """The running release of this very app shares everything without findings."""
    site = load_site(GOOD, {})

    findings = check_site(site, Policy(app="klz"), [claims_of(site, "klz")])

    assert findings == []


def test_another_site_with_the_same_claims_conflicts_on_everything() -> None:
    """A second app with this site's exact claims conflicts on every name and slot."""
    site = load_site(GOOD, {})
    twin = claims_of(site, "twin")
    twin.app = "twin"

    rules = {f.rule for f in check_site(site, Policy(app="klz"), [twin])}

    assert rules == {
        "cross-site-router",
        "cross-site-service",
        "cross-site-domain",
        "cross-site-postgres-db",
        "cross-site-redis-db",
    }


def test_ignored_rules_are_dropped_but_can_be_reported() -> None:
    """check_site drops ignored rules; split_ignored returns them for the report."""
    site = load_site(FIXTURES / "bad" / "container-name.yml", {})
    policy = Policy(app="klz", ignore_rules=frozenset({"container-name"}))

    kept, ignored = split_ignored(check_site_all(site, policy), policy.ignore_rules)

    assert {f.rule for f in ignored} == {"container-name"}
    assert check_site(site, policy) == kept
    assert "container-name" not in {f.rule for f in kept}


def test_unknown_rule_ids_are_named() -> None:
    """A typo in ignore_rules is found, so it can be reported instead of silencing nothing."""
    assert unknown_rules(["container-name", "contaner-name"]) == ["contaner-name"]
