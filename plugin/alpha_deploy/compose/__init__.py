"""Loading compose files the way Compose does, keeping where every key was written."""

from alpha_deploy.compose.errors import ComposeLoadError
from alpha_deploy.compose.loader import DEFAULT_MAX_BYTES, load_site
from alpha_deploy.compose.service import (
    Healthcheck,
    Mount,
    PortMapping,
    Service,
    Setting,
    traefik_key,
)
from alpha_deploy.compose.site import Site, rule_domains
from alpha_deploy.compose.traefik_rule import RuleError, parse_rule, suggest_rule
from alpha_deploy.compose.yamltree import Mark, Problem

__all__ = [
    "DEFAULT_MAX_BYTES",
    "ComposeLoadError",
    "Healthcheck",
    "Mark",
    "Mount",
    "PortMapping",
    "Problem",
    "RuleError",
    "Service",
    "Setting",
    "Site",
    "load_site",
    "parse_rule",
    "rule_domains",
    "suggest_rule",
    "traefik_key",
]
