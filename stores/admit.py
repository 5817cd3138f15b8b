"""An in-memory copy of the columns that decide whether a search may return a cube.

Every search admits its candidates (about 150 pks from the vector and full-text indexes)
against the caller's scope, the cubes' state, expiry and tier (`Repository.admit_default`):
one SQL statement per search, and on SQLite at 100,000 cubes one of its larger costs (a
development profile; `memos bench retrieval` shows the effect, docs/BENCHMARKS.md).
`AdmitMirror` holds the same columns, one array slot per pk, and answers the same test with
numpy:

    ((user_id = :user AND (visibility != 'private' OR agent_id IS NULL OR agent_id = :agent))
     OR visibility = 'public')
    AND state IN :states AND (expires_at IS NULL OR expires_at > :now) AND tier IN :tiers

It is exact, not approximate: strings are compared as SQLite compares them (byte for byte;
`expires_at` as the stored text, which is how SQLite compares it with `:now`), and a value
the copy could not compare the same way (a NULL where the schema forbids one, a non-text
expiry) makes the load or the update fail, so that the caller falls back to SQL. It holds
ids and codes, no text of any memory.

A copy is current at one changelog seq. `IndexSync.admission` uses it only for a search
whose read snapshot has exactly that head, catching it up first from the changelog in that
same snapshot (every change of these columns writes a changelog row); a purge among the
changes drops it instead (its user and agent ids go with it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from memos.cube import Visibility
from memos.stores.schema import INDEXED_STATES, UNINDEXED_TIERS
from memos.stores.vector_index import pack, with_bits

# The columns, in the order every statement here reads them.
COLUMNS = "pk, user_id, visibility, agent_id, state, tier, expires_at"
LOAD_SQL = f"SELECT {COLUMNS} FROM cubes INDEXED BY ix_cubes_admit"
EXPIRY_BYTES = 40  # longest stored expiry text kept (SQLAlchemy writes 26 characters)
CHUNK = 20_000
# The arrays have one slot per pk up to the largest: pks far sparser than the rows (only
# raw SQL makes them) would cost more memory than the copy is worth.
SPARSE_MIN = 1_000_000
SPARSE_FACTOR = 8
NULL = -1  # the code of a NULL agent_id
READERS_KEPT = 16  # users whose readable() bitmaps are kept current
# The per-pk arrays
ARRAYS = ("present", "user", "agent", "visibility", "state", "tier", "expires", "expiring",
          "indexed", "hidden")
NEVER = -2  # a code no row has (a scope user or agent the copy has never seen)


class MirrorUnfit(ValueError):
    """A row the copy cannot compare exactly as SQLite would: the caller uses SQL."""


class AdmitMirror:
    """Admission columns by pk (see the module docstring). Not thread-safe: the caller
    (`IndexSync`) holds its lock around every call."""

    def __init__(self, seq: int, capacity: int = 1024) -> None:
        self.seq = seq
        self.users: dict[str, int] = {}
        self.agents: dict[str, int] = {}
        self.codes: dict[str, int] = {}  # visibility, state and tier values share one table
        cap = max(16, capacity)
        self.present = np.zeros(cap, dtype=bool)
        self.user = np.full(cap, NEVER, dtype=np.int32)
        self.agent = np.full(cap, NEVER, dtype=np.int32)
        self.visibility = np.full(cap, NEVER, dtype=np.int32)
        self.state = np.full(cap, NEVER, dtype=np.int32)
        self.tier = np.full(cap, NEVER, dtype=np.int32)
        self.expires = np.zeros(cap, dtype=f"S{EXPIRY_BYTES}")
        self.expiring = np.zeros(cap, dtype=bool)  # expires_at is not NULL
        self.rows = 0
        # For `readable`: whether a row is in the vector index (an indexed state, a tier
        # with text) and whether it is hidden (in the index and not public: its user's
        # alone); hidden rows per user code and in all; the largest pk put.
        self.indexed = np.zeros(cap, dtype=bool)
        self.hidden = np.zeros(cap, dtype=bool)
        self.hidden_by_user: dict[int, int] = {}
        self.hidden_total = 0
        self.top = 0
        # user id -> (bitmap, count) of the rows she may read, kept current by every change
        # (`_patch`), most recently made last
        self._readable: dict[str | None, tuple[np.ndarray, int]] = {}

    # -- building ------------------------------------------------------------------------

    @classmethod
    def load(cls, conn: Any, seq: int, stop: Callable[[], bool] | None = None,
             chunk: int = CHUNK) -> AdmitMirror:
        """Every cube's admission columns, read on `conn` (a DB-API sqlite3 connection inside
        the read snapshot whose changelog head is `seq`). `stop()` is asked between chunks:
        True abandons the load (InterruptedError)."""
        count, top = conn.execute("SELECT count(*), coalesce(max(pk), 0) FROM cubes").fetchone()
        mirror = cls(seq, capacity=1)
        mirror._grow(int(top), int(count))
        cursor = conn.execute(LOAD_SQL)
        while True:
            if stop is not None and stop():
                raise InterruptedError("admission copy load stopped")
            rows = cursor.fetchmany(chunk)
            if not rows:
                break
            mirror._put(rows)
        return mirror

    def _code(self, table: dict[str, int], value: Any) -> int:
        if not isinstance(value, str):
            raise MirrorUnfit(f"a cube column holds {type(value).__name__}, not text")
        code = table.get(value)
        if code is None:
            code = table[value] = len(table)
        return code

    def _grow(self, top: int, rows: int) -> None:
        """Room for pks up to `top` in a copy of `rows` rows."""
        cap = len(self.present)
        if top < cap:
            return
        if top > max(SPARSE_MIN, SPARSE_FACTOR * rows):
            raise MirrorUnfit(f"pks reach {top:,} for {rows:,} rows: too sparse for a copy")
        new = min(max(top + 1, cap * 2), max(SPARSE_MIN, SPARSE_FACTOR * rows) + 1)
        for name in ARRAYS:
            old = getattr(self, name)
            grown = np.zeros(new, dtype=old.dtype) if old.dtype.kind in "bS" else np.full(
                new, NEVER, dtype=old.dtype)
            grown[:cap] = old
            setattr(self, name, grown)
        self._readable.clear()  # (bitmaps of the old size; made again when asked)

    def _put(self, rows: Sequence[Sequence[Any]]) -> None:
        """Set the columns of these rows (pk first, in COLUMNS order)."""
        if not rows:
            return
        pks = np.fromiter((int(r[0]) for r in rows), dtype=np.int64, count=len(rows))
        if len(pks) > 1 and not (pks[1:] > pks[:-1]).all():  # (SQL gives them in order)
            pks = np.unique(pks)
        if pks[0] < 0:  # (a negative index would land on another pk)
            raise MirrorUnfit("a cube has a negative pk")
        self._grow(int(pks[-1]), self.rows + len(rows))
        code, users, agents, codes = self._code, self.users, self.agents, self.codes
        self._unhide(pks[self.present[pks]])
        for pk, user, visibility, agent, state, tier, expires in rows:
            pk = int(pk)
            if expires is not None:
                # ('S' arrays drop trailing NUL bytes; SQLite compares them)
                if not isinstance(expires, str) or not expires.isascii() or len(
                        expires) > EXPIRY_BYTES or "\x00" in expires:
                    raise MirrorUnfit("an expires_at value is not short ASCII text")
                self.expires[pk] = expires.encode("ascii")
            self.expiring[pk] = expires is not None
            self.user[pk] = code(users, user)
            self.agent[pk] = NULL if agent is None else code(agents, agent)
            self.visibility[pk] = code(codes, visibility)
            self.state[pk] = code(codes, state)
            self.tier[pk] = code(codes, tier)
            if not self.present[pk]:
                self.rows += 1
            self.present[pk] = True
        # in the index: an indexed state and a tier with text; hidden: and not public
        table = np.zeros(len(codes) + 2, dtype=bool)  # (as in admit(): NULL, NEVER last)
        table[[codes[s] for s in INDEXED_STATES if s in codes]] = True
        indexed = table[self.state[pks]]
        table[:] = True
        table[[codes[t] for t in UNINDEXED_TIERS if t in codes]] = False
        indexed &= table[self.tier[pks]]
        hidden = indexed & (self.visibility[pks] != codes.get(Visibility.PUBLIC.value, NEVER))
        self.indexed[pks], self.hidden[pks] = indexed, hidden
        self._count_hidden(pks[hidden], 1)
        self.top = max(self.top, int(pks[-1]))
        if self._readable:
            self._patch(pks)

    def _count_hidden(self, pks: np.ndarray, sign: int) -> None:
        """Add (sign 1) or take away (-1) these hidden rows in the per-user counts."""
        if not len(pks):
            return
        owners, counts = np.unique(self.user[pks], return_counts=True)
        for owner, count in zip(owners.tolist(), counts.tolist(), strict=True):
            self.hidden_by_user[owner] = self.hidden_by_user.get(owner, 0) + sign * count
        self.hidden_total += sign * len(pks)

    def _unhide(self, pks: np.ndarray) -> None:
        """Take rows (distinct pks) out of the hidden counts and the index (before they
        change or go)."""
        self._count_hidden(pks[self.hidden[pks]], -1)
        self.hidden[pks] = False
        self.indexed[pks] = False

    def _patch(self, pks: np.ndarray) -> None:
        """Set these rows' bits in the readers' bitmaps kept (`readable`) as they are now
        (`with_bits`: each bitmap changed is a new array, a search may still be reading the
        old one)."""
        pks = np.unique(pks)
        for user_id, (bits, count) in list(self._readable.items()):
            on = self.indexed[pks] & ~self.hidden[pks]
            if user_id is not None:
                on |= self.indexed[pks] & (self.user[pks] == self.users.get(user_id, NEVER))
            new, added = with_bits(bits, pks, on)
            if new is not bits:
                self._readable[user_id] = (new, count + added)

    def update(self, rows: Sequence[Sequence[Any]], named: Iterable[int], seq: int) -> None:
        """Apply the changes up to `seq`: `named` are the pks the changelog names, `rows`
        their current columns (those without a row are gone). On MirrorUnfit the copy is
        left half changed: the caller drops it."""
        have = {int(r[0]) for r in rows}
        gone = [pk for pk in named
                if pk not in have and 0 <= pk < len(self.present) and self.present[pk]]
        if gone:
            dropped = np.unique(np.asarray(gone, dtype=np.int64))
            self._unhide(dropped)
            self.present[dropped] = False
            self.rows -= len(dropped)
            if self._readable:
                self._patch(dropped)
        self._put(rows)
        self.seq = seq

    # -- asking ----------------------------------------------------------------------------

    def admit(self, pks: Sequence[int], user_id: str, agent_id: str | None,
              states: Sequence[str], tiers: Sequence[str], now: str, private: str,
              public: str) -> list[int]:
        """The pks among `pks` that `Repository.admit_default` admits (same order, no
        duplicates removed). `now` is the expiry bound as the driver receives it (text);
        `private` and `public` are the two visibility values the test names."""
        p = np.fromiter(pks, dtype=np.int64, count=len(pks))
        inside = p[(p >= 0) & (p < len(self.present))]
        if not len(inside):
            return []
        codes = self.codes
        vis = self.visibility[inside]
        agent = self.agent[inside]
        user_code = self.users.get(user_id, NEVER)
        agent_code = NEVER if agent_id is None else self.agents.get(agent_id, NEVER)
        own = (self.user[inside] == user_code) & (
            (vis != codes.get(private, NEVER)) | (agent == NULL) | (agent == agent_code))
        ok = self.present[inside] & (own | (vis == codes.get(public, NEVER)))
        # state IN / tier IN: a table of the codes allowed, indexed by code (0..len-1; the
        # two slots after them, never set, are where NULL and NEVER (-1, -2) land)
        allowed = np.zeros(len(codes) + 2, dtype=bool)
        allowed[[codes[s] for s in states if s in codes]] = True
        ok &= allowed[self.state[inside]]
        allowed[:] = False
        allowed[[codes[t] for t in tiers if t in codes]] = True
        ok &= allowed[self.tier[inside]]
        expiring = self.expiring[inside]
        if expiring.any():
            ok[expiring] &= self.expires[inside[expiring]] > now.encode("ascii")
        return inside[ok].tolist()

    def readable(self, user_id: str | None) -> tuple[np.ndarray | None, int, int]:
        """The rows `user_id` may read among those in the vector index, her own (every
        agent's) and public ones: a bitmap of pks (`stores.vector_index.pack`)
        and how many it holds, or None and 0 when she may read every row there (no other
        user's hidden row: a store of one user, asked in O(1)); and the largest pk of the
        copy. `user_id` None: public rows only. A bitmap is made once per user and then
        kept current by each change (`_patch`), for the last READERS_KEPT users asked."""
        code = None if user_id is None else self.users.get(user_id, NEVER)
        if self.hidden_total - (0 if code is None else self.hidden_by_user.get(code, 0)) == 0:
            return None, 0, self.top
        kept = self._readable.pop(user_id, None)
        if kept is None:
            mask = self.indexed & ~self.hidden
            if code is not None:
                mask |= self.indexed & (self.user == code)
            kept = (pack(mask), int(np.count_nonzero(mask)))
            while len(self._readable) >= READERS_KEPT:
                del self._readable[next(iter(self._readable))]
        self._readable[user_id] = kept  # (most recently asked last)
        return kept[0], kept[1], self.top

    def nbytes(self) -> int:
        return sum(getattr(self, n).nbytes for n in ARRAYS)


__all__ = ["AdmitMirror", "MirrorUnfit"]
