"""load_site reads compose files the way Compose does and keeps where each key was written."""

from __future__ import annotations

from pathlib import Path

import pytest

from alpha_deploy.compose import ComposeLoadError, Site, load_site
from alpha_deploy.errors import InvalidCompose

GOOD = Path(__file__).parent / "fixtures" / "compose" / "good" / "docker-compose.yml"


def write(tmp_path: Path, text: str, env: str | None = None) -> Path:
    """A compose file (and optionally a .env beside it) in ``tmp_path``."""
    if env is not None:
        (tmp_path / ".env").write_text(env)
    path = tmp_path / "docker-compose.yml"
    path.write_text(text)
    return path


def load(tmp_path: Path, text: str, environ: dict[str, str] | None = None, **kw: str) -> Site:
    return load_site(write(tmp_path, text, kw.get("env")), environ or {})


def test_good_fixture_loads_with_anchors_and_merge_keys() -> None:
    """Merge keys pull anchored maps into services; explicit keys stay."""
    site = load_site(GOOD, {})

    web = site.services["web"]

    assert web.environment["REDIS_URL"] == "redis://redis:6379/4"
    assert web.environment["PRICE_NOTE"] == "costs $5"
    assert web.healthcheck is not None
    assert (web.healthcheck.interval_s, web.healthcheck.retries) == (5.0, 10)
    assert web.healthcheck.start_period_s == 10.0
    assert web.replicas == 2
    assert site.services["worker"].environment["DEBUG"] is None


def test_public_services_and_domains() -> None:
    """Only traefik.enable=true services are public; domains come from their rules."""
    site = load_site(GOOD, {})

    assert [s.name for s in site.public_services()] == ["web"]
    assert site.domains() == ["klz-cables.com", "www.klz-cables.com"]
    assert site.services["web"].routers == ["klz-web"]
    assert site.services["web"].traefik_services == ["klz-web"]


def test_mark_points_at_the_key_and_falls_back_to_parents() -> None:
    """site.mark gives 1-based line and column of a key path, or of its nearest parent."""
    site = load_site(GOOD, {})

    assert site.mark("services.web.labels") == (18, 5)
    assert site.mark("services.web.labels[1]") == (20, 9)
    assert site.mark("services.web.labels.nonexistent") == (18, 5)
    assert site.mark("nowhere") == (1, 1)


@pytest.mark.parametrize(
    ("value", "environ", "expected"),
    [
        ("${A}", {"A": "1"}, "1"),
        ("$A-x", {"A": "1"}, "1-x"),
        ("${A:-d}", {"A": ""}, "d"),
        ("${A-d}", {"A": ""}, ""),
        ("${A-d}", {}, "d"),
        ("${A:+alt}", {"A": "1"}, "alt"),
        ("${A+alt}", {}, ""),
        ("${A:-${B:-nested}}", {}, "nested"),
        ("$$A and $${A}", {"A": "1"}, "$A and ${A}"),
        ("${A:-ok}", {}, "ok"),
        ("5$", {}, "5$"),
    ],
)
def test_interpolation_forms(
    tmp_path: Path, value: str, environ: dict[str, str], expected: str
) -> None:
    """Each ${...} form expands as Compose expands it."""
    site = load(tmp_path, f"services:\n  w:\n    image: 'x'\n    command: '{value}'\n", environ)

    assert site.services["w"].raw["command"] == expected


def test_dotenv_beside_the_file_is_read_and_environ_wins(tmp_path: Path) -> None:
    """Variables come from .env, with the process environment taking precedence."""
    env = "TAG=from-env-file\nexport ORG=\"min tel\" # comment\nNAME=${ORG}\nRAW='$x'\n"
    text = "services:\n  w:\n    image: r/$ORG/$NAME:${TAG}\n    command: $RAW\n"

    site = load(tmp_path, text, {"TAG": "from-environ"}, env=env)

    assert site.services["w"].image == "r/min tel/min tel:from-environ"
    assert site.services["w"].raw["command"] == "$x"


def test_required_variable_is_refused_with_its_location(tmp_path: Path) -> None:
    """${VAR:?message} unset stops loading with FILE:LINE:COL and the message."""
    text = "services:\n  w:\n    image: r/o/a:${TAG:?set the release tag}\n"

    with pytest.raises(InvalidCompose) as raised:
        load(tmp_path, text)

    message = str(raised.value)
    assert message.endswith(
        "docker-compose.yml:3:12: required variable TAG is not set (set the release tag); "
        "set TAG in the environment or in the .env file beside the compose file"
    )


def test_unset_variable_is_remembered_as_a_problem(tmp_path: Path) -> None:
    """A plain ${VAR} that is unset becomes empty and is noted for a warning."""
    site = load(tmp_path, "services:\n  w:\n    image: r/o/a:${TAG}\n")

    assert site.services["w"].image == "r/o/a:"
    assert [(p.rule, p.mark) for p in site.problems] == [("compose-unset-variable", (3, 12))]


def test_labels_and_environment_in_list_and_map_form(tmp_path: Path) -> None:
    """Labels and environment read the same from a list or a map; deploy.labels merge in."""
    text = (
        "services:\n  a:\n    labels: [x=1, y]\n    environment: [K=v, E]\n"
        "  b:\n    labels: {x: 1, z: true}\n    environment: {K: v, N: null, I: 3}\n"
        "    deploy: {labels: {x: 0, d: 'yes'}}\n"
    )

    site = load(tmp_path, text)

    assert site.services["a"].labels == {"x": "1", "y": ""}
    assert site.services["a"].environment == {"K": "v", "E": None}
    assert site.services["b"].labels == {"x": "1", "z": "true", "d": "yes"}
    assert site.services["b"].environment == {"K": "v", "N": None, "I": "3"}


def test_ports_short_and_long_syntax(tmp_path: Path) -> None:
    """Ports give target, published and host ip from every spelling."""
    text = (
        "services:\n  a:\n    ports:\n      - 3000\n      - '8080:80'\n"
        "      - '127.0.0.1:8081:81/udp'\n      - '[::1]:8082:82'\n"
        "      - {target: 83, published: '8083', host_ip: 10.0.0.1}\n"
    )

    ports = load(tmp_path, text).services["a"].ports

    assert [(p.host_ip, p.published, p.target) for p in ports] == [
        (None, None, "3000"),
        (None, "8080", "80"),
        ("127.0.0.1", "8081", "81"),
        ("::1", "8082", "82"),
        ("10.0.0.1", "8083", "83"),
    ]


@pytest.mark.parametrize(
    ("duration", "seconds"),
    [("1m30s", 90.0), ("5s", 5.0), ("1h", 3600.0), ("500ms", 0.5), ("1h2m3.5s", 3723.5)],
)
def test_durations(tmp_path: Path, duration: str, seconds: float) -> None:
    """Go-style durations become seconds."""
    site = load(tmp_path, f"services:\n  a:\n    stop_grace_period: {duration}\n")

    assert site.services["a"].stop_grace_period_s == seconds


def test_defaults_for_missing_fields(tmp_path: Path) -> None:
    """Replicas default to 1, stop grace to 10 s, and a healthcheck to Docker's defaults."""
    site = load(tmp_path, "services:\n  a:\n    healthcheck: {test: [CMD, true]}\n")

    service = site.services["a"]

    assert (service.replicas, service.stop_grace_period_s) == (1, 10.0)
    assert service.healthcheck is not None
    assert (service.healthcheck.interval_s, service.healthcheck.retries) == (30.0, 3)


def test_merge_key_list_earlier_maps_win(tmp_path: Path) -> None:
    """With `<<: [*a, *b]` a key in both comes from *a, and explicit keys beat both."""
    text = (
        "x-a: &a {image: from-a, restart: a}\nx-b: &b {image: from-b, user: b}\n"
        "services:\n  s:\n    <<: [*a, *b]\n    restart: own\n"
    )

    raw = load(tmp_path, text).services["s"].raw

    assert raw == {"image": "from-a", "user": "b", "restart": "own"}


def test_multi_document_files_are_merged_and_noted(tmp_path: Path) -> None:
    """Later documents override earlier ones, and the loader notes it."""
    text = "services:\n  s: {image: one, user: u}\n---\nservices:\n  s: {image: two}\n"

    site = load(tmp_path, text)

    assert site.services["s"].raw == {"image": "two", "user": "u"}
    assert [p.rule for p in site.problems] == ["compose-multi-document"]


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("services:\n  a: [\n", "3:1", "YAML syntax error"),
        ("- just\n- a list\n", "1:1", "the top level is not a mapping"),
        ("", "1:1", "no YAML document"),
        ("x: &a [*a]\n", "1:4", "refers to a node that contains it"),
        ("x: &a {k: v}\ny:\n  <<: 3\n", "3:7", "not a mapping"),
        ("a: ${", "1:4", "invalid interpolation"),
        ("a: ${A:x}", "1:4", "unknown operator"),
    ],
)
def test_bad_files_are_refused_in_one_line(
    tmp_path: Path, text: str, where: str, what: str
) -> None:
    """Unloadable files raise ComposeLoadError: FILE:LINE:COL: problem; fix."""
    with pytest.raises(ComposeLoadError) as raised:
        load(tmp_path, text)

    message = str(raised.value)
    assert f"docker-compose.yml:{where}: " in message
    assert what in message
    assert "\n" not in message and "; " in message


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    """Nested aliases that would expand to billions of nodes are refused quickly."""
    rows = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    rows += [
        f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    ]

    with pytest.raises(ComposeLoadError, match="alias bomb"):
        load(tmp_path, "\n".join(rows) + "\n")


def test_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    """A file larger than max_bytes is refused without parsing it."""
    path = write(tmp_path, "services: {}\n" + "#" * 200 + "\n")

    with pytest.raises(ComposeLoadError, match="larger than 100 bytes"):
        load_site(path, {}, max_bytes=100)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    """A path with no file gives a one-line error naming it."""
    with pytest.raises(ComposeLoadError, match="does not exist"):
        load_site(tmp_path / "nope.yml", {})


def test_broken_dotenv_is_refused_with_its_line(tmp_path: Path) -> None:
    """An unclosed quote in .env points at .env and its line."""
    path = write(tmp_path, "services: {}\n", env='A=1\nB="open\n')

    with pytest.raises(ComposeLoadError, match=r"\.env:2:1: the \" quote is never closed"):
        load_site(path, {})


def test_env_file_values_are_read(tmp_path: Path) -> None:
    """Variables in a service's env_file are read and point at the env_file key."""
    (tmp_path / "app.env").write_text("DATABASE_URL=postgres://u:p@postgres/klz\n")
    site = load(tmp_path, "services:\n  a:\n    env_file: [missing.env, app.env]\n")

    [setting] = site.services["a"].env_file_values

    assert (setting.key, setting.path) == ("DATABASE_URL", "services.a.env_file[1]")
    assert site.mark(setting.path) == (3, 29)


def test_traefik_label_keys_are_case_insensitive_except_names(tmp_path: Path) -> None:
    """`traefik.http.Routers.Super.Rule` reads as `traefik.http.routers.Super.rule`."""
    text = (
        "services:\n  a:\n    labels:\n"
        "      Traefik.Enable: 'true'\n      traefik.http.Routers.Super.Rule: x\n"
    )

    service = load(tmp_path, text).services["a"]

    assert service.labels == {"traefik.enable": "true", "traefik.http.routers.Super.rule": "x"}
    assert service.is_public and service.routers == ["Super"]
