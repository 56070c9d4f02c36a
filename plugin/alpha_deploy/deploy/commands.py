"""Remote commands as data: pure functions that build quoted shell lines.

Nothing here runs anything, so every command can be checked by equality in
unit tests and printed by the dry run exactly as a real run would send it.
Every value that reaches the shell goes through ``shlex.quote``.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

COMPOSE_FILE = "docker-compose.yml"
PIN_FILE = "docker-compose.override.yml"  # plain `docker compose up` in the site reads it too
ENV_FILE = ".env"
STATE_DIR = ".alpha"


def join(argv: Sequence[str]) -> str:
    return shlex.join(argv)


@dataclass(frozen=True)
class ReleaseFiles:
    """Where one release's compose files live on the host.

    The serving release lives in the site directory itself; a release being
    deployed is staged under ``.alpha/releases/ID`` until it has proved healthy.
    """

    app: str
    site_dir: str
    directory: str
    has_env: bool = False

    @property
    def compose_file(self) -> str:
        return f"{self.directory}/{COMPOSE_FILE}"

    @property
    def pin_file(self) -> str:
        return f"{self.directory}/{PIN_FILE}"

    @property
    def env_file(self) -> str:
        return f"{self.directory}/{ENV_FILE}"


def state_dir(site_dir: str) -> str:
    return f"{site_dir}/{STATE_DIR}"


def staged(app: str, site_dir: str, release_id: str, has_env: bool) -> ReleaseFiles:
    return ReleaseFiles(app, site_dir, f"{state_dir(site_dir)}/releases/{release_id}", has_env)


def current(app: str, site_dir: str, has_env: bool) -> ReleaseFiles:
    return ReleaseFiles(app, site_dir, site_dir, has_env)


def compose(files: ReleaseFiles, *args: str) -> str:
    """``docker compose`` for the site's project, reading exactly this release's files."""
    argv = [
        "docker",
        "compose",
        "-p",
        files.app,
        "--project-directory",
        files.site_dir,
        "-f",
        files.compose_file,
        "-f",
        files.pin_file,
    ]
    if files.has_env:
        argv += ["--env-file", files.env_file]
    return join([*argv, *args])


def make_dirs(*paths: str) -> str:
    return join(["mkdir", "-p", *paths])


def pull(files: ReleaseFiles, services: Sequence[str]) -> str:
    return compose(files, "pull", "--quiet", *services)


def repo_digests(images: Iterable[str]) -> str:
    """One line per image: its name, then its RepoDigests as JSON."""
    lines = [
        join(["docker", "image", "inspect", "--format", image + " {{json .RepoDigests}}", image])
        for image in images
    ]
    return " && ".join(lines) if lines else "true"


def list_containers(app: str) -> str:
    """Every container of the compose project, as ``docker inspect`` JSON (``[]`` if none)."""
    project = shlex.quote(f"label=com.docker.compose.project={app}")
    return (
        f"ids=$(docker ps -aq --filter {project}); "
        'if [ -n "$ids" ]; then docker inspect $ids; else echo "[]"; fi'
    )


def health_states(ids: Sequence[str]) -> str:
    template = (
        "{{.Id}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}"
    )
    return join(["docker", "inspect", "--format", template, *ids])


def scale_up(files: ReleaseFiles, service: str, total: int | str) -> str:
    """Start new replicas beside the running ones: existing containers are left alone."""
    return compose(
        files, "up", "-d", "--no-deps", "--no-recreate", "--scale", f"{service}={total}", service
    )


def recreate(files: ReleaseFiles, services: Sequence[str]) -> str:
    return compose(files, "up", "-d", "--no-deps", *services)


def up_all(files: ReleaseFiles, *extra: str) -> str:
    return compose(files, "up", "-d", *extra)


def drain(container: str, command: str) -> str:
    return join(["docker", "exec", container, "sh", "-c", command])


def stop(ids: Sequence[str], grace: float) -> str:
    return join(["docker", "stop", "-t", str(max(1, round(grace))), *ids])


def start(ids: Sequence[str]) -> str:
    return join(["docker", "start", *ids])


def remove(ids: Sequence[str]) -> str:
    return join(["docker", "rm", "-f", *ids])


def container_evidence(container: str, lines: int = 50) -> str:
    """The health log and last log lines of a container, for the failure report."""
    return (
        join(["docker", "inspect", "--format", "{{json .State.Health}}", container])
        + " ; "
        + join(["docker", "logs", "--tail", str(lines), container])
        + " 2>&1"
    )


def activate(release: ReleaseFiles, site: ReleaseFiles) -> str:
    """Copy a staged release's files over the serving ones, each by an atomic rename."""
    steps = []
    pairs = [(release.compose_file, site.compose_file), (release.pin_file, site.pin_file)]
    if release.has_env:
        pairs.append((release.env_file, site.env_file))
    for source, target in pairs:
        temp = f"{target}.tmp"
        steps.append(join(["cp", "-p", source, temp]) + " && " + join(["mv", "-f", temp, target]))
    # Without an env_file setting the site's own .env (an operator's) is kept as it is.
    return " && ".join(steps)


def read_sites(sites_dir: str, exclude: str) -> str:
    """Print every other site's compose file, each after a NUL-framed header with its name."""
    script = (
        'for d in "$1"/*/; do n=$(basename "$d"); [ "$n" = "$2" ] && continue; '
        'f="$d/docker-compose.yml"; [ -f "$f" ] || continue; '
        'printf \'\\0%s\\0\' "$n"; head -c 1000000 "$f"; done'
    )
    return join(["sh", "-c", script, "sh", sites_dir, exclude])


def running_labels() -> str:
    """Labels and environment of every running container, for the cross-site check."""
    return (
        'ids=$(docker ps -q); if [ -n "$ids" ]; then docker inspect --format '
        "'{{json .Config.Labels}}\t{{json .Config.Env}}' $ids; fi"
    )


def read_file(path: str) -> str:
    return join(["sh", "-c", 'if [ -f "$1" ]; then cat "$1"; fi', "sh", path])
