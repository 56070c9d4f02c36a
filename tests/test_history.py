"""Release history and retention: pure logic, no host."""

import json

import pytest

from alpha_deploy.deploy import history, prune
from alpha_deploy.errors import ExitCode, InvalidRequest

DEMO = "127.0.0.1:5000/mintel/demo"


def entry(release_id: str, tag: str, action: str = "deploy", outcome: str = "deployed") -> dict:
    return {
        "id": release_id,
        "images": {"web": f"{DEMO}:{tag}@sha256:{tag * 8}"},
        "has_env": False,
        "created_at": "2026-01-01T00:00:00Z",
        "pipeline": {"number": "7", "commit": "abc123", "author": "ana"},
        "action": action,
        "outcome": outcome,
        "reason": "",
        "seconds": 12.5,
    }


A, B, C = entry("r1-v1", "v1"), entry("r2-v2", "v2"), entry("r3-v3", "v3")


def test_parse_reads_one_object_per_line() -> None:
    """A history file is one JSON object per line; blank lines are skipped."""
    text = json.dumps(A) + "\n\n" + json.dumps(B) + "\n"

    entries = history.parse_history(text, "h.jsonl")

    assert [e["id"] for e in entries] == ["r1-v1", "r2-v2"]


@pytest.mark.parametrize("line", ["{not json", "[1, 2]", '{"outcome": "deployed"}'])
def test_parse_refuses_a_corrupt_line_and_names_it(line: str) -> None:
    """A line that is not a history entry makes the whole file corrupt, with file:line."""
    text = json.dumps(A) + "\n" + line + "\n"

    with pytest.raises(history.CorruptHistory, match=r"h\.jsonl:2 "):
        history.parse_history(text, "h.jsonl")


def test_render_keeps_the_newest_entries_only() -> None:
    """The file is bounded: rendering keeps the last MAX_ENTRIES entries."""
    many = [entry(f"r{n}", "v1") for n in range(history.MAX_ENTRIES + 10)]

    lines = history.render(many).splitlines()

    assert len(lines) == history.MAX_ENTRIES
    assert json.loads(lines[-1])["id"] == many[-1]["id"]
    assert json.loads(lines[0])["id"] == many[10]["id"]


def test_render_round_trips_through_parse() -> None:
    """What render writes, parse reads back unchanged."""
    text = history.render([A, B])

    assert history.parse_history(text, "h") == [A, B]


def test_previous_is_the_release_deployed_before_the_current_one() -> None:
    """Without `release`, a rollback goes to the deploy before the serving release."""
    entries = [A, B, C]

    assert history.rollback_target(entries, "r3-v3", None).id == "r2-v2"


def test_previous_walks_back_after_a_rollback() -> None:
    """After rolling back to v2, the next rollback goes to v1, not forward to v3."""
    entries = [A, B, C, entry("r2-v2", "v2", action="rollback")]

    assert history.previous_release(entries, "r2-v2").id == "r1-v1"


def test_previous_skips_failed_releases() -> None:
    """A release that failed its rollout is never a rollback target."""
    entries = [A, entry("r2-bad", "broken", outcome="failed"), B]

    assert history.previous_release(entries, "r2-v2").id == "r1-v1"


def test_no_earlier_release_is_an_invalid_request() -> None:
    """Rolling back the first release ever deployed fails with exit 2 and says what to do."""
    with pytest.raises(InvalidRequest, match="no release before r1-v1") as raised:
        history.previous_release([A], "r1-v1")

    assert raised.value.exit_code == ExitCode.INVALID


def test_named_release_by_id_or_by_image_tag() -> None:
    """`release` names a history id or an image tag; the newest match wins."""
    entries = [A, B, C, entry("r4-v1", "v1")]

    assert history.named_release(entries, "r2-v2").id == "r2-v2"
    assert history.named_release(entries, "v1").id == "r4-v1"


def test_unknown_release_lists_the_recent_ones() -> None:
    """An unknown `release` fails with exit 2 and names the releases there are."""
    with pytest.raises(InvalidRequest, match=r"'v9'.*recent releases: r2-v2, r1-v1"):
        history.named_release([A, B], "v9")


def test_summary_line_shows_action_outcome_tag_and_pipeline() -> None:
    """status prints one line per entry: when, what, which tag, who."""
    line = history.summary(entry("r2-v2", "v2", action="rollback"))

    assert "rollback" in line and "deployed" in line and "tag v2" in line
    assert "pipeline #7 commit abc123 by ana" in line


def test_kept_releases_are_the_current_and_the_most_recently_served() -> None:
    """keep_releases counts the serving release first, then the most recently served."""
    entries = [A, B, C, entry("r1-v1", "v1", action="rollback")]

    assert prune.kept_ids(entries, "r1-v1", 2) == ["r1-v1", "r3-v3"]


def test_only_known_releases_outside_the_kept_ones_are_pruned() -> None:
    """A staged directory the history does not know (e.g. a deploy in flight) is left alone."""
    staged = ["r1-v1", "r2-v2", "r3-v3", "r9-unknown"]

    assert prune.prunable_ids([A, B, C], staged, ["r3-v3", "r2-v2"]) == ["r1-v1"]


def test_an_image_named_elsewhere_is_not_removed() -> None:
    """An image a kept release or another site names, by tag or digest, stays."""
    old = [f"{DEMO}:v1@sha256:aaa", f"{DEMO}:v0@sha256:bbb", "other/app:x@sha256:ccc"]
    protected = [f"{DEMO}:v1", "other/app@sha256:ccc"]

    assert prune.removable_images(old, protected) == [f"{DEMO}:v0@sha256:bbb"]


def test_image_lines_reads_compose_and_docker_ps_output() -> None:
    """References come from `image:` lines of compose files and bare `docker ps` lines."""
    text = "    image: 'a/b:1@sha256:x'\nc/d:2\n# comment\n"

    assert prune.image_lines(text) == {"a/b:1@sha256:x", "c/d:2"}
