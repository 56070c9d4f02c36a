"""``load_site``: read a compose file the way Compose does, or refuse it in one line."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from alpha_deploy.compose.dotenv import DotenvError, parse_dotenv
from alpha_deploy.compose.errors import ComposeLoadError
from alpha_deploy.compose.service import Service, Setting
from alpha_deploy.compose.site import Site
from alpha_deploy.compose.yamltree import Tree, TreeError, build_tree, join

DEFAULT_MAX_BYTES = 1_000_000


def load_site(
    path: Path, environ: Mapping[str, str], *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Site:
    """Load ``path`` with ``environ`` over the ``.env`` beside it; raise ComposeLoadError."""
    name = str(path)
    text = _read_text(path, name, max_bytes)
    variables = {**_read_dotenv(path.parent / ".env", environ, max_bytes), **environ}
    tree = _parse(text, name, variables)
    services = _services(tree, path.parent, variables, max_bytes)
    return Site(name, tree.data, services, tree.marks, tree.problems)


def _read_text(path: Path, name: str, max_bytes: int) -> str:
    try:
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise ComposeLoadError(name, 1, 1, "the file does not exist", _PATH_FIX) from None
    except OSError as error:
        problem = f"cannot read the file ({error.strerror or error})"
        raise ComposeLoadError(name, 1, 1, problem, _PATH_FIX) from None
    if len(raw) > max_bytes:
        problem = f"the file is larger than {max_bytes} bytes"
        raise ComposeLoadError(name, 1, 1, problem, "split it or remove generated content")
    return _decode(raw, name)


def _decode(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ComposeLoadError(name, line, 1, "the file is not UTF-8", "save it as UTF-8") from None


def _read_dotenv(path: Path, environ: Mapping[str, str], max_bytes: int) -> dict[str, str]:
    if not path.is_file():
        return {}
    text = _read_text(path, str(path), max_bytes)
    try:
        return parse_dotenv(text, environ)
    except DotenvError as error:
        raise ComposeLoadError(str(path), error.line, 1, error.problem, error.fix) from None


def _parse(text: str, name: str, environ: Mapping[str, str]) -> Tree:
    try:
        return build_tree(text, environ)
    except TreeError as error:
        line, column = error.mark
        raise ComposeLoadError(name, line, column, error.problem, error.fix) from None
    except yaml.YAMLError as error:
        raise _yaml_error(error, name) from None
    except RecursionError:
        problem = "the YAML is nested too deeply to read"
        raise ComposeLoadError(name, 1, 1, problem, "flatten the structure") from None


def _yaml_error(error: yaml.YAMLError, name: str) -> ComposeLoadError:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    context = getattr(error, "context", None)
    what = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    return ComposeLoadError(name, line, column, " ".join(what.split()), _YAML_FIX)


def _services(
    tree: Tree, directory: Path, environ: Mapping[str, str], max_bytes: int
) -> dict[str, Service]:
    raw = tree.data.get("services")
    if not isinstance(raw, dict):
        return {}
    marks = tree.marks

    def mark_of(key_path: str) -> tuple[int, int]:
        return marks.get(key_path) or (1, 1)

    services: dict[str, Service] = {}
    for name, body in raw.items():
        if isinstance(body, dict):
            path = join(join("services", name), "env_file")
            env = _env_files(body.get("env_file"), path, directory, environ, max_bytes)
            services[name] = Service(name, body, mark_of, env)
    return services


def _env_files(
    value: Any, path: str, directory: Path, environ: Mapping[str, str], max_bytes: int
) -> list[Setting]:
    """Variables from the service's ``env_file`` entries that exist beside the compose file.

    A missing env file is the deploy's business (it may be written on the host);
    a present one is read so its database URLs get checked like ``environment``.
    """
    entries = value if isinstance(value, list) else [value]
    settings: list[Setting] = []
    for index, entry in enumerate(entries):
        name = entry.get("path") if isinstance(entry, dict) else entry
        if not isinstance(name, str):
            continue
        entry_path = f"{path}[{index}]" if isinstance(value, list) else path
        for key, text in _read_dotenv(directory / name, environ, max_bytes).items():
            settings.append(Setting(key, text, entry_path))
    return settings


_PATH_FIX = "check the path of the compose file (setting compose_file)"
_YAML_FIX = "fix the YAML at that place (indent with spaces, quote values holding ': ' or '#')"
