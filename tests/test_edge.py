"""The edge behaves like Traefik's docker provider where a deploy can tell the difference."""

import itertools
import json
import secrets
import subprocess
import threading
import time
from datetime import datetime

import pytest
import yaml

from alpha_host import Site, app_name, wait_until

pytestmark = pytest.mark.host
insecure = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


def served_by(response) -> str:
    """The container hostname in a demo body (`demo v1 <hostname>`)."""
    return response.text.split()[2]


def patch_compose(site: Site, change) -> None:
    """Edit the site's compose file as a dict: change(services_web, whole_file)."""
    document = yaml.safe_load(site.compose_file.read_text())
    change(document["services"]["web"], document)
    site.compose_file.write_text(yaml.safe_dump(document))


def docker(*args: str) -> str:
    """Run docker and return its output, failing the test when it fails."""
    done = subprocess.run(["docker", *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def event_time(container: str, event: str, since: float) -> float:
    """When Docker emitted an event for a container, as a Unix time."""
    out = docker("events", "--since", f"{since:.3f}", "--until", f"{time.time():.3f}",
                 "--filter", f"container={container}", "--filter", f"event={event}",
                 "--format", "{{.TimeNano}}")  # fmt: skip
    assert out.split(), f"no {event} event for {container}"
    return int(out.split()[0]) / 1e9


def test_serves_each_domain_over_https_with_a_test_ca_certificate(alpha, site):
    """Every Host() domain answers with the site's body, on a certificate the test CA signed."""
    site.start("v1")

    bodies = [alpha.get(domain).text for domain in site.domains]

    assert all(body.startswith("demo v1 ") for body in bodies)


@insecure
def test_unknown_host_gets_404(alpha):
    """A Host no router claims gets 404 page not found."""
    # Like Traefik, the edge answers unknown names with its untrusted default certificate.
    response = alpha.get(f"{app_name('nobody')}.alpha.test", verify=False)

    assert response.status_code == 404


@insecure
def test_container_without_traefik_enable_gets_no_router(alpha, site):
    """Labels count only on containers with traefik.enable=true."""
    site.write_compose("v1", labels={"traefik.enable": "false"})
    mark = alpha.edge_log_mark()

    site.compose("up", "-d", "--wait")
    site.wait_rebuilt(mark)

    assert site.router not in alpha.edge_routers()
    # No router, so no certificate for the domain: only the default one, unverifiable.
    assert alpha.get(site.domain, verify=False).status_code == 404


@pytest.mark.parametrize(
    "rule",
    ["Host(`{d}`,`www.{d}`)", "Host({d})", "Host(`{d}`) || PathPrefix(`/x`)"],
    ids=["several-domains-in-one-host", "unquoted", "not-understood"],
)
def test_rule_traefik_v3_rejects_makes_no_router_and_is_logged(alpha, site, rule):
    """A rule v3 rejects (or the edge does not know) creates no router; the log names both."""
    rule = rule.format(d=site.domain)
    site.write_compose("v1", labels={f"traefik.http.routers.{site.router}.rule": rule})
    mark = alpha.edge_log_mark()

    site.compose("up", "-d", "--wait")

    def logged() -> bool:
        lines = alpha.edge_log()[mark:].splitlines()
        return any(
            "rejected" in ln and site.router in ln and f"{site.app}-web-" in ln for ln in lines
        )

    wait_until("rejection logged with router and container", logged)
    assert site.router not in alpha.edge_routers()


def test_port_label_wins_over_exposed_ports(alpha, site):
    """loadbalancer.server.port picks the port even when the container exposes a lower one."""
    site.write_compose("v1")
    patch_compose(site, lambda web, _: web.update(expose=["7000"]))

    site.compose("up", "-d", "--wait")

    wait_until("2 servers on :8080", lambda: [s[-5:] for s in site.servers()] == [":8080"] * 2)
    assert alpha.get(site.domain).status_code == 200


def test_lowest_exposed_port_is_used_without_a_port_label(alpha, site):
    """Without the port label the lowest exposed port is used, here a closed one: 502."""
    site.write_compose("v1")
    port_label = f"traefik.http.services.{site.router}.loadbalancer.server.port"
    service_label = f"traefik.http.routers.{site.router}.service"

    def drop_port(web: dict, _: dict) -> None:
        web["expose"] = ["7000"]
        del web["labels"][port_label], web["labels"][service_label]  # the default service then

    patch_compose(site, drop_port)

    site.compose("up", "-d", "--wait")

    wait_until("2 servers on :7000", lambda: [s[-5:] for s in site.servers()] == [":7000"] * 2)
    assert alpha.get(site.domain).status_code == 502


def _two_networks(web: dict, document: dict) -> None:
    document["networks"] = {"front": {}, "back": {}}
    web["networks"] = ["front", "back"]


def test_docker_network_label_chooses_the_network(alpha, site):
    """With traefik.docker.network the server address is the container's IP on that network."""
    site.write_compose("v1", replicas=1, labels={"traefik.docker.network": f"{site.app}_back"})
    patch_compose(site, _two_networks)

    site.compose("up", "-d", "--wait")

    container = site.container_ids()[0]
    address = docker(
        "inspect",
        "-f",
        f'{{{{(index .NetworkSettings.Networks "{site.app}_back").IPAddress}}}}',
        container,
    ).strip()
    wait_until("server on the back network", lambda: site.servers() == [f"{address}:8080"])


def test_several_networks_without_the_label_pick_one_at_random_and_log_it(alpha, site):
    """Without traefik.docker.network a container on two networks gets one picked, logged."""
    site.write_compose("v1", replicas=1)
    patch_compose(site, _two_networks)
    mark = alpha.edge_log_mark()

    site.compose("up", "-d", "--wait")

    wait_until("one server", lambda: len(site.servers()) == 1)
    assert any("at random" in line and site.app in line
               for line in alpha.edge_log()[mark:].splitlines())  # fmt: skip


def test_round_robin_alternates_between_replicas(alpha, site):
    """Consecutive requests go to the replicas in turn."""
    site.start("v1", replicas=2)

    seen = [served_by(alpha.get(site.domain)) for _ in range(10)]

    assert len(set(seen)) == 2
    assert all(a != b for a, b in itertools.pairwise(seen))


def test_unhealthy_replica_leaves_the_table(alpha, site):
    """After the drain command makes a replica unhealthy, only the other one answers."""
    site.start("v1", replicas=2)
    drained = site.container_ids()[0]

    docker("exec", drained, "sh", "-c", alpha.drain_command)

    wait_until("one server left", lambda: len(site.servers()) == 1)
    seen = {served_by(alpha.get(site.domain)) for _ in range(6)}
    assert seen == {site.container_ids()[1][:12]}


def test_starting_container_is_routed_only_once_healthy(alpha, site):
    """A container whose health is still `starting` is not routed; it is once `healthy`."""
    site.write_compose("slow", replicas=1, environment={"DEMO_HEALTHY_AFTER": "4"})
    started = time.time()

    site.compose("up", "-d")

    wait_until("one server", lambda: len(site.servers()) == 1, seconds=30)
    routed_at = time.time()
    healthy_at = event_time(site.container_ids()[0], "health_status", started)
    assert routed_at > healthy_at


def test_container_without_healthcheck_is_routed_once_running(alpha, site):
    """A container with no healthcheck counts as a server as soon as it runs."""
    site.write_compose("broken", replicas=2, healthcheck=False)

    site.compose("up", "-d")

    wait_until("two servers", lambda: len(site.servers()) == 2)
    assert alpha.get(site.domain).text.startswith("demo broken")


def test_table_changes_only_a_throttle_after_the_event(alpha, site):
    """A replica turning unhealthy leaves the table about 2 s after its health_status event."""
    site.start("v1", replicas=2)
    drained = site.container_ids()[0]
    since = time.time()

    mark = alpha.edge_log_mark()

    docker("exec", drained, "sh", "-c", alpha.drain_command)
    wait_until("one server left", lambda: len(site.servers()) == 1)
    removed_at = time.time()

    assert removed_at - event_time(drained, "health_status", since) <= 4.0
    # The edge publishes the table before it logs it: wait for the log line too.
    wait_until("rebuild logged", lambda: f"{site.router}=1" in alpha.edge_log()[mark:], 10)
    # Other tests' events share the window, so measure from the window's first event.

    assert 1.8 <= _window_of_rebuild(alpha.edge_log()[mark:], f"{site.router}=1") <= 3.0


def _window_of_rebuild(log: str, entry: str) -> float:
    """Seconds from the first event of a throttle window to the rebuild that logged `entry`."""
    first_event = None
    for line in log.splitlines():
        try:
            stamp = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
        except ValueError:
            continue  # a continuation line (traceback), not a log record
        if " event " in line and first_event is None:
            first_event = stamp
        elif "routing table:" in line:
            routers = [part.strip() for part in line.split("routing table:")[1].split(",")]
            if entry in routers and first_event:
                return stamp - first_event
            first_event = None
    pytest.fail(f"no rebuild with {entry} in the edge log")


def _get_statuses(alpha, domain: str, seconds: float) -> list[tuple[float, int]]:
    """(time, status) of requests sent back to back for a while."""
    results = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        results.append((time.time(), alpha.get(domain, timeout=15).status_code))
    return results


def test_dead_replica_gets_502_until_the_throttle_passes(alpha, site):
    """A killed replica stays in the table for the throttle; requests sent to it get 502."""
    site.start("v1", replicas=2)
    victim = site.container_ids()[0]
    since = time.time()

    docker("kill", victim)
    statuses = _get_statuses(alpha, site.domain, seconds=1.5)
    wait_until("one server left", lambda: len(site.servers()) == 1)
    removed_at = time.time()

    assert 502 in {status for _, status in statuses}
    assert removed_at - event_time(victim, "die", since) <= 4.0
    assert {alpha.get(site.domain).status_code for _ in range(6)} == {200}


def test_retry_middleware_sends_the_request_to_the_next_server(alpha, site):
    """With a retry middleware a refused request is retried on the other replica: no 502."""
    site.start("v1", replicas=2, retry_attempts=2)

    docker("kill", site.container_ids()[0])
    statuses = _get_statuses(alpha, site.domain, seconds=1.5)

    assert {status for _, status in statuses} == {200}
    assert alpha.edge_routers()[site.router]["retry_attempts"] == 2


def test_stopping_replica_keeps_receiving_requests_until_it_dies(alpha, site):
    """`docker stop` is no event the edge reacts to: the replica is routed until it dies."""
    site.start("v1", replicas=2)
    patch_compose(site, lambda web, _: web.update(stop_signal="SIGUSR1"))  # ignored by sh
    site.compose("up", "-d", "--wait")
    wait_until("two servers", lambda: len(site.servers()) == 2)
    stopping = site.container_ids()[0]
    hostname = docker("inspect", "-f", "{{.Config.Hostname}}", stopping).strip()

    stop = subprocess.Popen(["docker", "stop", "-t", "4", stopping])
    time.sleep(0.5)  # the stop is under way; measuring what happens during it
    seen = {served_by(alpha.get(site.domain)) for _ in range(6)}
    still_stopping = stop.poll() is None
    stop.wait()

    assert hostname in seen
    assert still_stopping


def test_same_router_name_with_different_configuration_drops_it_for_both(alpha, site):
    """Two projects defining one router name differently both lose it (traefik#7738)."""
    shared = f"shared-{secrets.token_hex(3)}"
    other = Site(alpha, app_name("other"))
    other.directory.mkdir(parents=True)
    try:
        for each in (site, other):
            each.write_compose("v1", replicas=1, labels=_router_named(shared, each))
            each.compose("up", "-d", "--wait")
        wait_until(
            "conflict logged", lambda: f"Router {shared} defined multiple times" in alpha.edge_log()
        )

        assert shared not in alpha.edge_routers()
    finally:
        other.remove()


def _router_named(name: str, site: Site) -> dict[str, str]:
    return {
        f"traefik.http.routers.{name}.rule": f"Host(`{site.domain}`)",
        f"traefik.http.routers.{name}.entrypoints": "websecure",
        f"traefik.http.routers.{name}.tls.certresolver": "le",
        f"traefik.http.routers.{name}.service": f"{site.app}-web",
        f"traefik.http.routers.{site.router}.rule": f"Host(`unused.{site.domain}`)",
    }


def test_forwards_method_path_query_host_and_body(alpha, site):
    """The upstream sees the client's method, path, query, Host and body, and https."""
    site.start("v1", replicas=1)

    response = alpha.session(site.domain).post(
        f"{alpha.edge_https}/cgi-bin/echo?x=1", data=b"hello", timeout=10
    )

    assert response.status_code == 200
    fields = dict(line.split("=", 1) for line in response.text.splitlines())
    assert fields["method"] == "POST"
    assert fields["query"] == "x=1"
    assert fields["host"] == site.domain
    assert fields["proto"] == "https"
    assert fields["body"] == "hello"


def test_concurrent_requests_are_all_answered(alpha, site):
    """Requests in parallel on separate connections all get 200."""
    site.start("v1", replicas=2)
    results: list[int] = []

    threads = [threading.Thread(target=lambda: results.append(alpha.get(site.domain).status_code))
               for _ in range(20)]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [200] * 20
    assert json.dumps(results)
