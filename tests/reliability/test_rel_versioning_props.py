"""Property tests: random add / update / forget / rollback / purge sequences over several users
and agents keep every cube's history exact (DESIGN.md invariant 1) and never leak across
scopes (invariant 2).

A plain dict is the model: cube id -> owner (user, agent or None) and the list of
(content, state) per version. All cubes are private: a cube with an agent is readable only by
that agent of its user, one without an agent by every caller of its user (docs/SDK.md).
Each example uses fresh user names, so one store serves every example of a run.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
from memos.cube import Scope
from memos.errors import NotFoundError, ScopeError
from memos.parts import not_found

WORDS = ["tea", "coffee", "lisbon", "berlin", "marathon", "peanuts", "manager", "piano",
         "garden", "python", "sailing", "winter", "sister", "dentist", "budget", "novel"]
N_USERS = 3
AGENTS: list[str | None] = [None, "planner", "coach"]


@dataclass
class Tracked:
    user: str
    agent: str | None
    versions: list[tuple[str, str]] = field(default_factory=list)  # (content, state)

    @property
    def live(self) -> bool:
        return self.versions[-1][1] == "active"

    @property
    def owner(self) -> Scope:
        return Scope(user_id=self.user, agent_id=self.agent)

    def readable_by(self, caller: Scope) -> bool:
        return caller.user_id == self.user and self.agent in (None, caller.agent_id)


def make_machine(mem: Any) -> type[RuleBasedStateMachine]:
    class VersioningMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.prefix = uuid.uuid4().hex[:8]
            self.users = [f"{self.prefix}-u{i}" for i in range(N_USERS)]
            self.cubes: dict[str, Tracked] = {}
            self.purged: set[str] = set()
            self.counter = 0

        def _text(self, words: list[str]) -> str:
            # The counter keeps every text distinct, so dedup never folds two adds into one.
            self.counter += 1
            return f"{self.prefix} n{self.counter} " + " ".join(words)

        def _verify(self, cube_id: str) -> None:
            tracked = self.cubes[cube_id]
            got = [(c.version, c.content, c.state.value, c.scope.user_id, c.scope.agent_id)
                   for c in mem.history(cube_id, tracked.owner)]
            want = [(i, text, state, tracked.user, tracked.agent)
                    for i, (text, state) in enumerate(tracked.versions, start=1)]
            assert got == want
            if tracked.live:
                cube = mem.get(cube_id, tracked.owner)
                assert (cube.version, cube.content) == (len(want), tracked.versions[-1][0])
            else:
                with pytest.raises(NotFoundError):
                    mem.get(cube_id, tracked.owner)

        def _live(self) -> list[str]:
            # Insertion order, not id order: ids are random, and draws must replay identically.
            return [i for i, t in self.cubes.items() if t.live]

        def _check_export(self, caller: Scope) -> None:
            lines = [line for line in export_lines(mem, caller) if line.get("type") == "cube"]
            got = {line["cube"]["id"]: (line["cube"]["content"], line["cube"]["version"],
                                        len(line["history"])) for line in lines}
            want = {i: (t.versions[-1][0], len(t.versions), len(t.versions) - 1)
                    for i, t in self.cubes.items() if t.live and t.readable_by(caller)}
            assert got == want

        @rule(user=st.integers(0, N_USERS - 1), agent=st.sampled_from(AGENTS),
              words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=5))
        def add(self, user: int, agent: str | None, words: list[str]) -> None:
            text = self._text(words)
            tracked = Tracked(self.users[user], agent, [(text, "active")])
            result = mem.add(text, tracked.owner)
            assert (result.action, result.version) == ("added", 1)
            assert result.id not in self.cubes
            self.cubes[result.id] = tracked
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
            cube_id = data.draw(st.sampled_from(list(self.cubes)))
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
        @rule(data=st.data())
        def purge(self, data: st.DataObject) -> None:
            cube_id = data.draw(st.sampled_from(list(self.cubes)))
            tracked = self.cubes.pop(cube_id)
            report = mem.purge(cube_id, tracked.owner)
            assert (report.cube_ids, report.versions) == ([cube_id], len(tracked.versions))
            self.purged.add(cube_id)
            with pytest.raises(NotFoundError):
                mem.history(cube_id, tracked.owner)

        @precondition(lambda self: bool(self.cubes))
        @rule(data=st.data(), other=st.integers(1, N_USERS - 1))
        def foreign_caller_is_refused(self, data: st.DataObject, other: int) -> None:
            cube_id = data.draw(st.sampled_from(list(self.cubes)))
            tracked = self.cubes[cube_id]
            stranger = self.users[(self.users.index(tracked.user) + other) % N_USERS]
            callers = [Scope(user_id=stranger, agent_id=tracked.agent)]
            if tracked.agent is not None:  # the same user through another agent
                callers.append(Scope(user_id=tracked.user,
                                     agent_id=next(a for a in AGENTS[1:] if a != tracked.agent)))
            for caller in callers:
                # A private cube of another scope reads exactly like a missing one.
                with pytest.raises(NotFoundError) as err:
                    mem.get(cube_id, caller)
                assert str(err.value) == str(not_found(cube_id))
                with pytest.raises(NotFoundError):
                    mem.history(cube_id, caller)
                with pytest.raises((ScopeError, NotFoundError)):
                    mem.update(cube_id, caller, content=self._text(["intruder"]))
                with pytest.raises((ScopeError, NotFoundError)):
                    mem.forget(cube_id, caller)

        @rule(user=st.integers(0, N_USERS - 1), agent=st.sampled_from(AGENTS),
              word=st.sampled_from(WORDS))
        def search_and_export_stay_in_scope(self, user: int, agent: str | None,
                                            word: str) -> None:
            caller = Scope(user_id=self.users[user], agent_id=agent)
            for hit in mem.search(f"{self.prefix} {word}", caller, k=20):
                tracked = self.cubes.get(hit.id)
                assert tracked is not None and tracked.live and tracked.readable_by(caller)
                assert hit.cube.content == tracked.versions[-1][0]
            self._check_export(caller)

        @invariant()
        def store_counts_match(self) -> None:
            for user in self.users:
                stats = mem.stats(user)
                assert stats.live == sum(t.live for t in self.cubes.values() if t.user == user)
                assert stats.versions == sum(len(t.versions) for t in self.cubes.values()
                                             if t.user == user)

        def teardown(self) -> None:
            for cube_id in self.cubes:
                self._verify(cube_id)
            for user in self.users:
                for agent in AGENTS:
                    self._check_export(Scope(user_id=user, agent_id=agent))

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
