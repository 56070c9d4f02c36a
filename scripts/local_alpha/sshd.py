"""A second sshd on 127.0.0.1:2222 that lets only the deploy user in, by key.

It has its own host key and config under STATE_DIR, so it never touches a
system sshd; `UsePAM no` needs the deploy account unlocked (`usermod -p '*'`)
or sshd refuses even key logins.
"""

import pwd
import shutil
from pathlib import Path

from local_alpha import state
from local_alpha.system import (
    apt_install,
    port_open,
    read_pid,
    run,
    say,
    start_daemon,
    stop_daemon,
    succeeds,
    wait_for,
)

HOST_KEY = state.SSH_DIR / "ssh_host_ed25519_key"
CONFIG = state.SSH_DIR / "sshd_config"


def ensure_sshd() -> None:
    """Make the deploy user, the keys and the config, then start sshd."""
    apt_install(["openssh-server", "openssh-client"])
    ensure_deploy_user()
    ensure_keys()
    _write_config()
    if read_pid("sshd") and port_open(state.SSH_PORT):
        return
    say(f"Starting sshd on {state.SSH_HOST}:{state.SSH_PORT}")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation dir
    run(["/usr/sbin/sshd", "-t", "-f", str(CONFIG)])
    start_daemon("sshd", ["/usr/sbin/sshd", "-D", "-e", "-f", str(CONFIG)])
    wait_for("sshd", lambda: port_open(state.SSH_PORT), 20)


def ensure_deploy_user() -> None:
    """Create `deploy` in the docker group and give it /opt/alpha/sites."""
    user = state.DEPLOY_USER
    run(["groupadd", "--force", "docker"])
    if not succeeds(["id", user]):
        run(["useradd", "--create-home", "--shell", "/bin/bash", "--groups", "docker", user])
    run(["usermod", "-aG", "docker", "-p", "*", user])
    state.SITES_DIR.mkdir(parents=True, exist_ok=True)
    shutil.chown(state.SITES_DIR, user, user)
    _authorize_client_key(Path(pwd.getpwnam(user).pw_dir))


def ensure_keys() -> None:
    """Generate the host key, the client key pair and the known_hosts line once."""
    state.SSH_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
    for key in (HOST_KEY, state.CLIENT_KEY):
        if not key.exists():
            run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "local-alpha", "-f", str(key)]
            )
    public = Path(f"{HOST_KEY}.pub").read_text().split()
    state.KNOWN_HOSTS.write_text(f"[{state.SSH_HOST}]:{state.SSH_PORT} {public[0]} {public[1]}\n")


def known_hosts_line() -> str:
    """The known_hosts line that pins this sshd's host key."""
    return state.KNOWN_HOSTS.read_text().strip()


def _authorize_client_key(home: Path) -> None:
    ensure_keys()
    ssh_dir = home / ".ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    authorized = ssh_dir / "authorized_keys"
    authorized.write_text(Path(f"{state.CLIENT_KEY}.pub").read_text())
    authorized.chmod(0o600)
    for path in (ssh_dir, authorized):
        shutil.chown(path, state.DEPLOY_USER, state.DEPLOY_USER)


def _write_config() -> None:
    CONFIG.write_text(
        f"""# sshd for the local Alpha; written by scripts/local-alpha up
Port {state.SSH_PORT}
ListenAddress {state.SSH_HOST}
HostKey {HOST_KEY}
PidFile none
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers {state.DEPLOY_USER}
MaxStartups 100:30:200
MaxSessions 50
"""
    )


def sshd_running() -> bool:
    """Whether our sshd answers on its port."""
    return read_pid("sshd") is not None and port_open(state.SSH_PORT)


def stop_sshd() -> bool:
    """Stop our sshd."""
    return stop_daemon("sshd")
