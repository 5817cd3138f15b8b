"""Property tests: random add / update / forget / rollback sequences over several users keep
every cube's history exact (DESIGN.md invariant 1) and never leak across scopes (invariant 2).

A plain dict is the model: cube id -> owner and the list of (content, state) per version.
Each example uses fresh user names, so one store serves every example of a run.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from rel_helpers import export_lines, fresh_store

from memos.config import MemosConfig
from memos.errors import NotFoundError, ScopeError

WORDS = ["tea", "coffee", "lisbon", "berlin", "marathon", "peanuts", "manager", "piano",
         "garden", "python", "sailing", "winter", "sister", "dentist", "budget", "novel"]
N_USERS = 3


@dataclass
class Tracked:
    owner: str
    versions: list[tuple[str, str]] = field(default_factory=list)  # (content, state)

    @property
    def live(self) -> bool:
        return self.versions[-1][1] == "active"


def make_machine(mem: object) -> type[RuleBasedStateMachine]:
    class VersioningMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            prefix = uuid.uuid4().hex[:8]
            self.users = [f"{prefix}-u{i}" for i in range(N_USERS)]
            self.cubes: dict[str, Tracked] = {}
            self.counter = 0
            self.prefix = prefix

        def _text(self, words: list[str]) -> str:
            # The counter keeps every text distinct, so dedup never folds two adds into one.
            self.counter += 1
            return f"{self.prefix} n{self.counter} " + " ".join(words)

        def _verify(self, cube_id: str) -> None:
            tracked = self.cubes[cube_id]
            got = [(c.version, c.content, c.state.value, c.scope.user_id)
                   for c in mem.history(cube_id, tracked.owner)]
            want = [(i, text, state, tracked.owner)
                    for i, (text, state) in enumerate(tracked.versions, start=1)]
            assert got == want
            if tracked.live:
                cube = mem.get(cube_id, tracked.owner)
                assert (cube.version, cube.content) == (len(want), tracked.versions[-1][0])
            else:
                with pytest.raises(NotFoundError):
                    mem.get(cube_id, tracked.owner)

        def _live(self) -> list[str]:
            return sorted(i for i, t in self.cubes.items() if t.live)

        @rule(user=st.integers(0, N_USERS - 1),
              words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=5))
        def add(self, user: int, words: list[str]) -> None:
            text = self._text(words)
            result = mem.add(text, self.users[user])
            assert (result.action, result.version) == ("added", 1)
            assert result.id not in self.cubes
            self.cubes[result.id] = Tracked(self.users[user], [(text, "active")])
            self._verify(result.id)

        @precondition(lambda self: any(t.live for t in self.cubes.values()))
        @rule(data=st.data(), words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=5))
        def update(self, data: st.DataObject, words: list[str]) -> None:
            cube_id = data.draw(st.sampled_from(self._live()))
            text = self._text(words)
            cube = mem.update(cube_id, self.cubes[cube_id].owner, content=text)
            self.cubes[cube_id].versions.append((text, "active"))
            assert cube.version == len(self.cubes[cube_id].versions)
            self._verify(cube_id)

        @precondition(lambda self: any(t.live for t in self.cubes.values()))
        @rule(data=st.data())
        def forget(self, data: st.DataObject) -> None:
            cube_id = data.draw(st.sampled_from(self._live()))
            tracked = self.cubes[cube_id]
            mem.forget(cube_id, tracked.owner)
            tracked.versions.append((tracked.versions[-1][0], "forgotten"))
            self._verify(cube_id)

        @precondition(lambda self: bool(self.cubes))
        @rule(data=st.data())
        def rollback(self, data: st.DataObject) -> None:
            cube_id = data.draw(st.sampled_from(sorted(self.cubes)))
            tracked = self.cubes[cube_id]
            # Only targets that change something: a no-op rollback has nothing to version.
            targets = [v for v, (text, _) in enumerate(tracked.versions, start=1)
                       if (text, "active") != tracked.versions[-1]]
            if not targets:
                return
            version = data.draw(st.sampled_from(targets))
            cube = mem.rollback(cube_id, tracked.owner, version)
            tracked.versions.append((tracked.versions[version - 1][0], "active"))
            assert (cube.version, cube.state.value) == (len(tracked.versions), "active")
            self._verify(cube_id)

        @precondition(lambda self: bool(self.cubes))
        @rule(data=st.data(), other=st.integers(1, N_USERS - 1))
        def foreign_caller_is_refused(self, data: st.DataObject, other: int) -> None:
            cube_id = data.draw(st.sampled_from(sorted(self.cubes)))
            tracked = self.cubes[cube_id]
            stranger = self.users[(self.users.index(tracked.owner) + other) % N_USERS]
            with pytest.raises((ScopeError, NotFoundError) if not tracked.live else ScopeError):
                mem.get(cube_id, stranger)
            with pytest.raises(ScopeError):
                mem.history(cube_id, stranger)
            with pytest.raises((ScopeError, NotFoundError)):
                mem.update(cube_id, stranger, content=self._text(["intruder"]))
            with pytest.raises((ScopeError, NotFoundError)):
                mem.forget(cube_id, stranger)

        @rule(user=st.integers(0, N_USERS - 1), word=st.sampled_from(WORDS))
        def search_stays_in_scope(self, user: int, word: str) -> None:
            owner = self.users[user]
            for hit in mem.search(f"{self.prefix} {word}", owner, k=20):
                assert hit.cube.scope.user_id == owner
                assert hit.id in self.cubes and self.cubes[hit.id].live
                assert hit.cube.content == self.cubes[hit.id].versions[-1][0]

        @invariant()
        def export_is_exactly_the_live_cubes(self) -> None:
            if self.counter % 3:  # every few steps: an export per user costs a full scan
                return
            self._check_exports()

        def _check_exports(self) -> None:
            for owner in self.users:
                lines = [line for line in export_lines(mem, owner) if line.get("type") == "cube"]
                got = {line["cube"]["id"]: (line["cube"]["content"], line["cube"]["version"],
                                            len(line["history"])) for line in lines}
                want = {i: (t.versions[-1][0], len(t.versions), len(t.versions) - 1)
                        for i, t in self.cubes.items() if t.owner == owner and t.live}
                assert got == want

        def teardown(self) -> None:
            for cube_id in self.cubes:
                self._verify(cube_id)
            self._check_exports()

    return VersioningMachine


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_random_histories_are_exact_and_scoped(backend: str, tmp_path: Path) -> None:
    with fresh_store(backend, tmp_path) as spec:
        # Near-duplicate merging is switched off: the generated texts share words on purpose.
        with spec.open(config=MemosConfig(dedup_threshold=None)) as mem:
            machine = make_machine(mem)
            run_state_machine_as_test(machine, settings=settings(
                max_examples=12, stateful_step_count=15, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
            assert mem.check().ok
