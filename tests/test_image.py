"""The plugin image, run the way Woodpecker runs a plugin step."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from alpha_deploy.errors import ExitCode

pytestmark = pytest.mark.host

ROOT = Path(__file__).resolve().parent.parent
IMAGE = "mintel/alpha-deploy:dev"
WORKSPACE = "/woodpecker/src/git.example/mintel/demo"
EXAMPLE_SITE = ROOT / "tests" / "examples" / "demo"


@pytest.fixture(scope="session")
def plugin_image() -> str:
    """The image built from this tree by scripts/build-image (quick when nothing changed)."""
    subprocess.run([str(ROOT / "scripts" / "build-image"), IMAGE], check=True, timeout=900)
    return IMAGE


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A copy of the example site that the image's unprivileged user may write its report to."""
    site = tmp_path / "demo"
    shutil.copytree(EXAMPLE_SITE, site)
    site.chmod(0o777)
    return site


def woodpecker_run(image: str, workspace: Path, *env: str) -> subprocess.CompletedProcess[str]:
    """`docker run` as a Woodpecker agent does it: workspace mount, CI_* and PLUGIN_* set."""
    ci = [
        "CI=woodpecker",
        f"CI_WORKSPACE={WORKSPACE}",
        "CI_REPO=mintel/demo",
        "CI_REPO_NAME=demo",
        "CI_COMMIT_SHA=3f2c1a9e3f2c1a9e3f2c1a9e3f2c1a9e3f2c1a9e",
        "CI_PIPELINE_EVENT=push",
        "CI_STEP_NAME=deploy",
    ]
    flags = [part for variable in [*ci, *env] for part in ("-e", variable)]
    mount = f"{workspace}:{WORKSPACE}"
    return subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "-v", mount, "-w", WORKSPACE, *flags, image],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_dry_run_of_the_example_site_in_the_image(plugin_image: str, workspace: Path) -> None:
    """The image dry-runs the example site from a Woodpecker workspace, with no network at all."""
    completed = woodpecker_run(
        plugin_image,
        workspace,
        "PLUGIN_DRY_RUN=true",
        "PLUGIN_REGISTRY=127.0.0.1:5000",
        "PLUGIN_REPORT_FILE=alpha-report.json",
    )

    report = json.loads((workspace / "alpha-report.json").read_text())
    assert completed.returncode == ExitCode.OK, completed.stdout + completed.stderr
    assert "\033[1;36m--> Plan: a real run would execute on the host" in completed.stdout
    assert (report["outcome"], report["app"], report["dry_run"]) == ("success", "demo", True)


def test_bad_setting_in_the_image_exits_2_without_traceback(
    plugin_image: str, workspace: Path
) -> None:
    """A bad PLUGIN_PORT fails the step with exit 2 and one line, also inside the image."""
    completed = woodpecker_run(plugin_image, workspace, "PLUGIN_DRY_RUN=true", "PLUGIN_PORT=ssh")

    output = completed.stdout + completed.stderr
    assert completed.returncode == ExitCode.INVALID
    assert "PLUGIN_PORT = 'ssh': must be a whole number" in output
    assert "Traceback" not in output


def test_image_runs_unprivileged_with_the_plugin_as_entrypoint(plugin_image: str) -> None:
    """The entrypoint is alpha-deploy, run by a non-root user, with unbuffered Python."""
    inspect = subprocess.run(
        ["docker", "image", "inspect", plugin_image], capture_output=True, text=True, check=True
    )
    config = json.loads(inspect.stdout)[0]["Config"]

    version = subprocess.run(
        ["docker", "run", "--rm", plugin_image, "--version"], capture_output=True, text=True
    )

    assert config["Entrypoint"] == ["alpha-deploy"]
    assert config["User"] not in ("", "root", "0")
    assert "PYTHONUNBUFFERED=1" in config["Env"]
    assert version.stdout.startswith("alpha-deploy ")
