"""YAML to plain Python, keeping the line and column of every key path.

PyYAML's own constructor expands aliases blindly (an alias bomb takes minutes
and gigabytes) and forgets where each value came from. This module composes
the node graph, then walks it itself: it counts alias expansions, refuses
cycles, applies merge keys (``<<``) and interpolation, and records a mark for
every path such as ``services.web.labels``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from alpha_deploy.compose.interpolation import TemplateError, interpolate

Mark = tuple[int, int]

MAX_ALIAS_NODES = 100_000
MAX_DEPTH = 200
_MERGE = "tag:yaml.org,2002:merge"
_STR = "tag:yaml.org,2002:str"
_TYPED = frozenset(f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float"))
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class TreeError(Exception):
    """A fatal problem at ``mark``; ``problem`` says what, ``fix`` what to do."""

    def __init__(self, mark: Mark, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.mark = mark
        self.problem = problem
        self.fix = fix


@dataclass(frozen=True)
class Problem:
    """Something wrong found while loading that is worth a finding, not a refusal."""

    rule: str
    path: str
    mark: Mark
    message: str


@dataclass
class Tree:
    """The merged documents of one file, with the mark of every key path."""

    data: dict[str, Any]
    marks: dict[str, Mark] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def join(path: str, key: str) -> str:
    """The key path of ``key`` inside ``path`` (``services`` + ``web`` = ``services.web``)."""
    return f"{path}.{key}" if path else key


def build_tree(text: str, environ: Mapping[str, str]) -> Tree:
    """Every document of ``text``, interpolated and merged as Compose merges them."""
    nodes = _compose_all(text)
    if not nodes:
        raise TreeError((1, 1), "the file holds no YAML document", "write a `services:` mapping")
    tree = Tree({})
    converter = _Converter(environ, tree)
    for index, node in enumerate(nodes):
        if not isinstance(node, yaml.MappingNode):
            raise TreeError(_mark(node), "the top level is not a mapping", "start with `services:`")
        if index == 1:
            tree.problems.append(_multi_document(node, len(nodes)))
        _deep_merge(tree.data, converter.value(node, "", 0))
    return tree


def _compose_all(text: str) -> list[yaml.Node]:
    loader = _Loader(text)
    try:
        nodes: list[yaml.Node] = []
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                nodes.append(node)
        return nodes
    finally:
        loader.dispose()


def _multi_document(node: yaml.Node, count: int) -> Problem:
    message = (
        f"the file holds {count} YAML documents; they were merged in order as Compose does, "
        "later values winning; keep one document so what you read is what runs"
    )
    return Problem("compose-multi-document", "", _mark(node), message)


def _deep_merge(into: dict[str, Any], other: dict[str, Any]) -> None:
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = value


def _mark(node: yaml.Node) -> Mark:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Converter:
    """Walks one node graph; alias expansions are counted across the whole file."""

    def __init__(self, environ: Mapping[str, str], tree: Tree) -> None:
        self.environ = environ
        self.tree = tree
        self.seen: set[int] = set()
        self.open: set[int] = set()
        self.expanded = 0
        self.constructor = yaml.constructor.SafeConstructor()

    def value(self, node: yaml.Node, path: str, depth: int) -> Any:
        self._count(node, depth)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path, depth)
            return [self._item(child, f"{path}[{i}]", depth) for i, child in enumerate(node.value)]
        finally:
            self.open.discard(id(node))

    def _count(self, node: yaml.Node, depth: int) -> None:
        if id(node) in self.open:
            raise TreeError(_mark(node), "an alias refers to a node that contains it", _NO_CYCLE)
        if depth > MAX_DEPTH:
            raise TreeError(_mark(node), f"nesting deeper than {MAX_DEPTH} levels", _FLATTEN)
        if id(node) not in self.seen:
            self.seen.add(id(node))
            return
        self.expanded += 1
        if self.expanded > MAX_ALIAS_NODES:
            raise TreeError(_mark(node), _BOMB, _NO_BOMB)

    def _item(self, node: yaml.Node, path: str, depth: int) -> Any:
        self.tree.marks.setdefault(path, _mark(node))
        return self.value(node, path, depth + 1)

    def _mapping(self, node: yaml.MappingNode, path: str, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merges = [value for key, value in node.value if key.tag == _MERGE]
        for source in reversed(merges):
            self._merge(result, source, path, depth)
        explicit: set[str] = set()
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                continue
            key = self._key(key_node)
            child = join(path, key)
            if key in explicit:
                self._duplicate(key_node, child)
            explicit.add(key)
            self.tree.marks[child] = _mark(key_node)
            result[key] = self.value(value_node, child, depth + 1)
        return result

    def _merge(self, into: dict[str, Any], source: yaml.Node, path: str, depth: int) -> None:
        sources = source.value if isinstance(source, yaml.SequenceNode) else [source]
        # Earlier maps in a merge list win, so apply them last.
        for each in reversed(sources):
            if not isinstance(each, yaml.MappingNode):
                raise TreeError(
                    _mark(each), "`<<` merges something that is not a mapping", _MERGE_FIX
                )
            into.update(self.value(each, path, depth + 1))

    def _key(self, node: yaml.Node) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise TreeError(_mark(node), "a mapping key is itself a list or mapping", _PLAIN_KEY)
        return str(node.value)

    def _duplicate(self, node: yaml.Node, path: str) -> None:
        message = (
            f"key {path!r} appears twice in the same mapping; Compose refuses the file; "
            "keep one of them (use an anchor and `<<` to share values)"
        )
        self.tree.problems.append(Problem("yaml-duplicate-key", path, _mark(node), message))

    def _scalar(self, node: yaml.ScalarNode, path: str) -> Any:
        if node.tag in _TYPED:
            try:
                return self.constructor.yaml_constructors[node.tag](self.constructor, node)
            except (ValueError, TypeError, yaml.YAMLError):
                return str(node.value)
        return self._interpolate(node, path)

    def _interpolate(self, node: yaml.ScalarNode, path: str) -> str:
        text = str(node.value)
        try:
            expansion = interpolate(text, self.environ)
        except TemplateError as error:
            raise TreeError(_mark(node), error.problem, error.fix) from error
        for name in expansion.unset:
            self.tree.problems.append(_unset(name, path, _mark(node)))
        return expansion.value


def _unset(name: str, path: str, mark: Mark) -> Problem:
    message = (
        f"variable {name} is not set, so Compose uses an empty string here; set it in the "
        f"environment or .env, or write ${{{name}:-default}} or ${{{name}:?why it is needed}}"
    )
    return Problem("compose-unset-variable", path, mark, message)


_BOMB = f"aliases expand to more than {MAX_ALIAS_NODES} nodes (an alias bomb)"
_NO_BOMB = "write the values out or use fewer nested aliases"
_NO_CYCLE = "remove the alias from inside its own anchor"
_FLATTEN = "flatten the structure"
_MERGE_FIX = "write `<<: *anchor` where the anchor is a mapping, or a list of such anchors"
_PLAIN_KEY = "use a plain string as the key"
