"""Release history of a site, kept on the host beside the site.

One JSON object per line in ``.alpha/history.jsonl``, newest last, so an
operator can read it with ``cat`` or ``tail``. The file is rewritten through
a temporary file and a rename, so a cut connection never leaves half of it.
It keeps the last ``MAX_ENTRIES`` runs.

Each entry is a release (``id``, ``images`` pinned by digest, ``has_env``,
``created_at``, ``pipeline``) plus what the run did with it: ``action``
(deploy or rollback), ``outcome`` (deployed or failed), ``reason`` and
``seconds``. Release ids are unique per deploy; a rollback records the id of
the release it brought back.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Mapping, Sequence
from typing import Any

from alpha_deploy.console import Console
from alpha_deploy.deploy import commands
from alpha_deploy.deploy.images import ImageRef
from alpha_deploy.deploy.release import Release
from alpha_deploy.errors import HostError, InvalidRequest
from alpha_deploy.remote.host import Host

MAX_ENTRIES = 200
SERVED = "deployed"  # the outcome of a run that left its release serving

Entry = dict[str, Any]


def history_path(site_dir: str) -> str:
    return f"{commands.state_dir(site_dir)}/history.jsonl"


class CorruptHistory(HostError):
    """The history file on the host cannot be read; it is kept aside, never overwritten."""


# --- the file -----------------------------------------------------------------
def parse_history(text: str, path: str) -> list[Entry]:
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            raise CorruptHistory(f"{path}:{number} is not valid JSON") from None
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise CorruptHistory(f"{path}:{number} is not a history entry (a JSON object with id)")
        entries.append(entry)
    return entries


def render(entries: Sequence[Mapping[str, Any]]) -> str:
    """The file's text: the newest ``MAX_ENTRIES`` entries, one JSON object per line."""
    return "".join(json.dumps(dict(item), sort_keys=True) + "\n" for item in entries[-MAX_ENTRIES:])


def read_history(host: Host, site_dir: str) -> list[Entry]:
    path = history_path(site_dir)
    text = host.run(commands.read_file(path), quiet=True).stdout
    return parse_history(text, path)


def read_or_keep_aside(host: Host, site_dir: str, console: Console) -> list[Entry]:
    """The history, or an empty one after moving a corrupt file aside and saying so."""
    try:
        return read_history(host, site_dir)
    except CorruptHistory as error:
        aside = keep_aside(host, site_dir)
        console.warn(f"{error}; kept it as {aside} and started a new history")
        return []


def keep_aside(host: Host, site_dir: str) -> str:
    """Move a corrupt history out of the way, keeping it for a person to read."""
    path = history_path(site_dir)
    aside = f"{path}.corrupt-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
    host.run(shlex.join(["mv", "-f", path, aside]))
    return aside


def append(host: Host, site_dir: str, entry: Mapping[str, Any], entries: list[Entry]) -> None:
    host.write_file(history_path(site_dir), render([*entries, dict(entry)]), mode="644")


# --- choosing a release -------------------------------------------------------
def served(entries: Sequence[Entry]) -> list[Entry]:
    """Entries of runs that left their release serving, oldest first."""
    return [e for e in entries if e.get("outcome") == SERVED]


def recent_releases(entries: Sequence[Entry]) -> list[str]:
    """Release ids, most recently served first, each once."""
    seen: list[str] = []
    for entry in reversed(served(entries)):
        if entry["id"] not in seen:
            seen.append(entry["id"])
    return seen


def tags_of(entry: Mapping[str, Any]) -> set[str]:
    return {ImageRef.parse(image).tag or "" for image in (entry.get("images") or {}).values()}


def deployed_in_order(entries: Sequence[Entry]) -> list[Entry]:
    """Each deployed release once, in the order it was first deployed."""
    firsts: dict[str, Entry] = {}
    for entry in served(entries):
        if entry.get("action", "deploy") == "deploy":
            firsts.setdefault(entry["id"], entry)
    return list(firsts.values())


def previous_release(entries: Sequence[Entry], current_id: str | None) -> Release:
    """The release deployed before the one serving now."""
    deployed = deployed_in_order(entries)
    ids = [e["id"] for e in deployed]
    if current_id in ids:
        earlier = deployed[: ids.index(current_id)]
    else:
        earlier = [e for e in deployed if e["id"] != current_id]
    if not earlier:
        raise InvalidRequest(
            f"there is no release before {current_id or 'the current one'} in the history "
            "of this site; name one with `release` (a history id or image tag)"
        )
    return Release.from_dict(earlier[-1])


def named_release(entries: Sequence[Entry], name: str) -> Release:
    """The newest served release whose id is ``name``, or whose images carry tag ``name``."""
    candidates = list(reversed(served(entries)))
    for entry in candidates:
        if entry["id"] == name:
            return Release.from_dict(entry)
    for entry in candidates:
        if name in tags_of(entry):
            return Release.from_dict(entry)
    known = ", ".join(recent_releases(entries)[:5]) or "none"
    raise InvalidRequest(
        f"release {name!r} (PLUGIN_RELEASE) is neither a release id nor an image tag in the "
        f"history of this site; recent releases: {known}"
    )


def rollback_target(entries: Sequence[Entry], current_id: str | None, name: str | None) -> Release:
    return named_release(entries, name) if name else previous_release(entries, current_id)


# --- showing it ---------------------------------------------------------------
def describe_pipeline(pipeline: Mapping[str, str]) -> str:
    where = pipeline.get("url") or (
        f"pipeline #{pipeline['number']}" if pipeline.get("number") else "a local run"
    )
    commit = f" commit {pipeline['commit'][:12]}" if pipeline.get("commit") else ""
    author = f" by {pipeline['author']}" if pipeline.get("author") else ""
    return where + commit + author


def summary(entry: Mapping[str, Any]) -> str:
    """One line per entry, for ``status``."""
    tags = ",".join(sorted(t for t in tags_of(entry) if t)) or "-"
    reason = f": {entry['reason']}" if entry.get("reason") else ""
    return (
        f"{entry.get('created_at', '?')}  {entry.get('action', 'deploy'):<8} "
        f"{entry.get('outcome', '?'):<8} {entry['id']} (tag {tags}, "
        f"{entry.get('seconds', '?')}s) {describe_pipeline(entry.get('pipeline') or {})}{reason}"
    )
