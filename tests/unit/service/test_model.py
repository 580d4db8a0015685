"""Component state as reported by /health: overall status, per-component fields."""

import signal

from netops.service.model import (
    ComponentStatus,
    Endpoint,
    State,
    describe_exit,
    health_document,
    overall,
)


def _s(name: str, state: State, **kw: object) -> ComponentStatus:
    return ComponentStatus(name, state, **kw)  # type: ignore[arg-type]


def test_all_up_is_ok() -> None:
    assert overall([_s("a", State.UP), _s("b", State.UP)]) == "ok"


def test_one_component_in_backoff_degrades_the_whole() -> None:
    assert overall([_s("a", State.UP), _s("b", State.BACKOFF)]) == "degraded"


def test_a_component_still_starting_makes_the_stack_starting() -> None:
    assert overall([_s("a", State.UP), _s("b", State.STARTING)]) == "starting"


def test_health_document_names_each_component_with_pid_restarts_and_endpoints() -> None:
    doc = health_document(
        [
            _s(
                "radius",
                State.UP,
                pid=42,
                restarts=2,
                started_at=100.0,
                endpoints=(Endpoint("auth", "udp://127.0.0.1:1812"),),
            ),
            _s("portal", State.BACKOFF, last_exit=3, last_error="exit code 3", next_restart_in=2.0),
        ],
        now=110.0,
        pid=7,
        started_at=90.0,
    )
    assert doc["status"] == "degraded"
    assert doc["pid"] == 7 and doc["uptime_seconds"] == 20.0
    radius = doc["components"]["radius"]
    assert radius == {
        "state": "up",
        "up": True,
        "pid": 42,
        "restarts": 2,
        "uptime_seconds": 10.0,
        "last_exit_code": None,
        "last_error": None,
        "next_restart_in_seconds": None,
        "endpoints": {"auth": "udp://127.0.0.1:1812"},
    }
    portal = doc["components"]["portal"]
    assert portal["up"] is False and portal["last_exit_code"] == 3
    assert portal["uptime_seconds"] is None and portal["next_restart_in_seconds"] == 2.0


def test_exit_codes_and_signals_are_described_in_words() -> None:
    assert describe_exit(3) == "exit code 3"
    assert describe_exit(-signal.SIGKILL) == "killed by SIGKILL"
