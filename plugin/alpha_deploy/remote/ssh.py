"""Open the SSH connection: pinned host key, key authentication, transient retries."""

from __future__ import annotations

import io
import socket

import paramiko
from fabric import Config, Connection
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from alpha_deploy.console import Console
from alpha_deploy.errors import HostError, HostKeyMismatch, InvalidSettings
from alpha_deploy.remote.hostkeys import mismatch_error, pin
from alpha_deploy.retries import announce
from alpha_deploy.settings import Settings

KEY_TYPES = (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey)

TRANSIENT = (
    ConnectionRefusedError,
    ConnectionResetError,
    TimeoutError,
    socket.timeout,
    socket.gaierror,
    paramiko.ssh_exception.NoValidConnectionsError,
    EOFError,
)


def is_transient(error: BaseException) -> bool:
    """Refused, reset, timed out or not resolved: worth another attempt."""
    if isinstance(error, paramiko.SSHException) and "Error reading SSH protocol banner" in str(
        error
    ):
        return True
    return isinstance(error, TRANSIENT)


def load_key(settings: Settings) -> paramiko.PKey:
    passphrase = settings.ssh_passphrase.get_secret_value() if settings.ssh_passphrase else None
    if settings.ssh_key is not None:
        text, source = settings.ssh_key.get_secret_value(), "PLUGIN_SSH_KEY"
    elif settings.ssh_key_path:
        source = "PLUGIN_SSH_KEY_PATH"
        try:
            with open(settings.ssh_key_path) as handle:
                text = handle.read()
        except OSError as error:
            raise InvalidSettings(
                f"invalid setting {source}: cannot read the key file ({error.strerror})"
            ) from None
    else:
        raise InvalidSettings(
            "invalid setting PLUGIN_SSH_KEY: no key given; set `ssh_key` "
            "with from_secret, or `ssh_key_path`"
        )
    return parse_key(text, passphrase, source)


def parse_key(text: str, passphrase: str | None, source: str) -> paramiko.PKey:
    for key_type in KEY_TYPES:
        try:
            return key_type.from_private_key(io.StringIO(text.strip() + "\n"), password=passphrase)
        except paramiko.PasswordRequiredException:
            raise InvalidSettings(
                f"invalid setting {source}: the key is encrypted; set "
                "`ssh_passphrase` with from_secret"
            ) from None
        except (paramiko.SSHException, ValueError):
            continue
    raise InvalidSettings(
        f"invalid setting {source}: not an OpenSSH private key of type "
        "ed25519, ecdsa or rsa, or a wrong `ssh_passphrase`"
    )


def new_connection(settings: Settings, key: paramiko.PKey) -> Connection:
    config = Config(overrides={"load_ssh_configs": False, "run": {"in_stream": False}})
    connection = Connection(
        settings.host,
        user=settings.user,
        port=settings.port,
        config=config,
        connect_timeout=max(1, round(settings.connect_timeout)),
        connect_kwargs={
            "pkey": key,
            "look_for_keys": False,
            "allow_agent": False,
            "banner_timeout": settings.connect_timeout,
            "auth_timeout": settings.connect_timeout,
        },
    )
    pin(
        connection.client,
        settings.host,
        settings.port,
        settings.known_hosts,
        settings.host_fingerprint,
    )
    return connection


def describe(error: BaseException | None) -> str:
    if isinstance(error, paramiko.ssh_exception.NoValidConnectionsError):
        return "connection refused"
    return f"{type(error).__name__}: {error}".rstrip(": ")


def connect(settings: Settings, console: Console) -> Connection:
    """A connection that is open, authenticated, and talking to the pinned host."""
    key = load_key(settings)
    target = f"{settings.user}@{settings.host}:{settings.port}"
    connection = new_connection(settings, key)
    retrying = Retrying(
        stop=stop_after_attempt(settings.connect_attempts),
        wait=wait_exponential(multiplier=0.5, max=8),
        retry=retry_if_exception(is_transient),
        before_sleep=announce(console, "connect", settings.connect_attempts, describe),
        reraise=True,
    )
    try:
        retrying(connection.open)
    except HostKeyMismatch:
        raise
    except paramiko.BadHostKeyException as error:
        raise mismatch_error(settings.host, settings.port, error) from None
    except paramiko.AuthenticationException:
        raise HostError(
            f"authentication as {target} failed: the host does not accept the key "
            "in ssh_key/ssh_key_path; add its public key to the user's "
            "authorized_keys"
        ) from None
    except Exception as error:
        if not is_transient(error) and not isinstance(error, (OSError, paramiko.SSHException)):
            raise
        raise HostError(
            f"cannot reach {target} after {settings.connect_attempts} attempt(s): "
            f"{describe(error)}; check host, port and that sshd runs "
            "(PLUGIN_HOST, PLUGIN_PORT, PLUGIN_CONNECT_ATTEMPTS)"
        ) from None
    return connection
