"""Release history of a site, kept on the host beside the site.

One JSON object per line in ``.alpha/history.jsonl``, newest last, so an
operator can read it with ``cat`` or ``tail``. The file is rewritten through
a temporary file and a rename, so a cut connection never leaves half of it.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Mapping
from typing import Any

from alpha_deploy.deploy import commands
from alpha_deploy.errors import HostError
from alpha_deploy.remote.host import Host

MAX_ENTRIES = 200


def history_path(site_dir: str) -> str:
    return f"{commands.state_dir(site_dir)}/history.jsonl"


def parse_history(text: str, path: str) -> list[dict[str, Any]]:
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            raise CorruptHistory(f"{path}:{number} is not valid JSON") from None
        if not isinstance(entry, dict):
            raise CorruptHistory(f"{path}:{number} is not a JSON object")
        entries.append(entry)
    return entries


class CorruptHistory(HostError):
    """The history file on the host cannot be read; it is kept aside, never overwritten."""


def read_history(host: Host, site_dir: str) -> list[dict[str, Any]]:
    path = history_path(site_dir)
    text = host.run(commands.read_file(path), quiet=True).stdout
    return parse_history(text, path)


def keep_aside(host: Host, site_dir: str) -> str:
    """Move a corrupt history out of the way, keeping it for a person to read."""
    path = history_path(site_dir)
    aside = f"{path}.corrupt-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
    host.run(shlex.join(["mv", "-f", path, aside]))
    return aside


def append(
    host: Host, site_dir: str, entry: Mapping[str, Any], entries: list[dict[str, Any]]
) -> None:
    kept = [*entries, dict(entry)][-MAX_ENTRIES:]
    text = "".join(json.dumps(item, sort_keys=True) + "\n" for item in kept)
    host.write_file(history_path(site_dir), text, mode="644")
