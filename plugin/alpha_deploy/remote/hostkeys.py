"""Host key pinning: the host must present the key the settings name, or nothing runs.

fabric accepts unknown host keys silently by default; this module replaces
that policy with one that compares the presented key with ``known_hosts``
lines or a ``SHA256:`` fingerprint and refuses anything else.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import paramiko

from alpha_deploy.errors import HostKeyMismatch, InvalidSettings


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH's ``SHA256:...`` form of a public key (no padding)."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def known_hosts_name(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


def how_to_fetch(host: str, port: int) -> str:
    return (
        f"fetch the right value on a trusted machine with `ssh-keyscan -p {port} {host}` "
        f"(for known_hosts) or `ssh-keyscan -p {port} {host} | ssh-keygen -lf -` "
        "(for host_fingerprint)"
    )


def parse_known_hosts(text: str) -> paramiko.HostKeys:
    keys = paramiko.HostKeys()
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            entry = paramiko.hostkeys.HostKeyEntry.from_line(line, number)
        except (paramiko.SSHException, paramiko.hostkeys.InvalidHostKey, ValueError) as error:
            raise InvalidSettings(
                f"invalid setting PLUGIN_KNOWN_HOSTS line {number}: {error}"
            ) from None
        if entry is None:
            raise InvalidSettings(
                f"invalid setting PLUGIN_KNOWN_HOSTS line {number}: not a known_hosts line "
                "(expected `HOST KEYTYPE BASE64KEY`, as `ssh-keyscan` prints)"
            )
        for name in entry.hostnames:
            keys.add(name, entry.key.get_name(), entry.key)
    return keys


class PinnedKeyPolicy(paramiko.MissingHostKeyPolicy):  # type: ignore[misc]  # paramiko is untyped
    """Called when the host is not in the pinned known_hosts: accept only the pinned fingerprint."""

    def __init__(self, host: str, port: int, pinned_fingerprint: str | None) -> None:
        self.host, self.port = host, port
        self.pinned = pinned_fingerprint.rstrip("=") if pinned_fingerprint else None

    def missing_host_key(self, client: Any, hostname: str, key: paramiko.PKey) -> None:
        presented = fingerprint(key)
        if self.pinned is not None and presented == self.pinned:
            return
        expected = (
            f"host_fingerprint {self.pinned}"
            if self.pinned
            else f"no known_hosts entry for {known_hosts_name(self.host, self.port)}"
        )
        raise HostKeyMismatch(
            f"host key of {self.host}:{self.port} is not pinned: it presented "
            f"{key.get_name()} {presented}, the settings have {expected}; "
            + how_to_fetch(self.host, self.port)
        )


def mismatch_error(host: str, port: int, error: paramiko.BadHostKeyException) -> HostKeyMismatch:
    return HostKeyMismatch(
        f"host key of {host}:{port} CHANGED: it presented {error.key.get_name()} "
        f"{fingerprint(error.key)}, known_hosts pins {fingerprint(error.expected_key)}; "
        "refusing to connect (if the host was really re-keyed, " + how_to_fetch(host, port) + ")"
    )


def pin(
    client: paramiko.SSHClient,
    host: str,
    port: int,
    known_hosts: str | None,
    host_fingerprint: str | None,
) -> None:
    """Make ``client`` trust exactly the pinned key for ``host``."""
    if not known_hosts and not host_fingerprint:
        raise InvalidSettings(
            "invalid setting PLUGIN_KNOWN_HOSTS: the host key must be pinned; set `known_hosts` "
            f"or `host_fingerprint` ({how_to_fetch(host, port)})"
        )
    if known_hosts:
        pinned = parse_known_hosts(known_hosts)
        stored = client.get_host_keys()
        for name in pinned:
            for key_type, key in pinned[name].items():
                stored.add(name, key_type, key)
    client.set_missing_host_key_policy(PinnedKeyPolicy(host, port, host_fingerprint))
