"""Every rule the checks know: id, severity and the reasons ``docs/rules.md`` gives.

This is a catalogue, so it is long on purpose; the checks that apply the rules
live in the modules beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from alpha_deploy.findings import Severity

E = Severity.ERROR
W = Severity.WARNING


@dataclass(frozen=True)
class Rule:
    """One rule: a stable id for findings and ``ignore_rules``, and why it matters on Alpha."""

    id: str
    severity: Severity
    title: str
    why: str
    bad_example: str
    good_example: str


_GOOD_IMAGE = "image: registry.infra.mintel.me/mintel/klz:1.4.2"
_WEB = "web:\n  "

_RULES = [
    Rule(
        "yaml-duplicate-key",
        E,
        "A key appears twice in one mapping",
        "Compose refuses a file with a duplicate key, so the deploy would fail on the host; "
        "PyYAML alone would silently keep the last one.",
        "x-common: &common {restart: always}\nx-common: &common {restart: no}",
        "x-common: &common {restart: always}",
    ),
    Rule(
        "compose-multi-document",
        W,
        "The file holds several YAML documents",
        "Compose merges the documents in order, so the running config is not the one you read "
        "at the top of the file.",
        "services:\n  web: {image: a}\n---\nservices:\n  web: {image: b}",
        "services:\n  web: {image: b}",
    ),
    Rule(
        "compose-unset-variable",
        W,
        "An interpolated variable is not set",
        "Compose substitutes an empty string and carries on, which turns into an empty image tag "
        "or domain on the host.",
        "image: registry.infra.mintel.me/mintel/klz:${TAG}",
        "image: registry.infra.mintel.me/mintel/klz:${TAG:?set TAG to the release}",
    ),
    Rule(
        "compose-services",
        E,
        "The file has a `services` mapping of mappings",
        "Without services there is nothing to deploy; Compose refuses anything else.",
        "services:\n  - web",
        "services:\n  web:\n    " + _GOOD_IMAGE,
    ),
    Rule(
        "service-name",
        E,
        "Service names are plain lower-case names",
        "The service name becomes part of container names, compose commands and the plugin's "
        "remote commands; Compose itself refuses most other characters, and upper case is "
        "folded differently by Docker and by Traefik.",
        '"Web Server":\n  ' + _GOOD_IMAGE,
        "web-server:\n  " + _GOOD_IMAGE,
    ),
    Rule(
        "service-image",
        E,
        "Every service has an image",
        "Alpha pulls images built by CI; it never builds on the host, so `build:` alone "
        "deploys nothing.",
        _WEB + "build: .",
        _WEB + _GOOD_IMAGE,
    ),
    Rule(
        "image-registry",
        E,
        "Public images are REGISTRY/ORG/APP:TAG from the platform registry",
        "Only the platform registry is reachable with the host's credentials, and the app name "
        "in the image ties the release to this site.",
        _WEB + "image: nginx:latest",
        _WEB + _GOOD_IMAGE,
    ),
    Rule(
        "traefik-router-missing",
        E,
        "A public service defines a router rule",
        "With `traefik.enable=true` and no rule, Traefik invents a Host() from the container "
        "name; the site's domains are never served.",
        _WEB + "labels: [traefik.enable=true]",
        _WEB + "labels:\n    - traefik.enable=true\n    - traefik.http.routers.klz-web.rule="
        "Host(`klz-cables.com`)",
    ),
    Rule(
        "traefik-rule-syntax",
        E,
        "The router rule parses as Traefik v3",
        "Traefik v3 drops a router whose rule does not parse; `Host(a,b)` from the cheat sheet "
        "is such a rule, and the site goes dark.",
        "traefik.http.routers.klz-web.rule=Host(klz-cables.com,www.klz-cables.com)",
        "traefik.http.routers.klz-web.rule=Host(`klz-cables.com`) || Host(`www.klz-cables.com`)",
    ),
    Rule(
        "traefik-entrypoint",
        E,
        "Routers use the `websecure` entrypoint",
        "Alpha's Traefik terminates TLS on `websecure`; other entrypoint names do not exist "
        "there and the router is never reached.",
        "traefik.http.routers.klz-web.entrypoints=web",
        "traefik.http.routers.klz-web.entrypoints=websecure",
    ),
    Rule(
        "traefik-certresolver",
        E,
        "Routers use the `le` certificate resolver",
        "`le` is the only resolver configured on Alpha; without it the site serves Traefik's "
        "default self-signed certificate.",
        "traefik.http.routers.klz-web.tls.certresolver=letsencrypt",
        "traefik.http.routers.klz-web.tls.certresolver=le",
    ),
    Rule(
        "traefik-port",
        E,
        "The load balancer port is set and valid",
        "Traefik needs to know which container port serves HTTP; a wrong or missing port gives "
        "502s or routes to the wrong port.",
        "traefik.http.services.klz-web.loadbalancer.server.port=http",
        "traefik.http.services.klz-web.loadbalancer.server.port=3000",
    ),
    Rule(
        "traefik-name-prefix",
        E,
        "Router and service names start with the app name",
        "Names are global across the host; two sites with a router called `app` make Traefik "
        "drop both (traefik#7738).",
        "traefik.http.routers.app.rule=Host(`klz-cables.com`)",
        "traefik.http.routers.klz-web.rule=Host(`klz-cables.com`)",
    ),
    Rule(
        "traefik-network",
        E,
        "A service on several networks names Traefik's network",
        "Traefik picks a random network otherwise and requests time out (traefik#5040).",
        _WEB + "networks: [proxy, backend]",
        _WEB + "networks: [proxy, backend]\n  labels: [traefik.docker.network=proxy]",
    ),
    Rule(
        "traefik-deploy-labels",
        W,
        "Traefik labels sit under `labels`, not `deploy.labels`",
        "Compose (unlike Swarm) does not put `deploy.labels` on containers, so Traefik never "
        "sees them.",
        _WEB + "deploy:\n    labels: [traefik.enable=true]",
        _WEB + "labels: [traefik.enable=true]",
    ),
    Rule(
        "healthcheck-missing",
        E,
        "A public service has a healthcheck",
        "The rollout waits for the new replicas to be healthy before switching; without a "
        "healthcheck Traefik routes to a container that is still starting.",
        _WEB + _GOOD_IMAGE,
        _WEB + "healthcheck:\n    test: wget -q -O - http://localhost:3000/health",
    ),
    Rule(
        "healthcheck-path",
        E,
        "The healthcheck calls /health",
        "The platform contract is `GET /health` returning 200 when ready; other probes (a "
        "process check, `/`) say nothing about readiness.",
        _WEB + "healthcheck:\n    test: [CMD, pgrep, node]",
        _WEB + "healthcheck:\n    test: [CMD, wget, -q, -O, -, http://localhost:3000/health]",
    ),
    Rule(
        "healthcheck-slow",
        W,
        "The healthcheck can become healthy within the health timeout",
        "If start_period + interval x retries exceeds the deploy's health timeout, a slow but "
        "good release is rolled back.",
        _WEB + "healthcheck:\n    interval: 30s\n    retries: 10",
        _WEB + "healthcheck:\n    interval: 5s\n    retries: 10",
    ),
    Rule(
        "deploy-replicas",
        W,
        "Public services run at least 2 replicas",
        "With one replica a crash or a host restart takes the site down until it is back.",
        _WEB + "deploy:\n    replicas: 1",
        _WEB + "deploy:\n    replicas: 2",
    ),
    Rule(
        "container-name",
        E,
        "Public services set no container_name",
        "A start-first rollout runs old and new containers side by side; a fixed name makes the "
        "second one impossible.",
        _WEB + "container_name: klz",
        _WEB + "# no container_name: Compose names replicas itself",
    ),
    Rule(
        "host-ports",
        E,
        "Public services publish no host ports",
        "Traefik reaches containers over the Docker network; a published host port clashes "
        "between old and new replicas and bypasses TLS.",
        _WEB + "ports: ['3000:3000']",
        _WEB + "expose: ['3000']",
    ),
    Rule(
        "network-mode-host",
        E,
        "Public services do not use network_mode: host",
        "Host networking binds the app's port on the host, so two replicas cannot run at once "
        "and Traefik cannot route by network.",
        _WEB + "network_mode: host",
        _WEB + "networks: [proxy]",
    ),
    Rule(
        "postgres-url",
        E,
        "Postgres URLs use the shared server and the app's own database",
        "Alpha runs one Postgres at postgres:5432; each app must use its own database, never "
        "the `postgres` maintenance database.",
        "DATABASE_URL: postgres://infra:infra@db:5432/postgres",
        "DATABASE_URL: postgres://infra:infra@postgres:5432/klz_site",
    ),
    Rule(
        "redis-url",
        E,
        "Redis URLs use the shared server and an explicit DB index",
        "Alpha runs one Redis at redis:6379; without `/N` every app lands in DB 0 and they "
        "overwrite each other's keys.",
        "REDIS_URL: redis://redis:6379",
        "REDIS_URL: redis://redis:6379/3",
    ),
    Rule(
        "own-database",
        W,
        "The site runs no Postgres or Redis of its own",
        "The platform shares and backs up one Postgres and one Redis; a private one has no "
        "backups and competes for memory.",
        "db:\n  image: postgres:16",
        "# use postgres://infra:infra@postgres:5432/klz_site instead",
    ),
    Rule(
        "privileged",
        E,
        "No service is privileged",
        "A privileged container owns the shared host and every other customer's site on it.",
        "worker:\n  privileged: true",
        "worker:\n  cap_add: [NET_BIND_SERVICE]",
    ),
    Rule(
        "docker-socket",
        E,
        "No service mounts the Docker socket",
        "The socket is root on the host: it can stop, read or replace every other site.",
        "volumes: ['/var/run/docker.sock:/var/run/docker.sock']",
        "# ask the platform team for what you need from Docker",
    ),
    Rule(
        "bind-mount-outside-site",
        E,
        "Bind mounts stay inside the site directory",
        "Only /opt/alpha/sites/APP belongs to the site; a mount elsewhere reads or writes other "
        "customers' data or the host's.",
        "volumes: ['/etc:/host-etc']",
        "volumes: ['./data:/app/data']",
    ),
    Rule(
        "cross-site-router",
        E,
        "No router name another site on the host uses",
        "Two containers defining the same router differently make Traefik drop it for both.",
        "traefik.http.routers.shop.rule=...   # `shop` belongs to another site",
        "traefik.http.routers.klz-shop.rule=...",
    ),
    Rule(
        "cross-site-service",
        E,
        "No Traefik service name another site uses",
        "Traefik merges same-named services across containers and balances one site's traffic "
        "onto another's containers.",
        "traefik.http.services.shop.loadbalancer.server.port=80",
        "traefik.http.services.klz-shop.loadbalancer.server.port=80",
    ),
    Rule(
        "cross-site-domain",
        E,
        "No domain another site already serves",
        "Two routers with the same Host() have equal priority; which site answers is random and "
        "can change at any reload (traefik#2856).",
        "rule=Host(`shop.customer.de`)   # served by another site",
        "rule=Host(`klz-cables.com`)",
    ),
    Rule(
        "cross-site-postgres-db",
        E,
        "No Postgres database another site uses",
        "Two apps in one database overwrite each other's tables and migrations.",
        "postgres://infra:infra@postgres:5432/shop   # another site's database",
        "postgres://infra:infra@postgres:5432/klz_site",
    ),
    Rule(
        "cross-site-redis-db",
        E,
        "No Redis DB index another site uses",
        "Two apps in one Redis DB overwrite each other's keys and sessions.",
        "redis://redis:6379/1   # another site's index",
        "redis://redis:6379/7",
    ),
]

RULES: dict[str, Rule] = {rule.id: rule for rule in _RULES}

# Rules checked only on services Traefik routes to (traefik.enable=true).
PUBLIC_ONLY = frozenset(
    {
        "image-registry",
        "traefik-router-missing",
        "traefik-rule-syntax",
        "traefik-entrypoint",
        "traefik-certresolver",
        "traefik-port",
        "traefik-name-prefix",
        "traefik-network",
        "healthcheck-missing",
        "healthcheck-path",
        "healthcheck-slow",
        "deploy-replicas",
        "container-name",
        "host-ports",
        "network-mode-host",
        "cross-site-router",
        "cross-site-service",
        "cross-site-domain",
    }
)
