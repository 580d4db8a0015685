"""How long to wait before restarting a component that stopped on its own."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Exponential restart delay: ``initial × factor^n``, capped at ``maximum``.

    ``n`` counts the crashes in a row; a run that lasted ``stable_after`` seconds or more
    resets it, so a component that crashes once a day restarts at once, while one that
    crashes on start waits longer and longer (up to ``maximum``) instead of spinning.
    """

    initial: float = 0.5
    factor: float = 2.0
    maximum: float = 30.0
    stable_after: float = 30.0

    def __post_init__(self) -> None:
        if self.initial < 0 or self.maximum < self.initial or self.factor < 1:
            raise ValueError("backoff needs 0 <= initial <= maximum and factor >= 1")

    def delay(self, crashes_in_a_row: int) -> float:
        """Seconds to wait before the restart that follows ``crashes_in_a_row`` crashes."""
        if crashes_in_a_row <= 0:
            return 0.0
        exponent = min(crashes_in_a_row - 1, 64)
        return float(min(self.maximum, self.initial * self.factor**exponent))

    def next_streak(self, crashes_in_a_row: int, ran_for: float) -> int:
        """The crash streak after a crash that followed ``ran_for`` seconds of running."""
        return 1 if ran_for >= self.stable_after else crashes_in_a_row + 1
