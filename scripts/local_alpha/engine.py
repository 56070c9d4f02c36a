"""The Docker engine and the Compose v2 CLI plugin.

Debian 12 ships the engine (docker.io 20.10) but only Compose v1, so Compose v2
comes from Debian 13's `docker-compose` package, fetched from the same mirror
the machine already uses and unpacked by hand (the binary needs only libc).
"""

import re
import shutil
import tempfile
from pathlib import Path

from local_alpha import state
from local_alpha.system import (
    SetupError,
    apt_install,
    read_pid,
    run,
    say,
    start_daemon,
    stop_daemon,
    succeeds,
    wait_for,
)

ENGINE_DEADLINE_S = 60
COMPOSE_PLUGIN = Path("/usr/local/lib/docker/cli-plugins/docker-compose")
COMPOSE_DEB_PATH = "usr/libexec/docker/cli-plugins/docker-compose"
SOURCES = [Path("/etc/apt/sources.list.d"), Path("/etc/apt/sources.list")]


def engine_answers() -> bool:
    """Whether the docker client can talk to an engine."""
    return succeeds(["docker", "version", "--format", "{{.Server.Version}}"])


def compose_works() -> bool:
    """Whether `docker compose` is Compose v2."""
    return succeeds(["docker", "compose", "version"])


def ensure_engine() -> None:
    """Start dockerd unless an engine already answers."""
    if engine_answers():
        return
    apt_install(["docker.io"])
    if shutil.which("docker") is None:
        raise SetupError("docker.io is installed but no docker client is on PATH")
    say(f"Starting dockerd (log {state.log_file('dockerd')})")
    start_daemon("dockerd", ["dockerd"])
    wait_for("the Docker engine", engine_answers, ENGINE_DEADLINE_S)


def ensure_compose() -> None:
    """Install the Compose v2 plugin from Debian trixie unless it already works."""
    if compose_works():
        return
    if succeeds(["apt-cache", "show", "docker-compose-v2"]):
        apt_install(["docker-compose-v2"])  # Ubuntu packages Compose v2 itself
        if compose_works():
            return
    say("Installing Compose v2 from Debian trixie's docker-compose package")
    with tempfile.TemporaryDirectory(prefix="local-alpha-compose-") as tmp:
        deb = _download_trixie_compose(Path(tmp))
        run(["dpkg-deb", "-x", str(deb), f"{tmp}/root"])
        COMPOSE_PLUGIN.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f"{tmp}/root/{COMPOSE_DEB_PATH}", COMPOSE_PLUGIN)
    COMPOSE_PLUGIN.chmod(0o755)
    if not compose_works():
        raise SetupError(f"{COMPOSE_PLUGIN} installed but `docker compose version` fails")


def _download_trixie_compose(workdir: Path) -> Path:
    """Fetch docker-compose_*.deb for trixie through a throw-away apt setup."""
    mirror = debian_mirror()
    apt_dir = workdir / "apt"
    (apt_dir / "lists/partial").mkdir(parents=True)
    (apt_dir / "cache/archives/partial").mkdir(parents=True)
    (apt_dir / "sources.list").write_text(f"deb {mirror} trixie main\n")
    options = [
        "-o", f"Dir::Etc::SourceList={apt_dir}/sources.list",
        "-o", "Dir::Etc::SourceParts=-",
        "-o", f"Dir::State::Lists={apt_dir}/lists",
        "-o", f"Dir::Cache={apt_dir}/cache",
        "-o", "Dir::State::status=/dev/null",
        "-o", "APT::Get::List-Cleanup=false",
    ]  # fmt: skip
    run(["apt-get", *options, "update", "-qq"])
    run(["apt-get", *options, "download", "docker-compose"], cwd=workdir)
    debs = sorted(workdir.glob("docker-compose_*.deb"))
    if not debs:
        raise SetupError("apt-get download docker-compose produced no .deb")
    return debs[-1]


def debian_mirror() -> str:
    """The Debian mirror URI this machine's own apt sources use."""
    for text in _apt_source_texts():
        for uri, suites in _sources(text):
            if "security" not in uri and any(not s.endswith("-security") for s in suites):
                return uri
    raise SetupError("no Debian mirror found in /etc/apt/sources.list(.d)")


def _apt_source_texts() -> list[str]:
    texts = []
    for source in SOURCES:
        files = sorted(source.glob("*")) if source.is_dir() else [source]
        texts += [f.read_text() for f in files if f.suffix in (".list", ".sources") and f.exists()]
    return texts


def _sources(text: str) -> list[tuple[str, list[str]]]:
    """(URI, suites) pairs from a one-line or deb822 sources file, Debian only."""
    pairs = []
    for line in text.splitlines():
        match = re.match(r"\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)", line)
        if match:
            pairs.append((match[1], [match[2]]))
    for stanza in re.split(r"\n\s*\n", text):
        fields = dict(re.findall(r"^(\w[\w-]*):\s*(.*)$", stanza, flags=re.M))
        if "URIs" in fields and "deb" in fields.get("Types", "").split():
            pairs += [(uri, fields.get("Suites", "").split()) for uri in fields["URIs"].split()]
    return [(uri.rstrip("/"), suites) for uri, suites in pairs if _is_debian(suites)]


def _is_debian(suites: list[str]) -> bool:
    names = ("bookworm", "trixie", "sid", "stable", "testing", "bullseye", "unstable")
    return any(s.split("-")[0] in names for s in suites)


def engine_started_by_us() -> bool:
    """Whether the running dockerd is the one `up` started."""
    return read_pid("dockerd") is not None


def stop_engine() -> bool:
    """Stop dockerd if `up` started it."""
    return stop_daemon("dockerd", seconds=30)
