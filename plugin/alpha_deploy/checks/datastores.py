"""Database and cache settings: the shared Postgres and Redis, each app in its own slot.

Messages never repeat a URL: it usually carries a password.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from urllib.parse import SplitResult, urlsplit

from alpha_deploy.checks.context import Context
from alpha_deploy.compose import Service, Setting

POSTGRES_HOST, POSTGRES_PORT = "postgres", 5432
REDIS_HOST, REDIS_PORT = "redis", 6379
_POSTGRES_URL = re.compile(r"postgres(?:ql)?(?:\+[a-z0-9_]+)?://", re.IGNORECASE)
_REDIS_URL = re.compile(r"rediss?://", re.IGNORECASE)
_SYSTEM_DBS = frozenset({"", "postgres", "template0", "template1"})
_OWN_SERVERS = frozenset(
    {"postgres", "postgresql", "postgis", "redis", "redis-stack", "redis-stack-server", "valkey"}
)


def settings_of(service: Service) -> Iterator[Setting]:
    """Environment values and env_file values, each with where it was written."""
    yield from service.environment_settings.values()
    yield from service.env_file_values


def postgres_database(url: str) -> str | None:
    """The database a Postgres URL names on the shared server, or None if not one."""
    parts = _split(url, _POSTGRES_URL)
    if parts is None or parts.hostname != POSTGRES_HOST:
        return None
    return parts.path.lstrip("/") or None


def redis_index(url: str) -> int | None:
    """The DB index a Redis URL names on the shared server, or None if not one."""
    parts = _split(url, _REDIS_URL)
    if parts is None or parts.hostname != REDIS_HOST:
        return None
    index = parts.path.lstrip("/")
    return int(index) if index.isdigit() else None


def _split(url: str, scheme: re.Pattern[str]) -> SplitResult | None:
    if not scheme.match(url.strip()):
        return None
    try:
        parts = urlsplit(url.strip())
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return None
    return parts


def check_database_urls(ctx: Context) -> None:
    """Postgres and Redis URLs in every service point at the shared servers properly."""
    for service in ctx.site.services.values():
        for setting in settings_of(service):
            value = (setting.value or "").strip()
            if _POSTGRES_URL.match(value):
                _check_postgres(ctx, setting, value)
            elif _REDIS_URL.match(value):
                _check_redis(ctx, setting, value)


def _check_postgres(ctx: Context, setting: Setting, url: str) -> None:
    problems = list(_postgres_problems(url))
    if problems:
        database = ctx.policy.app.replace("-", "_")
        message = (
            f"{setting.key} {', '.join(problems)}; the platform Postgres is shared, one database "
            f"per app: write postgres://USER:PASSWORD@postgres:5432/{database}"
        )
        ctx.report("postgres-url", setting.path, message)


def _postgres_problems(url: str) -> Iterable[str]:
    parts = _split(url, _POSTGRES_URL)
    if parts is None:
        yield "is not a valid URL"
        return
    yield from _server_problems(parts, POSTGRES_HOST, POSTGRES_PORT)
    database = parts.path.lstrip("/")
    if database in _SYSTEM_DBS:
        yield f"uses the database {database!r}" if database else "names no database"


def _check_redis(ctx: Context, setting: Setting, url: str) -> None:
    problems = list(_redis_problems(url))
    if problems:
        message = (
            f"{setting.key} {', '.join(problems)}; the platform Redis is shared, one DB index "
            "per app: write redis://redis:6379/N with this app's N"
        )
        ctx.report("redis-url", setting.path, message)


def _redis_problems(url: str) -> Iterable[str]:
    parts = _split(url, _REDIS_URL)
    if parts is None:
        yield "is not a valid URL"
        return
    yield from _server_problems(parts, REDIS_HOST, REDIS_PORT)
    if not parts.path.lstrip("/").isdigit():
        yield "names no DB index, so it lands in DB 0 with every other app"


def _server_problems(parts: SplitResult, host: str, port: int) -> Iterable[str]:
    if parts.hostname != host:
        yield f"points at host {parts.hostname or 'none'!r} instead of {host!r}"
    if parts.port not in (None, port):
        yield f"uses port {parts.port} instead of {port}"


def check_own_servers(ctx: Context) -> None:
    """A service running its own Postgres or Redis image is worth a warning."""
    for service in ctx.site.services.values():
        name = _image_name(service.image or "")
        if name in _OWN_SERVERS:
            message = (
                f"service {service.name!r} runs its own {name}; the platform shares one with "
                "backups: use postgres://USER:PASSWORD@postgres:5432/DB or redis://redis:6379/N "
                "and remove this service"
            )
            ctx.report("own-database", service.path_of("image"), message)


def _image_name(image: str) -> str:
    repository = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return repository.split(":", 1)[0].lower()
