"""Searches take turns: RetrievalConfig.search_concurrency and memos.parts.FairGate."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

import memos.parts
from memos import MemOS
from memos.config import RetrievalConfig
from memos.errors import InvalidInputError
from memos.parts import FairGate

FACTS = ["Ana keeps a parrot named Kiwi.", "Ben runs on Tuesdays.", "Cleo bakes sourdough."]


def _wait_until(cond: Any, what: str) -> None:
    deadline = time.monotonic() + 10.0
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.002)


def test_waiters_enter_in_the_order_they_came() -> None:
    """A place that frees up goes to the longest waiter, never to a later one, however the
    threads are scheduled."""
    gate = FairGate()
    order: list[int] = []
    release = threading.Event()

    def holder() -> None:
        with gate.held(1):
            release.wait()

    def waiter(i: int) -> None:
        with gate.held(1):
            order.append(i)

    first = threading.Thread(target=holder, daemon=True)
    first.start()
    _wait_until(lambda: gate._inside == 1, "the first holder")
    threads = []
    for i in range(6):
        t = threading.Thread(target=waiter, args=(i,), daemon=True)
        t.start()
        threads.append(t)
        _wait_until(lambda i=i: gate.waiting == i + 1, f"waiter {i} to queue")
    release.set()
    for t in [first, *threads]:
        t.join(10)
    assert order == list(range(6))
    assert gate._inside == 0 and gate.waiting == 0


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_never_more_holders_than_the_limit(limit: int) -> None:
    gate = FairGate()
    lock = threading.Lock()
    inside, most = [0], [0]

    def work() -> None:
        for _ in range(20):
            with gate.held(limit):
                with lock:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                time.sleep(0.0005)
                with lock:
                    inside[0] -= 1

    threads = [threading.Thread(target=work, daemon=True) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert most[0] == limit  # reached (8 threads) and never passed
    assert gate._inside == 0 and gate.waiting == 0


def test_no_limit_never_waits() -> None:
    gate = FairGate()
    with gate.held(None), gate.held(None), gate.held(None):
        assert gate._inside == 0 and gate.waiting == 0


def test_a_raised_limit_lets_waiters_in_at_once() -> None:
    gate = FairGate()
    release = threading.Event()
    entered: list[int] = []

    def holder() -> None:
        with gate.held(1):
            release.wait()

    def waiter(i: int, limit: int) -> None:
        with gate.held(limit):
            entered.append(i)
            release.wait()

    first = threading.Thread(target=holder, daemon=True)
    first.start()
    _wait_until(lambda: gate._inside == 1, "the holder")
    second = threading.Thread(target=waiter, args=(1, 1), daemon=True)
    second.start()
    _wait_until(lambda: gate.waiting == 1, "the waiter")
    # A third caller comes with a higher limit (the config changed): it may enter, and the
    # one queued before it goes first.
    third = threading.Thread(target=waiter, args=(2, 3), daemon=True)
    third.start()
    _wait_until(lambda: len(entered) == 2, "both waiters to enter")
    assert sorted(entered) == [1, 2] and gate._inside == 3
    release.set()
    for t in (first, second, third):
        t.join(10)
    assert gate._inside == 0 and gate.waiting == 0


class _Interrupting(FairGate):
    """A gate whose waiters are interrupted (as by KeyboardInterrupt) while they wait; with
    `handed_over` the one holder leaves, handing its place to the waiter, just before."""

    def __init__(self, handed_over: bool) -> None:
        super().__init__()
        self.handed_over = handed_over

    def _turn(self) -> threading.Event:
        gate = self

        class Turn(threading.Event):
            def wait(self, timeout: float | None = None) -> bool:
                if gate.handed_over:
                    with gate._lock:
                        gate._pass_on()  # the holder leaves: this waiter's turn is set
                raise KeyboardInterrupt

        return Turn()


@pytest.mark.parametrize("handed_over", [False, True])
def test_an_interrupted_waiter_leaves_no_place_taken(handed_over: bool) -> None:
    gate = _Interrupting(handed_over)
    gate._enter(1)  # one holder inside
    with pytest.raises(KeyboardInterrupt), gate.held(1):
        pass  # pragma: no cover (never entered)
    assert gate.waiting == 0
    if not handed_over:
        assert gate._inside == 1  # the holder is still inside; now it leaves
        with gate._lock:
            gate._pass_on()
    assert gate._inside == 0
    with gate.held(1):  # the place is free again
        assert gate._inside == 1
    assert gate._inside == 0


def test_search_concurrency_is_checked() -> None:
    assert RetrievalConfig().search_concurrency == "auto"
    assert RetrievalConfig(search_concurrency=None).search_concurrency is None
    assert RetrievalConfig(search_concurrency=3).search_concurrency == 3
    for bad in (0, -2, 1.5, "many"):
        with pytest.raises(InvalidInputError, match="search_concurrency"):
            RetrievalConfig(search_concurrency=bad)


def test_auto_is_the_cores_on_sqlite(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(memos.parts, "CORES", 3)
    with MemOS.open(tmp_path / "s") as mem:
        assert mem._store.search_limit() == 3
        mem.config.retrieval.search_concurrency = 5
        assert mem._store.search_limit() == 5
        mem.config.retrieval.search_concurrency = None
        assert mem._store.search_limit() is None


@pytest.mark.parametrize("limit", [1, 2])
def test_concurrent_searches_take_turns_with_the_same_answers(tmp_path: Any,
                                                              monkeypatch: Any,
                                                              limit: int) -> None:
    """Eight threads searching one store: never more than `limit` searches inside at once,
    every thread gets the answer a lone search gets."""
    import memos.search

    lock = threading.Lock()
    inside, most = [0], [0]
    real_run = memos.search._Request.run

    def counted(self: Any) -> Any:
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        try:
            time.sleep(0.001)  # keep it inside long enough for the others to pile up
            return real_run(self)
        finally:
            with lock:
                inside[0] -= 1

    monkeypatch.setattr(memos.search._Request, "run", counted)
    with MemOS.open(tmp_path / "s") as mem:
        mem.config.retrieval.search_concurrency = limit
        mem.add_many(FACTS, scope="u")
        alone = [h.id for h in mem.search("who keeps a parrot", scope="u")]
        got: list[list[str]] = []

        def work() -> None:
            for _ in range(5):
                ids = [h.id for h in mem.search("who keeps a parrot", scope="u")]
                with lock:
                    got.append(ids)

        threads = [threading.Thread(target=work, daemon=True) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(got) == 40 and all(ids == alone for ids in got)
        assert most[0] == limit
        assert mem._store._searches == 0 and mem._store._search_gate.waiting == 0


@pytest.mark.parametrize("bad", [0, -1, "Auto"])
def test_a_bad_limit_set_on_an_open_store_is_an_error_not_a_hang(tmp_path: Any,
                                                                 bad: Any) -> None:
    """The config of an open store can be changed (as the tests above do): a bad value is
    refused when set, and one that got in unchecked (model_construct, __dict__) is an error
    at search time: a limit of 0 made every search wait forever for a place that never
    frees."""
    with MemOS.open(tmp_path / "s") as mem:
        mem.add_many(FACTS, scope="u")
        with pytest.raises(InvalidInputError, match="search_concurrency"):
            mem.config.retrieval.search_concurrency = bad
        assert mem.config.retrieval.search_concurrency == "auto"
        mem.config.retrieval.__dict__["search_concurrency"] = bad  # past the check
        got: list[BaseException] = []

        def search() -> None:
            try:
                mem.search("who keeps a parrot", scope="u")
            except BaseException as exc:  # noqa: BLE001 (reported below)
                got.append(exc)

        t = threading.Thread(target=search, daemon=True)
        t.start()
        t.join(10)
        assert not t.is_alive(), "the search waits forever"
        assert len(got) == 1 and isinstance(got[0], InvalidInputError), got
        mem.config.retrieval.search_concurrency = "auto"
        assert mem.search("who keeps a parrot", scope="u")
