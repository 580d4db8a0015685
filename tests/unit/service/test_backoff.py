"""Restart delays: exponential, capped, reset by a stable run."""

import pytest

from netops.service.backoff import Backoff


def test_first_crash_restarts_after_the_initial_delay() -> None:
    assert Backoff(initial=0.5).delay(1) == 0.5


def test_delay_doubles_with_each_crash_in_a_row() -> None:
    b = Backoff(initial=0.5, factor=2, maximum=100)
    assert [b.delay(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]


def test_delay_never_exceeds_the_maximum_even_after_many_crashes() -> None:
    b = Backoff(initial=1, factor=3, maximum=30)
    assert b.delay(5) == 30
    assert b.delay(10_000) == 30


def test_no_crash_means_no_delay() -> None:
    assert Backoff().delay(0) == 0


def test_a_run_longer_than_stable_after_resets_the_streak() -> None:
    b = Backoff(stable_after=10)
    assert b.next_streak(7, ran_for=12) == 1
    assert b.next_streak(7, ran_for=3) == 8


@pytest.mark.parametrize("kwargs", [{"initial": -1}, {"initial": 5, "maximum": 1}, {"factor": 0.5}])
def test_nonsense_settings_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Backoff(**kwargs)
