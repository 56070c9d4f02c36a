"""Image retention: keep what a rollback needs, drop this site's older releases.

After a release serves, the staged files and images of the last
``keep_releases`` releases of the site stay on the host, so a rollback needs
no registry. Older release directories of this site are removed, and so are
their images, unless anything else names them: a kept release, a container
(running or not), or any file of another site. ``docker image rm`` runs
without force, so Docker itself refuses an image that a container still uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from alpha_deploy.console import Console
from alpha_deploy.deploy import commands, history
from alpha_deploy.deploy.images import ImageRef
from alpha_deploy.errors import AlphaDeployError
from alpha_deploy.remote.host import Host
from alpha_deploy.settings import Settings


def kept_ids(entries: Sequence[history.Entry], current_id: str | None, keep: int) -> list[str]:
    """The releases to keep: the serving one, then the most recently served ones."""
    recent = history.recent_releases(entries)
    ordered = ([current_id] if current_id else []) + [i for i in recent if i != current_id]
    return ordered[:keep]


def prunable_ids(
    entries: Sequence[history.Entry], staged: Iterable[str], kept: Iterable[str]
) -> list[str]:
    """Staged release directories the history knows and that fall outside the kept ones."""
    known = {e["id"] for e in entries}
    keep = set(kept)
    return sorted(i for i in staged if i in known and i not in keep)


def names_of(image: str) -> set[str]:
    """Every way a file or container may name the image: with tag, digest, or both."""
    ref = ImageRef.parse(image)
    names = {image, ref.unpinned}
    if ref.digest:
        names.add(f"{ref.repository}@{ref.digest}")
    return names


def images_of(entries: Sequence[history.Entry], ids: Iterable[str]) -> set[str]:
    wanted = set(ids)
    return {
        image for e in entries if e["id"] in wanted for image in (e.get("images") or {}).values()
    }


def removable_images(candidates: Iterable[str], protected: Iterable[str]) -> list[str]:
    """Candidates no protected reference names, by tag or by digest."""
    guarded = {name for image in protected for name in names_of(image)}
    return sorted(image for image in candidates if not names_of(image) & guarded)


def image_lines(text: str) -> set[str]:
    """Image references from ``image:`` lines of compose files, and bare references."""
    found = set()
    for line in text.splitlines():
        value = line.strip().removeprefix("image:").strip().strip("'\"")
        if value and " " not in value and not value.startswith("#"):
            found.add(value)
    return found


def list_staged(site_dir: str) -> str:
    return commands.join(
        [
            "sh",
            "-c",
            'ls -1 "$1" 2>/dev/null || true',
            "sh",
            f"{commands.state_dir(site_dir)}/releases",
        ]
    )


def references_elsewhere(sites_dir: str, app: str) -> str:
    """Images named by every other site's files, and by every container on the host."""
    script = (
        'for d in "$1"/*/; do [ "$(basename "$d")" = "$2" ] && continue; '
        'for f in "$d"docker-compose*.yml "$d".alpha/releases/*/docker-compose*.yml; do '
        '[ -f "$f" ] && grep -h "image:" "$f"; done; done; '
        "docker ps -a --format '{{.Image}}'; true"
    )
    return commands.join(["sh", "-c", script, "sh", sites_dir, app])


def remove_dirs(site_dir: str, ids: Sequence[str]) -> str:
    base = f"{commands.state_dir(site_dir)}/releases"
    return commands.join(["rm", "-rf", *(f"{base}/{i}" for i in ids)])


def remove_image(image: str) -> str:
    names = sorted(n for n in names_of(image) if n != image) or [image]
    return commands.join(["docker", "image", "rm", *names])


def prune(host: Host, settings: Settings, current_id: str, console: Console) -> None:
    """Remove this site's releases older than the last ``keep_releases``, and their images.

    The release already serves: a failure here is a warning, never a failed run.
    """
    try:
        prune_releases(host, settings, current_id, console)
    except AlphaDeployError as error:
        console.warn(f"pruning old releases failed, they stay on the host: {error}")


def prune_releases(host: Host, settings: Settings, current_id: str, console: Console) -> None:
    try:
        entries = history.read_history(host, settings.site_dir)
    except history.CorruptHistory:
        return  # without a history nothing says which releases are old
    kept = kept_ids(entries, current_id, settings.keep_releases)
    staged = host.run(list_staged(settings.site_dir), quiet=True).stdout.split()
    old = prunable_ids(entries, staged, kept)
    if not old:
        return
    console.phase(
        "Pruning old releases",
        releases=len(old),
        keep=f"{settings.keep_releases} (PLUGIN_KEEP_RELEASES)",
    )
    host.run(remove_dirs(settings.site_dir, old))
    elsewhere = image_lines(
        host.run(references_elsewhere(settings.sites_dir, settings.app), quiet=True).stdout
    )
    protected = images_of(entries, kept) | elsewhere
    for image in removable_images(images_of(entries, old), protected):
        result = host.run(remove_image(image), check=False, quiet=True)
        console.info(f"removed image {image}" if result.ok else f"kept {image}: {result.tail(1)}")
