"""Running the compose checks: locally before anything else, and against the host's other sites."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from alpha_deploy.compose import Site, load_site
from alpha_deploy.console import Console
from alpha_deploy.errors import AlphaDeployError, InvalidCompose, InvalidSettings
from alpha_deploy.findings import Finding, Severity
from alpha_deploy.report import Report
from alpha_deploy.settings import Settings

if TYPE_CHECKING:
    from alpha_deploy.checks import Policy, SiteClaims
    from alpha_deploy.remote.host import Host


def workspace_path(name: str) -> Path:
    """A path from the settings, relative to Woodpecker's workspace (or the current directory)."""
    return Path(os.environ.get("CI_WORKSPACE") or ".") / name


def read_env_text(settings: Settings) -> str | None:
    if settings.env_file is None:
        return None
    path = workspace_path(settings.env_file)
    try:
        return path.read_text()
    except OSError as error:
        raise InvalidSettings(
            f"invalid setting PLUGIN_ENV_FILE = {settings.env_file!r}: "
            f"cannot read {path} ({error.strerror})"
        ) from None


def interpolation_env(settings: Settings) -> dict[str, str]:
    """What ``${VAR}`` sees: the release's .env, then ``compose_env`` on top."""
    from alpha_deploy.compose.dotenv import DotenvError, parse_dotenv

    text = read_env_text(settings)
    try:
        values = parse_dotenv(text, {}) if text else {}
    except DotenvError as error:
        raise InvalidSettings(
            f"invalid setting PLUGIN_ENV_FILE: {settings.env_file}: {error}"
        ) from None
    return {**values, **settings.compose_env}


def policy_for(settings: Settings) -> Policy:
    from alpha_deploy.checks import Policy

    return Policy(
        app=settings.app,
        registry=settings.registry,
        health_timeout=settings.health_timeout,
        sites_dir=settings.sites_dir,
        ignore_rules=frozenset(settings.ignore_rules),
    )


def check_compose_file(settings: Settings, console: Console, report: Report) -> Site:
    """Load and check the site's compose file; raise ``InvalidCompose`` on errors."""
    from alpha_deploy.checks import RULES

    path = workspace_path(settings.compose_file)
    console.phase(
        "Checking the compose file",
        file=settings.compose_file,
        rules=len(RULES),
        strict="yes" if settings.strict else None,
    )
    site = load_site(path, interpolation_env(settings))
    warn_unknown_rules(settings, console)
    judge(run_checks(site, settings, ()), settings, console, report)
    return site


def run_checks(
    site: Site,
    settings: Settings,
    others: Sequence[SiteClaims],
) -> tuple[list[Finding], list[Finding]]:
    """Findings to act on, and those that ``ignore_rules`` silenced."""
    from alpha_deploy.checks import check_site_all, split_ignored

    return split_ignored(check_site_all(site, policy_for(settings), others), settings.ignore_rules)


def warn_unknown_rules(settings: Settings, console: Console) -> None:
    from alpha_deploy.checks import unknown_rules

    for rule in unknown_rules(settings.ignore_rules):
        console.warn(
            f"PLUGIN_IGNORE_RULES names {rule!r}, which is no rule id "
            "(see docs/rules.md); it silences nothing"
        )


def judge(
    found: tuple[list[Finding], list[Finding]], settings: Settings, console: Console, report: Report
) -> None:
    """Print findings, record them, and fail on errors (and on warnings when strict)."""
    findings, ignored = found
    for finding in findings:
        (console.error if finding.severity == Severity.ERROR else console.warn)(finding.render())
    report.findings.extend(findings)
    report.ignored_findings.extend(ignored)
    for rule in sorted({f.rule for f in ignored}):
        count = sum(1 for f in ignored if f.rule == rule)
        console.info(f"ignored {count} finding(s) of rule {rule} (PLUGIN_IGNORE_RULES)")
    errors = [f for f in findings if f.severity == Severity.ERROR]
    warnings = [f for f in findings if f.severity == Severity.WARNING]
    failing = errors + (warnings if settings.strict else [])
    if failing:
        what = f"{len(errors)} error(s)" + (
            f" and {len(warnings)} warning(s) (strict)" if settings.strict and warnings else ""
        )
        raise InvalidCompose(
            f"{settings.compose_file}: {what}; fix them or list the rule in "
            "`ignore_rules`; nothing was changed on the host"
        )
    console.ok(f"{len(warnings)} warning(s), no errors")


def check_across_sites(
    host: Host, settings: Settings, site: Site, console: Console, report: Report
) -> None:
    """Fail when this site would take another site's router, domain, database or Redis index."""
    others = read_other_sites(host, settings, console)
    console.phase(
        "Checking against the other sites on the host", sites=len({claims.app for claims in others})
    )
    seen = set(report.findings) | set(report.ignored_findings)
    findings, ignored = run_checks(site, settings, others)
    judge(
        ([f for f in findings if f not in seen], [f for f in ignored if f not in seen]),
        settings,
        console,
        report,
    )


def read_other_sites(host: Host, settings: Settings, console: Console) -> list[SiteClaims]:
    from alpha_deploy.deploy import commands

    files = host.run(commands.read_sites(settings.sites_dir, settings.app), quiet=True).stdout
    claims = claims_from_files(files, console)
    running = host.run(commands.running_labels(), quiet=True).stdout  # env holds secrets
    return claims + claims_from_running(running, settings.app)


def claims_from_files(raw: str, console: Console) -> list[SiteClaims]:
    from alpha_deploy.checks import claims_of

    parts = raw.split("\0")[1:]
    claims = []
    with tempfile.TemporaryDirectory(prefix="alpha-sites-") as scratch:
        for name, text in zip(parts[::2], parts[1::2], strict=False):
            path = Path(scratch) / name / "docker-compose.yml"
            path.parent.mkdir()
            path.write_text(text)
            try:
                other = load_site(path, {})
            except AlphaDeployError as error:
                console.warn(
                    f"site {name}: its compose file could not be read ({error}); "
                    "only its running containers are compared"
                )
                continue
            claims.append(claims_of(other, name))
    return claims


def claims_from_running(raw: str, own_app: str) -> list[SiteClaims]:
    import json

    from alpha_deploy.checks import claims_from_labels

    claims = []
    for line in raw.splitlines():
        labels_json, _, env_json = line.partition("\t")
        try:
            labels = json.loads(labels_json) or {}
            env_list = json.loads(env_json) or []
        except ValueError:
            continue
        app = labels.get("com.docker.compose.project", "")
        if not app or app == own_app:
            continue
        env = dict(item.split("=", 1) for item in env_list if "=" in item)
        claims.append(claims_from_labels(app, labels, env))
    return claims
