"""Every service, public or not: nothing that reaches outside the site on the shared host."""

from __future__ import annotations

import posixpath

from alpha_deploy.checks.context import Context
from alpha_deploy.compose import Mount

_SOCKETS = frozenset({"/var/run/docker.sock", "/run/docker.sock"})


def check_privileged(ctx: Context) -> None:
    """No service runs privileged."""
    for service in ctx.site.services.values():
        if service.privileged:
            message = (
                "`privileged: true` gives the container the whole host, every other site "
                "included; remove it and add only the `cap_add:` capabilities the app needs"
            )
            ctx.report("privileged", service.path_of("privileged"), message)


def check_mounts(ctx: Context) -> None:
    """No Docker socket, and bind mounts only inside the site directory."""
    site_dir = ctx.policy.site_dir
    for service in ctx.site.services.values():
        for mount in service.volumes:
            if _is_socket(mount):
                _report_socket(ctx, mount)
            elif mount.kind == "bind" and mount.source and not _inside(mount.source, site_dir):
                _report_outside(ctx, mount, site_dir)


def _is_socket(mount: Mount) -> bool:
    source = posixpath.normpath(mount.source or "")
    return source in _SOCKETS or source.endswith("/docker.sock")


def _inside(source: str, site_dir: str) -> bool:
    """True for relative paths that stay in the site and absolute paths under it."""
    if not source or source.startswith("~"):
        return False
    resolved = posixpath.normpath(posixpath.join(site_dir, source))
    return resolved == site_dir or resolved.startswith(site_dir + "/")


def _report_socket(ctx: Context, mount: Mount) -> None:
    message = (
        "mounts the Docker socket, which is root on the shared host; remove it and ask the "
        "platform team for what the app needs from Docker"
    )
    ctx.report("docker-socket", mount.path, message)


def _report_outside(ctx: Context, mount: Mount, site_dir: str) -> None:
    message = (
        f"bind mount {mount.source!r} is outside the site directory {site_dir}; mount a path "
        "inside it (e.g. `./data:/app/data`) or use a named volume"
    )
    ctx.report("bind-mount-outside-site", mount.path, message)
