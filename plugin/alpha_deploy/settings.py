"""Plugin settings, read the way Woodpecker hands them over.

Woodpecker turns each key under ``settings:`` into ``PLUGIN_<KEY>`` (upper case,
``-`` and ``.`` become ``_``); lists arrive comma-joined, maps as JSON, booleans
as ``true``/``false``. Local runs may pass the same settings as flags
(``--dry-run``), and a flag wins over the environment.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "PLUGIN_"

PLAIN_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
HOST_NAME = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[?[0-9A-Fa-f:.]+\]?)$"
)
IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
ABSOLUTE_PATH = re.compile(r"^/[A-Za-z0-9._/-]*$")
RULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
FINGERPRINT = re.compile(r"^SHA256:[A-Za-z0-9+/]{43}=?$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

PLAIN_NAME_HINT = "lower-case letters, digits, '-' and '_', starting with a letter or digit"


def split_list(value: Any) -> Any:
    """Accept a Woodpecker list (comma-joined) or a JSON list."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        return parse_json(text, 'a YAML list, or a JSON list such as ["a", "b"]')
    return [item.strip() for item in text.split(",") if item.strip()]


def parse_map(value: Any) -> Any:
    """Accept a Woodpecker map, which arrives as a JSON object."""
    if isinstance(value, str):
        return parse_json(value, "a YAML map of names to values") if value.strip() else {}
    return value


def parse_json(text: str, expected: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"is not valid JSON ({error.msg}, column {error.colno}); write {expected}"
        ) from None


class Settings(BaseSettings):
    """Everything a pipeline step can set under ``settings:``.

    The docstring of each field is the user-facing description: the settings
    table in docs/docs.md is generated from it.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        case_sensitive=False,
        extra="ignore",
        validate_default=True,
        use_attribute_docstrings=True,
    )

    # --- what to do -------------------------------------------------------
    action: Literal["deploy", "rollback", "check", "status"] = "deploy"
    """`deploy` a release, `rollback` to an earlier one, `check` only, or show `status`."""
    app: str = ""
    """Site name on the host (default: `CI_REPO_NAME`); names its directory and compose project."""

    compose_file: str = "docker-compose.yml"
    """Compose file of the site, relative to the workspace (`CI_WORKSPACE`)."""
    env_file: str | None = None
    """Optional `.env` file in the workspace, uploaded beside the compose file with mode 0600."""
    compose_env: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    """Extra variables for `${VAR}` interpolation in the compose file (a map)."""
    tag: str | None = None
    """Image tag to release for this app's images, e.g. `${CI_COMMIT_SHA}`."""
    release: str | None = None
    """With `action: rollback`: the history id or image tag to go back (or forward) to."""
    dry_run: bool = False
    """Check and print the plan; connect to nothing and change nothing."""
    debug: bool = False
    """Print every remote command and its output (secrets stay redacted)."""
    report_file: str | None = None
    """Write a JSON report of the run to this path."""

    # --- the host ---------------------------------------------------------
    host: str = "alpha.mintel.me"
    """SSH host of the Alpha server."""
    port: int = Field(default=22, ge=1, le=65535)
    """SSH port."""
    user: str = "deploy"
    """SSH user."""
    sites_dir: str = "/opt/alpha/sites"
    """Directory on the host that holds one directory per site."""
    ssh_key: SecretStr | None = None
    """Private key text (use `from_secret`)."""
    ssh_key_path: str | None = None
    """Path of a private key file, instead of `ssh_key`."""
    ssh_passphrase: SecretStr | None = None
    """Passphrase of the private key, if it has one (use `from_secret`)."""
    known_hosts: str | None = None
    """known_hosts line(s) that pin the host key."""
    host_fingerprint: str | None = None
    """Pinned host key as `SHA256:...` (instead of `known_hosts`)."""
    connect_timeout: float = Field(default=10.0, gt=0)
    """Seconds to wait for the SSH connection."""
    connect_attempts: int = Field(default=4, ge=1, le=20)
    """Attempts to connect when the failure is transient (refused, reset, timeout, DNS)."""
    command_timeout: float = Field(default=300.0, gt=0)
    """Seconds any single remote command may take."""
    lock_timeout: float = Field(default=600.0, ge=0)
    """Seconds to wait for another deploy of the same site to finish."""

    # --- the release and the rollout -------------------------------------
    registry: str = "registry.infra.mintel.me"
    """Registry every image must come from."""
    strategy: Literal["rolling", "recreate"] = "rolling"
    """`rolling`: start-first, no downtime; `recreate`: stop then start, still health-gated."""
    pull_attempts: int = Field(default=3, ge=1, le=10)
    """Attempts to pull the images when the registry fails transiently."""
    traefik_delay: float = Field(default=3.0, ge=0)
    """Seconds new replicas stay up before old ones go, so Traefik (2 s throttle) sees them."""
    drain_command: str | None = None
    """Command run inside each old replica before it is stopped, to make it leave the router."""
    auto_drain: bool = True
    """Drain old replicas through their shell healthcheck before stopping them (docs/docs.md)."""

    rollback: bool = True
    """Restore the previous release when the new one is not healthy."""
    keep_releases: int = Field(default=5, ge=1, le=50)
    """Releases whose images stay on the host for a rollback without the registry."""

    # --- the health gate --------------------------------------------------
    health_path: str = "/health"
    """Path probed on every domain of the site through Traefik."""
    health_timeout: float = Field(default=120.0, gt=0)
    """Seconds the new release has to become healthy."""
    health_interval: float = Field(default=2.0, gt=0)
    """Seconds between health probes."""
    health_successes: int = Field(default=3, ge=1, le=100)
    """Consecutive 200 answers per domain that make the release healthy."""
    probe_address: str | None = None
    """`host:port` the health probes connect to (default: the SSH host on 443)."""
    ca_bundle: str | None = None
    """CA bundle that verifies the site certificates (default: the system store)."""

    # --- checks -----------------------------------------------------------
    strict: bool = False
    """Fail on warnings from the compose checks, not only on errors."""
    ignore_rules: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Compose check rule ids to skip (a list)."""

    @field_validator("ignore_rules", mode="before")
    @classmethod
    def _split_rules(cls, value: Any) -> Any:
        return split_list(value)

    @field_validator("compose_env", mode="before")
    @classmethod
    def _parse_env_map(cls, value: Any) -> Any:
        return parse_map(value)

    @field_validator("app")
    @classmethod
    def _plain_app(cls, value: str) -> str:
        if not value:
            raise ValueError("is empty; set `app` (the site's name on the host)")
        if not PLAIN_NAME.fullmatch(value):
            raise ValueError(f"is not a plain name; use {PLAIN_NAME_HINT}")
        return value

    @field_validator("user")
    @classmethod
    def _plain_user(cls, value: str) -> str:
        if not PLAIN_NAME.fullmatch(value):
            raise ValueError(f"is not a plain user name; use {PLAIN_NAME_HINT}")
        return value

    @field_validator("host")
    @classmethod
    def _host_name(cls, value: str) -> str:
        if not HOST_NAME.fullmatch(value):
            raise ValueError("is not a host name or IP address")
        return value

    @field_validator("sites_dir")
    @classmethod
    def _absolute_dir(cls, value: str) -> str:
        if not ABSOLUTE_PATH.fullmatch(value) or "/../" in f"{value}/":
            raise ValueError("must be an absolute path of plain characters, without '..'")
        return value.rstrip("/") or "/"

    @field_validator("tag", "release")
    @classmethod
    def _image_tag(cls, value: str | None) -> str | None:
        if value is not None and not IMAGE_TAG.fullmatch(value):
            raise ValueError("is not an image tag; use letters, digits, '_', '.', '-'")
        return value

    @field_validator("health_path")
    @classmethod
    def _url_path(cls, value: str) -> str:
        if not re.fullmatch(r"/[A-Za-z0-9._~/?=&%-]*", value):
            raise ValueError("must be a URL path starting with '/', e.g. /health")
        return value

    @field_validator("probe_address")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is None:
            return value
        host, sep, port = value.rpartition(":")
        if not sep or not HOST_NAME.fullmatch(host) or not port.isdigit():
            raise ValueError("must be HOST:PORT, e.g. 203.0.113.7:443")
        if not 1 <= int(port) <= 65535:
            raise ValueError(f"port {port} is out of range 1-65535")
        return value

    @field_validator("host_fingerprint")
    @classmethod
    def _fingerprint(cls, value: str | None) -> str | None:
        if value is not None and not FINGERPRINT.fullmatch(value.strip()):
            raise ValueError(
                "must look like SHA256:<43 base64 characters>; get it with "
                "`ssh-keyscan -p PORT HOST | ssh-keygen -lf -`"
            )
        return value.strip() if value else value

    @field_validator("ignore_rules")
    @classmethod
    def _rule_ids(cls, value: list[str]) -> list[str]:
        for rule in value:
            if not RULE_ID.fullmatch(rule):
                raise ValueError(f"{rule!r} is not a rule id (see docs/rules.md)")
        return value

    @field_validator("compose_env")
    @classmethod
    def _env_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not ENV_NAME.fullmatch(name):
                raise ValueError(f"{name!r} is not a variable name")
        return value

    # --- derived values ---------------------------------------------------
    @property
    def site_dir(self) -> str:
        return f"{self.sites_dir}/{self.app}"

    @property
    def probe_target(self) -> tuple[str, int]:
        """Where health probes connect: ``probe_address`` or the host on 443."""
        if self.probe_address is None:
            return self.host, 443
        host, _, port = self.probe_address.rpartition(":")
        return host.strip("[]"), int(port)

    def redacted(self) -> dict[str, Any]:
        """The settings as a report shows them: secrets replaced, never printed."""
        data = self.model_dump(mode="json")
        for name in SECRET_FIELDS:
            if data.get(name) is not None:
                data[name] = "***"
        return data


SECRET_FIELDS = tuple(
    name for name, field in Settings.model_fields.items() if "SecretStr" in str(field.annotation)
)


def env_name(field: str) -> str:
    """The variable Woodpecker sets for a field: ``dry_run`` -> ``PLUGIN_DRY_RUN``."""
    return ENV_PREFIX + field.upper()


def flag_name(field: str) -> str:
    return "--" + field.replace("_", "-")
