"""The demo app images, pushed as 127.0.0.1:5000/mintel/demo:TAG.

- `v1`, `v2`: ready at once; `/` answers `demo v1 <container hostname>`.
- `broken`: never healthy (`/health` is 404).
- `slow`: `/health` turns 200 about 20 s after start (DEMO_HEALTHY_AFTER).

Every tag serves `/health` on port 8080, has `wget` for the compose
healthcheck `wget -q -O - http://localhost:8080/health`, answers
`/cgi-bin/sleep?N` after N seconds, echoes requests on `/cgi-bin/echo`, and
exits 0 at once on SIGTERM.
DRAIN_COMMAND, run in a container, removes the health file so the container
turns unhealthy and the edge stops routing to it.
"""

import hashlib
import json
import os
import shutil
import tempfile
import urllib.request
from pathlib import Path

from local_alpha import state
from local_alpha.system import apt_install, run, say

DRAIN_COMMAND = "rm -f /www/health"
TAGS = {"v1": "ready", "v2": "ready", "broken": "broken", "slow": "slow"}
SOURCE_DIR = Path(__file__).parent / "demo"
INPUTS = ("Dockerfile", "init.sh", "sleep.cgi", "echo.cgi")
STAMP = state.STATE_DIR / "demo-images.sha256"
BUSYBOX = Path("/bin/busybox")


def ensure_images() -> None:
    """Build and push the demo tags unless the registry has this very build."""
    stamp = _inputs_digest()
    if _stamp_matches(stamp) and all(tag_in_registry(tag) for tag in TAGS):
        return
    apt_install(["busybox-static"])
    say(f"Building demo images {', '.join(TAGS)} into {state.DEMO_REPOSITORY}")
    with tempfile.TemporaryDirectory(prefix="local-alpha-demo-") as context:
        _fill_context(Path(context))
        for tag, mode in TAGS.items():
            _build_and_push(Path(context), tag, mode)
    STAMP.write_text(stamp)


def image(tag: str) -> str:
    """The full reference of a demo tag."""
    return f"{state.DEMO_REPOSITORY}:{tag}"


def tag_in_registry(tag: str) -> bool:
    """Whether the registry serves a manifest for the demo tag."""
    request = urllib.request.Request(
        f"http://{state.REGISTRY}/v2/mintel/demo/manifests/{tag}",
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
        method="HEAD",
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (fixed http URL)
            return response.status == 200
    except OSError:
        return False


def _fill_context(context: Path) -> None:
    for name in INPUTS:
        shutil.copy2(SOURCE_DIR / name, context / name)
    shutil.copy2(BUSYBOX, context / "busybox")


def _build_and_push(context: Path, tag: str, mode: str) -> None:
    # The legacy builder: buildx is not installed and the engine is 20.10.
    env = {**os.environ, "DOCKER_BUILDKIT": "0"}
    build_args = ["--build-arg", f"VERSION={tag}", "--build-arg", f"MODE={mode}"]
    run(["docker", "build", "-q", *build_args, "-t", image(tag), str(context)], env=env)
    run(["docker", "push", "-q", image(tag)])


def _inputs_digest() -> str:
    digest = hashlib.sha256(json.dumps(TAGS).encode())
    for name in INPUTS:
        digest.update((SOURCE_DIR / name).read_bytes())
    return digest.hexdigest()


def _stamp_matches(stamp: str) -> bool:
    return STAMP.exists() and STAMP.read_text() == stamp
