"""The admission freshness bound of an Access-Request: whole seconds, never looser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from netops.store.accounting import held_until

NOW = datetime(2026, 12, 6, 3, 30, 0, tzinfo=UTC)


@pytest.mark.parametrize("micro", [1, 250_000, 999_999])
def test_the_bound_is_rounded_up_to_a_whole_second(micro: int) -> None:
    now = NOW + timedelta(microseconds=micro)
    bound = held_until(now, 60)
    assert bound.microsecond == 0
    assert now + timedelta(seconds=30) <= bound < now + timedelta(seconds=31)


def test_requests_of_one_second_share_one_bound() -> None:
    bounds = {held_until(NOW + timedelta(microseconds=m), 60) for m in range(1, 1_000_000, 9973)}
    assert bounds == {NOW + timedelta(seconds=31)}


def test_a_whole_second_bound_is_kept() -> None:
    assert held_until(NOW, 60) == NOW + timedelta(seconds=30)
    assert held_until(NOW, 45) == NOW + timedelta(seconds=23)  # 22.5 s, rounded up
