"""Where the local Alpha keeps its state, and the fixed addresses it serves on."""

import os
from pathlib import Path

STATE_DIR = Path(os.environ.get("LOCAL_ALPHA_STATE", "/var/lib/local-alpha"))
SITES_DIR = Path("/opt/alpha/sites")
DEPLOY_USER = "deploy"

SSH_HOST = "127.0.0.1"
SSH_PORT = 2222
REGISTRY = "127.0.0.1:5000"
EDGE_HTTPS_PORT = 8443
EDGE_HTTP_PORT = 8080
EDGE_API_PORT = 8099
DEMO_REPOSITORY = f"{REGISTRY}/mintel/demo"

SSH_DIR = STATE_DIR / "ssh"
CLIENT_KEY = SSH_DIR / "client_ed25519"
KNOWN_HOSTS = SSH_DIR / "known_hosts"
CA_DIR = STATE_DIR / "ca"
CA_CERT = CA_DIR / "ca.pem"
CA_KEY = CA_DIR / "ca.key"


def pid_file(name: str) -> Path:
    """The pid file of a daemon that `up` started."""
    return STATE_DIR / f"{name}.pid"


def log_file(name: str) -> Path:
    """The log file of a daemon that `up` started."""
    return STATE_DIR / f"{name}.log"
