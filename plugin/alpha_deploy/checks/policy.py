"""What the checks are measured against: this app's settings and the other sites on the host."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_REGISTRY = "registry.infra.mintel.me"
DEFAULT_SITES_DIR = "/opt/alpha/sites"


@dataclass(frozen=True)
class Policy:
    """The plugin settings the checks depend on."""

    app: str
    registry: str = DEFAULT_REGISTRY
    health_timeout: float = 120
    sites_dir: str = DEFAULT_SITES_DIR
    ignore_rules: frozenset[str] = frozenset()

    @property
    def site_dir(self) -> str:
        """Where this app lives on Alpha; bind mounts must stay inside it."""
        return f"{self.sites_dir.rstrip('/')}/{self.app}"


@dataclass
class SiteClaims:
    """What one site occupies on the shared host: Traefik names, domains, database slots."""

    app: str
    routers: set[str] = field(default_factory=set)
    services: set[str] = field(default_factory=set)
    domains: set[str] = field(default_factory=set)
    postgres_dbs: set[str] = field(default_factory=set)
    redis_dbs: set[int] = field(default_factory=set)
