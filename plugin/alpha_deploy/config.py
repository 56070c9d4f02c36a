"""Turn flags and ``PLUGIN_*`` variables into validated settings, or one clear line."""

from __future__ import annotations

import argparse
import difflib
import os
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from alpha_deploy import __version__
from alpha_deploy.errors import InvalidSettings
from alpha_deploy.settings import ENV_PREFIX, SECRET_FIELDS, Settings, env_name, flag_name

# Woodpecker defaults that a user expects without writing them.
CI_DEFAULTS = {"app": "CI_REPO_NAME"}

FRIENDLY = {
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "bool_parsing": "must be true or false",
    "dict_type": "must be a map (JSON object)",
    "list_type": "must be a list",
    "string_type": "must be text",
}
# pydantic's bound errors: the words for each, and the key of the bound in its ctx.
BOUNDS = {
    "greater_than": ("more than", "gt"),
    "greater_than_equal": ("at least", "ge"),
    "less_than": ("less than", "lt"),
    "less_than_equal": ("at most", "le"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alpha-deploy",
        allow_abbrev=False,  # `--ssh-key` must not silently mean `--ssh-key-path`
        description="Health-gated, zero-downtime releases of a compose site onto Alpha. "
        "Every flag is also a PLUGIN_* variable; a flag wins.",
    )
    parser.add_argument("--version", action="version", version=f"alpha-deploy {__version__}")
    for name, field in Settings.model_fields.items():
        if name in SECRET_FIELDS:
            continue  # secrets never go on a command line, where `ps` shows them
        add_flag(parser, name, field.annotation, field.description or "")
    return parser


def add_flag(parser: argparse.ArgumentParser, name: str, annotation: Any, help_text: str) -> None:
    help_text = f"{help_text} ({env_name(name)})".replace("%", "%%")
    if annotation is bool:
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            flag_name(name), dest=name, action="store_const", const="true", help=help_text
        )
        group.add_argument(
            "--no-" + name.replace("_", "-"),
            dest=name,
            action="store_const",
            const="false",
            help=argparse.SUPPRESS,
        )
    else:
        parser.add_argument(flag_name(name), dest=name, metavar="VALUE", help=help_text)


def parse_flags(argv: Sequence[str]) -> dict[str, str]:
    namespace = build_parser().parse_args(list(argv))
    return {key: value for key, value in vars(namespace).items() if value is not None}


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """A warning for each ``PLUGIN_*`` variable that names no setting, with the closest one."""
    known = {env_name(name): name for name in Settings.model_fields}
    warnings = []
    for variable in sorted(environ):
        if not variable.upper().startswith(ENV_PREFIX) or variable.upper() in known:
            continue
        close = difflib.get_close_matches(variable.upper(), known, n=1, cutoff=0.75)
        hint = f"; did you mean `{known[close[0]]}`?" if close else "; it is ignored"
        warnings.append(f"{variable} is not a setting of alpha-deploy{hint}")
    return warnings


def ci_defaults(flags: Mapping[str, str], environ: Mapping[str, str]) -> dict[str, str]:
    """Values taken from Woodpecker's ``CI_*`` variables where no setting was given."""
    defaults = {}
    for name, variable in CI_DEFAULTS.items():
        if name not in flags and env_name(name) not in environ and environ.get(variable):
            defaults[name] = environ[variable]
    return defaults


def source_of(name: str, flags: Mapping[str, str], defaults: Mapping[str, str]) -> str:
    if name in flags:
        return flag_name(name)
    if name in defaults:
        return f"{CI_DEFAULTS[name]} (default of {env_name(name)})"
    return env_name(name)


def describe(
    error: Mapping[str, Any],
    flags: Mapping[str, str],
    defaults: Mapping[str, str],
) -> str:
    name = str(error["loc"][0]) if error["loc"] else "settings"
    source = source_of(name, flags, defaults)
    message = FRIENDLY.get(error["type"]) or str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "literal_error":
        message = "must be " + str(error["ctx"]["expected"])
    if error["type"] in BOUNDS:
        words, bound = BOUNDS[error["type"]]
        message = f"must be {words} {error['ctx'][bound]:g}"
    shown = "" if name in SECRET_FIELDS else f" = {error.get('input')!r}"
    if error["type"] == "missing" or isinstance(error.get("input"), dict):
        shown = ""
    return f"invalid setting {source}{shown}: {message}"


def load_settings(
    argv: Sequence[str],
    environ: Mapping[str, str] | None = None,
) -> tuple[Settings, list[str]]:
    """Settings from flags over ``PLUGIN_*`` over ``CI_*`` defaults, plus warnings to print."""
    environ = os.environ if environ is None else environ
    flags = parse_flags(argv)
    defaults = ci_defaults(flags, environ)
    try:
        settings = Settings(**{**defaults, **flags})  # type: ignore[arg-type]
    except ValidationError as error:
        lines = [describe(item, flags, defaults) for item in error.errors()]
        raise InvalidSettings("\n".join(lines)) from None
    return settings, unknown_variables(environ)
