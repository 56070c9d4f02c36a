"""Every compose file in the shared corpus, and mutations of them, load or are refused cleanly."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from alpha_deploy.checks import Policy, check_site
from alpha_deploy.compose import load_site
from alpha_deploy.errors import InvalidCompose

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "compose"
FILES = sorted(CORPUS.glob("*/*.yml")) if CORPUS.is_dir() else []
POLICY = Policy(app="klz")
needs_corpus = pytest.mark.skipif(not FILES, reason=f"no corpus at {CORPUS}")
MUTATIONS = 25  # per corpus file; bounded so the suite stays fast
SNIPPETS = ["*", "&", "<<:", ": ", "\n", "- ", "${", "$$", "{", "[", "'", '"', "\t", "!!", "#", "~"]


def load_and_check(path: Path) -> str:
    """'findings', 'pass' or 'refused'; any other exception escapes the test."""
    try:
        site = load_site(path, {})
    except InvalidCompose as error:
        message = str(error)
        assert message and "\n" not in message, message
        assert message.startswith(f"{path}:"), message
        return "refused"
    return "findings" if check_site(site, POLICY) else "pass"


@needs_corpus
@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.name}" for p in FILES])
def test_corpus_file_loads_or_is_refused_in_one_line(path: Path) -> None:
    """A corpus file gives findings, passes, or raises InvalidCompose with one line."""
    outcome = load_and_check(path)

    assert outcome in {"findings", "pass", "refused"}


@needs_corpus
def test_alias_bomb_from_the_corpus_is_refused() -> None:
    """The corpus alias bomb (Compose times out on it) is refused as such."""
    with pytest.raises(InvalidCompose, match="alias bomb"):
        load_site(CORPUS / "spec-invalid" / "27-alias-bomb.yml", {})


@needs_corpus
def test_realworld_public_sites_give_findings() -> None:
    """Real Traefik stacks are not built for Alpha: each with a public service gives findings."""
    for path in (p for p in FILES if p.parent.name == "realworld"):
        try:
            site = load_site(path, {})
        except InvalidCompose:
            continue

        findings = check_site(site, POLICY)

        assert findings or not site.public_services(), path.name


def mutate(text: str, rng: random.Random) -> str:
    """``text`` with a few random cuts, duplicated lines or inserted YAML punctuation."""
    for _ in range(rng.randint(1, 4)):
        position = rng.randrange(len(text) + 1)
        choice = rng.random()
        if choice < 0.4:
            text = text[:position] + rng.choice(SNIPPETS) + text[position:]
        elif choice < 0.7:
            text = text[:position] + text[position + rng.randint(1, 20) :]
        else:
            lines = text.splitlines(keepends=True) or [""]
            index = rng.randrange(len(lines))
            lines.insert(index, lines[index])
            text = "".join(lines)
    return text


@needs_corpus
@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.name}" for p in FILES])
def test_mutated_corpus_file_never_crashes(path: Path, tmp_path: Path) -> None:
    """Seeded random mutations of a corpus file also only load or are refused."""
    rng = random.Random(path.name)
    text = path.read_text(encoding="utf-8", errors="replace")
    target = tmp_path / "docker-compose.yml"

    for _ in range(MUTATIONS):
        target.write_text(mutate(text, rng))
        load_and_check(target)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 5000,
        "a: " + "{b: " * 5000,
        "\x00\x01",
        "? [a, b]\n: c\n",
        "!!python/object:os.system x",
    ],
)
def test_hostile_yaml_is_refused_or_loaded(text: str, tmp_path: Path) -> None:
    """Deep nesting, control bytes, complex keys and Python tags never escape as tracebacks."""
    path = tmp_path / "docker-compose.yml"
    path.write_text(text)

    load_and_check(path)
