"""The hand-off between the event loop and the store threads: every job's outcome (or its
exception) comes back to the loop, in batches, and each thread opens its connection first."""

from __future__ import annotations

import asyncio
import threading

import pytest

from netops.radius.storethreads import Done, StoreThreads


def test_every_outcome_and_error_reaches_the_loop_in_batches() -> None:
    warmed: list[str] = []
    batches: list[list[Done]] = []

    def work(n: int) -> int:
        if n % 10 == 3:
            raise ValueError(f"job {n}")
        return n * n

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop_thread = threading.current_thread()
        finished = asyncio.Event()

        def deliver(done: list[Done]) -> None:
            assert threading.current_thread() is loop_thread
            batches.append(done)
            if sum(len(b) for b in batches) == 200:
                finished.set()

        threads = StoreThreads(4, loop, deliver, lambda: warmed.append("x"))
        await threads.start()
        assert len(warmed) == 4, "each thread opened its connection before start returned"
        for n in range(200):
            threads.submit(("tag", n), work, n)
        await asyncio.wait_for(finished.wait(), 10)
        assert await threads.run(work, 7) == 49
        with pytest.raises(ValueError, match="job 13"):
            await threads.run(work, 13)
        threads.close()

    asyncio.run(main())
    outcomes = {tag[1]: (result, error) for batch in batches for tag, result, error in batch}
    assert sorted(outcomes) == list(range(200))
    for n, (result, error) in outcomes.items():
        if n % 10 == 3:
            assert result is None and isinstance(error, ValueError)
        else:
            assert result == n * n and error is None
    assert len(batches) < 200, "finished jobs come back to the loop together"


def test_a_store_that_is_down_at_start_does_not_stop_the_server() -> None:
    def down() -> None:
        raise RuntimeError("connection refused")

    async def main() -> int:
        got: list[Done] = []
        threads = StoreThreads(2, asyncio.get_running_loop(), got.extend, down)
        await threads.start()
        value = await threads.run(lambda: 5)
        threads.close()
        return value

    assert asyncio.run(main()) == 5
