"""Unit tests of the deploy's pure parts: commands as data, image references, host keys."""

from __future__ import annotations

import shlex

import paramiko
import pytest

from alpha_deploy.deploy import commands
from alpha_deploy.deploy.images import ImageRef, belongs_to_app, parse_digests
from alpha_deploy.deploy.lock import describe_holder
from alpha_deploy.errors import HostKeyMismatch, InvalidSettings
from alpha_deploy.remote.hostkeys import PinnedKeyPolicy, fingerprint, parse_known_hosts, pin

STAGED = commands.staged("shop", "/opt/alpha/sites/shop", "r1", has_env=True)


def test_compose_reads_exactly_the_release_files():
    """Every compose call names the project, the site directory and the release's files."""
    line = commands.pull(STAGED, [])

    assert shlex.split(line) == [
        "docker", "compose", "-p", "shop", "--project-directory", "/opt/alpha/sites/shop",
        "-f", "/opt/alpha/sites/shop/.alpha/releases/r1/docker-compose.yml",
        "-f", "/opt/alpha/sites/shop/.alpha/releases/r1/docker-compose.override.yml",
        "--env-file", "/opt/alpha/sites/shop/.alpha/releases/r1/.env", "pull", "--quiet",
    ]  # fmt: skip


def test_scale_up_keeps_the_old_replicas():
    """Start-first: new replicas are added beside the running ones, none is recreated."""
    argv = shlex.split(commands.scale_up(STAGED, "web", 4))

    assert argv[-7:] == ["up", "-d", "--no-deps", "--no-recreate", "--scale", "web=4", "web"]


def test_drain_command_is_one_quoted_argument():
    """A drain command with shell syntax reaches `sh -c` as a single argument."""
    argv = shlex.split(commands.drain("abc123", "rm -f /www/health; echo 'bye'"))

    assert argv == ["docker", "exec", "abc123", "sh", "-c", "rm -f /www/health; echo 'bye'"]


def test_hostile_values_cannot_escape_their_quotes():
    """A site directory with shell metacharacters stays one argument in every command."""
    files = commands.current("a", "/opt/alpha/sites/a$(reboot)", has_env=False)

    argv = shlex.split(commands.up_all(files, "--remove-orphans"))

    assert "/opt/alpha/sites/a$(reboot)" in argv


def test_activate_replaces_each_file_by_rename_and_keeps_an_operator_env():
    """Activation copies to a temp name and renames; without env_file the site's .env stays."""
    site = commands.current("shop", "/s/shop", has_env=False)
    release = commands.staged("shop", "/s/shop", "r2", has_env=False)

    line = commands.activate(release, site)

    assert "mv -f /s/shop/docker-compose.yml.tmp /s/shop/docker-compose.yml" in line
    assert ".env" not in line


@pytest.mark.parametrize(
    ("text", "repository", "tag", "digest"),
    [
        ("nginx", "nginx", None, None),
        ("127.0.0.1:5000/mintel/demo:v1", "127.0.0.1:5000/mintel/demo", "v1", None),
        ("reg.example/a/b:1@sha256:ab", "reg.example/a/b", "1", "sha256:ab"),
        ("reg.example:443/a/b@sha256:cd", "reg.example:443/a/b", None, "sha256:cd"),
    ],
)
def test_image_references_parse_like_docker(text, repository, tag, digest):
    """Registry ports, tags and digests are told apart as Docker does."""
    ref = ImageRef.parse(text)

    assert (ref.repository, ref.tag, ref.digest) == (repository, tag, digest)
    assert str(ref) == text


def test_tag_setting_selects_only_this_apps_images():
    """`tag` applies to REGISTRY/ORG/APP images and to no other image."""
    assert belongs_to_app(ImageRef.parse("reg.io/mintel/shop:1"), "reg.io", "shop")
    assert not belongs_to_app(ImageRef.parse("reg.io/mintel/other:1"), "reg.io", "shop")
    assert not belongs_to_app(ImageRef.parse("evil.io/mintel/shop:1"), "reg.io", "shop")


def test_digests_are_taken_from_the_images_own_repository():
    """A RepoDigests entry of another repository never pins the image."""
    text = 'r.io/a/shop:v2 ["r.io/other/x@sha256:bad","r.io/a/shop@sha256:good"]\n'

    assert parse_digests(text) == {"r.io/a/shop:v2": "sha256:good"}


def test_lock_holder_is_described_or_called_unknown():
    """The waiting run names the pipeline holding the lock, and survives a garbled note."""
    note = '{"pipeline": "https://ci/p/12", "action": "deploy", "since": "2026-01-01T00:00:00Z"}'

    assert describe_holder(note) == "https://ci/p/12 (deploy) since 2026-01-01T00:00:00Z"
    assert describe_holder("{oops") == "an unknown holder"


def test_unpinned_host_key_is_refused_with_the_presented_fingerprint():
    """A host not in known_hosts and not matching the fingerprint is refused, showing its key."""
    key = paramiko.ECDSAKey.generate()
    policy = PinnedKeyPolicy("alpha", 22, "SHA256:" + "A" * 43)

    with pytest.raises(HostKeyMismatch) as error:
        policy.missing_host_key(None, "alpha", key)

    assert fingerprint(key) in str(error.value)
    assert "ssh-keyscan" in str(error.value)


def test_pinned_fingerprint_is_accepted():
    """The key whose SHA256 fingerprint the settings pin is accepted."""
    key = paramiko.ECDSAKey.generate()

    PinnedKeyPolicy("alpha", 22, fingerprint(key)).missing_host_key(None, "alpha", key)


def test_known_hosts_lines_are_loaded_for_the_port():
    """A `[host]:port` known_hosts line pins the key for that port."""
    key = paramiko.ECDSAKey.generate()
    line = f"[127.0.0.1]:2222 {key.get_name()} {key.get_base64()}"

    keys = parse_known_hosts(line)

    assert keys.lookup("[127.0.0.1]:2222")[key.get_name()] == key


def test_no_pin_at_all_is_an_invalid_setting():
    """Without known_hosts or a fingerprint the plugin refuses to connect at all."""
    with pytest.raises(InvalidSettings, match="PLUGIN_KNOWN_HOSTS"):
        pin(paramiko.SSHClient(), "alpha", 22, None, None)


def test_garbage_known_hosts_names_the_line():
    """A known_hosts value that is not a key line gets an error with its line number."""
    with pytest.raises(InvalidSettings, match="line 2"):
        parse_known_hosts("# comment\nnot a key line at all")
