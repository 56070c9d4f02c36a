"""The dry run's plan: the remote commands a real run would send, in order.

Values only known on the host (container ids, digests, the release id's
timestamp) appear as ``<placeholders>``; everything else is exactly what a
real run sends. Secrets never appear: they travel only inside uploaded files.
"""

from __future__ import annotations

from alpha_deploy.compose import Site
from alpha_deploy.deploy import commands
from alpha_deploy.settings import Settings

RELEASE_ID = "<release-id>"


def plan_for(settings: Settings, site: Site | None) -> list[str]:
    if settings.action == "deploy" and site is not None:
        return deploy_plan(settings, site)
    connect = f"# connect {settings.user}@{settings.host}:{settings.port} (pinned host key)"
    if settings.action == "rollback":
        return [
            connect,
            f"# lock: flock {commands.state_dir(settings.site_dir)}/lock",
            f"# roll back to {settings.release or 'the release before the current one'} "
            "with the same start-first rollout and health gate (docs/manual-pipelines.md)",
        ]
    reads = (
        "other sites' compose files and labels"
        if settings.action == "check"
        else "the site's record, history and containers"
    )
    return [connect, f"# read {reads}; nothing is locked or changed"]


def deploy_plan(settings: Settings, site: Site) -> list[str]:
    has_env = settings.env_file is not None
    staged = commands.staged(settings.app, settings.site_dir, RELEASE_ID, has_env)
    serving = commands.current(settings.app, settings.site_dir, has_env)
    lines = [
        f"# connect {settings.user}@{settings.host}:{settings.port} (pinned host key)",
        f"# lock: flock {commands.state_dir(settings.site_dir)}/lock",
        commands.read_sites(settings.sites_dir, settings.app),
        commands.running_labels(),
        commands.make_dirs(staged.directory),
        f"# upload {staged.compose_file}, {staged.pin_file}"
        + (f", {staged.env_file} (0600)" if has_env else ""),
        commands.pull(staged, []),
        commands.repo_digests(["<each image>"]),
        commands.list_containers(settings.app),
    ]
    lines += rollout_plan(settings, site, staged)
    lines += [
        commands.remove(["<old replica ids>"]),
        commands.activate(staged, serving),
        commands.up_all(serving, "--no-recreate", "--remove-orphans"),
        f"# record the release in {commands.state_dir(settings.site_dir)}/current.json "
        "and history.jsonl; release the lock",
    ]
    return lines


def rollout_plan(settings: Settings, site: Site, staged: commands.ReleaseFiles) -> list[str]:
    if settings.strategy == "recreate":
        return [
            commands.up_all(staged, "--remove-orphans"),
            "# wait until every replica is healthy",
            *probe_lines(settings, site),
        ]
    lines = []
    for service in site.public_services():
        lines.append(commands.scale_up(staged, service.name, f"<running+{service.replicas}>"))
        lines.append(
            f"# wait until the new {service.name} replicas are healthy, then "
            f"{settings.traefik_delay:g}s for Traefik"
        )
    for service in site.public_services():
        if settings.drain_command:
            lines.append(commands.drain("<old replica id>", settings.drain_command))
        lines.append(commands.stop(["<old replica ids>"], service.stop_grace_period_s))
    lines += probe_lines(settings, site)
    workers = [s.name for s in site.services.values() if not s.is_public]
    if workers:
        lines.append(commands.recreate(staged, workers))
    return lines


def probe_lines(settings: Settings, site: Site) -> list[str]:
    host, port = settings.probe_target
    return [
        f"# probe https://{domain}{settings.health_path} via {host}:{port} until "
        f"{settings.health_successes} consecutive 200s (timeout {settings.health_timeout:g}s)"
        for domain in site.domains()
    ]
