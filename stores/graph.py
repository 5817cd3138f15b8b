"""In-memory graph of cubes and entities, persisted through the `edges` table.

The graph is loaded once per process and then follows the changelog (`link` rows name the
edge they added), so a search never rebuilds it. Nodes are cube pks (int) and entities
(`EntityKey`: the user id of the edge, which is the owner of the cube that mentions the
entity, and the normalised name). Entities are per user: Alice's cubes about "zurich" and
Bob's meet at two different nodes, so one user's writes never change which of another user's
cubes are linked. Which neighbours a caller may see is decided by callers, in SQL; but the
degree that decides whether an entity is a hub is counted here over the edges of cubes the
caller may read (`visible_degree`: each edge keeps its cube's agent and visibility, which
never change), so that another scope's private cubes never change a caller's graph results
(nor tell it that they exist).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import networkx as nx
from sqlalchemy import select
from sqlalchemy.orm import Session

from memos.cube import Visibility
from memos.stores.schema import CubeRow, EdgeRow

if TYPE_CHECKING:
    from memos.cube import Scope

log = logging.getLogger(__name__)

ENTITY_PREFIX = "entity:"
# The edge, and the agent and visibility of the cube it comes from (for `visible_degree`).
_EDGE_COLUMNS = (EdgeRow.id, EdgeRow.src_pk, EdgeRow.dst_pk, EdgeRow.entity, EdgeRow.relation,
                 EdgeRow.weight, EdgeRow.user_id, CubeRow.agent_id.label("src_agent"),
                 CubeRow.visibility.label("src_visibility"))


def _edges_select() -> Any:
    return select(*_EDGE_COLUMNS).select_from(EdgeRow).outerjoin(
        CubeRow, CubeRow.pk == EdgeRow.src_pk)


def entity_node(name: str) -> str:
    """Entities are matched case- and space-insensitively, and in NFC (the composed and
    decomposed spellings of "Café" are one entity)."""
    return ENTITY_PREFIX + " ".join(unicodedata.normalize("NFC", name).lower().split())


class EntityKey(NamedTuple):
    """An entity node: one per (user, normalised name). A tuple: hashed in C, as fast as the
    str nodes it replaced on the graph-expansion path of every search."""

    user_id: str
    name: str


def entity_key(user_id: str, name: str) -> EntityKey:
    """The node of entity `name` (as stored in `edges.entity`: no `entity:` prefix) for
    `user_id`, normalised as `entity_node` does."""
    return EntityKey(user_id, " ".join(name.lower().split()))


Node = int | EntityKey


@dataclass(frozen=True)
class GraphNeighbor:
    pk: int
    relation: str  # of the neighbour's own edge (to the entity, for a link through one)
    direction: str  # "out" | "in" relative to the node asked about
    weight: float
    depth: int
    via: EntityKey | None = None  # the entity a link through one passed


class GraphIndex:
    name = "graph"

    def __init__(self) -> None:
        self.graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self.seq = 0
        # entity -> (agent, visibility) of the cubes its edges come from -> edges
        self._readers: dict[EntityKey, dict[tuple[str | None, str | None], int]] = {}
        self._sources: dict[tuple[str | None, str | None], tuple[str | None, str | None]] = {}

    def _add_row(self, row: Any) -> None:
        if row.dst_pk is not None:
            self.graph.add_edge(row.src_pk, row.dst_pk, key=row.id, relation=row.relation,
                                weight=row.weight)
            return
        dst = entity_key(row.user_id, row.entity or "")
        src = (getattr(row, "src_agent", None), getattr(row, "src_visibility", None))
        src = self._sources.setdefault(src, src)  # one tuple per (agent, visibility)
        if self.graph.has_edge(row.src_pk, dst, key=row.id):
            return  # added already: counted once
        self.graph.add_edge(row.src_pk, dst, key=row.id, relation=row.relation,
                            weight=row.weight, src=src)
        counts = self._readers.setdefault(dst, {})
        counts[src] = counts.get(src, 0) + 1

    def load(self, session: Session, seq: int) -> None:
        """Replace the graph with every edge in SQL; `seq` is the changelog seq it reflects."""
        self.graph = nx.MultiDiGraph()
        self._readers = {}
        for row in session.connection().execute(_edges_select()):  # Core rows: fast
            self._add_row(row)
        self.seq = seq

    @staticmethod
    def edge_rows(session: Session, edge_ids: Sequence[int]) -> list[Any]:
        """The edges `edge_ids` as rows `add_rows` takes (read on the caller's transaction,
        added once it has committed: IndexSync.follow)."""
        if not edge_ids:
            return []
        return list(session.connection().execute(
            _edges_select().where(EdgeRow.id.in_(list(edge_ids)))))

    def add_rows(self, rows: Sequence[Any]) -> None:
        for row in rows:
            self._add_row(row)

    def remove_cubes(self, pks: Iterable[int]) -> None:
        gone = [pk for pk in pks if pk in self.graph]
        for pk in gone:
            for _, dst, data in self.graph.out_edges(pk, data=True):
                counts = self._readers.get(dst) if not isinstance(dst, int) else None
                src = data.get("src")
                if counts is not None and src in counts:
                    counts[src] -= 1
                    if counts[src] <= 0:
                        del counts[src]
        self.graph.remove_nodes_from(gone)
        isolated = [n for n in nx.isolates(self.graph) if not isinstance(n, int)]
        self.graph.remove_nodes_from(isolated)
        for node in isolated:
            self._readers.pop(node, None)

    def edge_count(self) -> int:
        """The edges held (networkx counts them node by node: for `memos check`, not for a
        search's path; see `is_empty`)."""
        return self.graph.number_of_edges()

    def is_empty(self) -> bool:
        """Whether the graph holds no node, in constant time. A node comes with an edge,
        and leaves with its cube (an entity, with its last edge), so an empty graph has
        no edges; one whose edges went with their other ends may keep a few lone cube
        nodes, which expand to nothing."""
        return self.graph.number_of_nodes() == 0

    def cube_pks(self) -> set[int]:
        return {n for n in self.graph.nodes if isinstance(n, int)}  # the rest are entities

    def entity_degree(self, user_id: str, name: str) -> int:
        """How many edges meet at `user_id`'s entity `name` (0 when it has none)."""
        key = entity_key(user_id, name)
        return int(self.graph.degree(key)) if key in self.graph else 0

    def visible_degree(self, node: EntityKey, reader: Scope) -> int:
        """How many edges meet at entity `node` from cubes whose agent and visibility let
        `reader` read them (the rule of `can_read`; whatever the cube's state: a forgotten
        or archived cube's edges count until it is purged): the degree a hub is judged by
        for that caller. Another user's private cubes, and a sibling agent's, are not counted:
        otherwise whether a public cube's entity neighbours come back in a search would
        tell how many private cubes name the entity."""
        counts = self._readers.get(node)
        if counts is None:  # an entity with no edge added through _add_row
            return int(self.graph.degree(node))
        own = reader.user_id == node.user_id
        return sum(n for (agent, visibility), n in counts.items()
                   if visibility == Visibility.PUBLIC.value or (own and (
                       visibility == Visibility.SHARED.value or agent is None
                       or agent == reader.agent_id)))

    def _hops(self, node: Node) -> list[tuple[Node, str, str, float]]:
        out = [(dst, d["relation"], "out", d["weight"])
               for _, dst, d in self.graph.out_edges(node, data=True)]
        inc = [(src, d["relation"], "in", d["weight"])
               for src, _, d in self.graph.in_edges(node, data=True)]
        return out + inc

    def neighbors(self, pk: int, depth: int = 1, relation: str | None = None,
                  max_entity_degree: int | None = None,
                  allowed: Callable[[list[int]], Collection[int]] | None = None,
                  reader: Scope | None = None) -> list[GraphNeighbor]:
        """Cubes reachable from `pk` within `depth` cube hops; entities are passed through
        (cube -> entity -> cube counts as one hop). `allowed(pks)`: which of a hop's cubes
        the caller may see; the others are neither returned nor walked through. `reader`:
        the caller, whose readable edges alone decide whether an entity is a hub
        (`visible_degree`; None: every edge)."""
        if pk not in self.graph:
            return []
        seen: set[Node] = {pk}
        found: list[GraphNeighbor] = []
        frontier: list[int] = [pk]
        for level in range(1, depth + 1):
            nxt: list[int] = []
            start = len(found)
            for node in frontier:
                for other, rel, direction, weight in self._hops(node):
                    targets: list[tuple[Node, str, str, float, EntityKey | None]] = []
                    if isinstance(other, int):
                        if relation is None or rel == relation:
                            targets = [(other, rel, direction, weight, None)]
                    else:  # an entity: pass through it
                        if other in seen:
                            continue
                        seen.add(other)
                        degree = (self.graph.degree(other) if reader is None
                                  else self.visible_degree(other, reader))
                        if max_entity_degree is not None and degree > max_entity_degree:
                            continue  # hub entities ("I", a user's name) link everything
                        # each neighbour by its own edge to the entity (its relation, which
                        # `relation` filters on), not by the edge this cube has to it
                        targets = [(c, r, "in", w, other) for c, r, _, w in self._hops(other)
                                   if relation is None or r == relation]
                    for target, trel, tdir, tweight, via in targets:
                        if isinstance(target, int) and target not in seen:
                            seen.add(target)
                            found.append(GraphNeighbor(target, trel, tdir, tweight, level,
                                                       via))
                            nxt.append(target)
            if allowed is not None and nxt:
                ok = allowed(nxt)
                found[start:] = [n for n in found[start:] if n.pk in ok]
                nxt = [p for p in nxt if p in ok]
            frontier = nxt
        return found

    def expand(self, seeds: Sequence[int], max_entity_degree: int,
               reader: Scope | None = None) -> dict[int, float]:
        """Graph candidates for retrieval: neighbours of the seeds, scored by edge weight
        and the seed's rank (earlier seeds count more). A seed that neighbours another seed
        is a candidate too: being linked to a strong hit is evidence for it. `reader`: the
        searching scope, whose readable edges decide which entities are hubs."""
        scores: dict[int, float] = {}
        for rank, seed in enumerate(seeds, start=1):
            for nb in self.neighbors(seed, 1, max_entity_degree=max_entity_degree,
                                     reader=reader):
                scores[nb.pk] = scores.get(nb.pk, 0.0) + nb.weight / rank
        return scores
