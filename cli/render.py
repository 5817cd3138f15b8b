"""How the `memos` command shows results: rich tables for people, plain JSON for scripts.

Rendering never decides anything about memories; it turns what the library returned into
text. `--json` output goes to stdout through `print_json` and nothing else is printed on
stdout in that mode, so `memos search ... --json | jq` always parses.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from rich.console import Console, RenderableType
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

# Wide enough that 32-character cube ids and short contents fit on one line in logs and
# tests, where there is no terminal to measure; a real terminal uses its own width.
_FALLBACK_WIDTH = 140


# -- Text from outside (stored memories, user ids, paths, library messages) ------------------
#
# Everything the CLI prints for people goes through Rich, which would read "[/foo]" in a
# memory as markup (an error, or "[bold red]" restyling the rest) and ":smile:" as an emoji,
# and would pass ESC sequences from a stored text straight to the terminal (window title,
# colours, a cleared screen). So outside text is never markup here: tables made by
# `new_table` / `SafeTable` show their str cells as they are, the consoles below parse no
# markup, and `clean` shows control characters as visible escapes (`\x1b`). Styled output is
# built with `styled` / rich.text.Text, never by formatting values into markup.

# C0 and C1 controls except newline and tab, DEL, the bidirectional marks and overrides
# (which reorder what follows them on screen), and lone surrogates (undecodable bytes of a
# path, which a UTF-8 terminal cannot be sent).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
                     "\u2066-\u2069\ud800-\udfff]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(value: Any) -> str:
    """`value` as text safe to show on a terminal: control characters (other than newline and
    tab), bidi overrides and lone surrogates become visible escapes such as `\\x1b`."""
    return _UNSAFE.sub(_visible, str(value))


def plain(value: Any, style: str = "") -> Text:
    """`value` as a Rich Text shown exactly as it is (cleaned), never read as markup."""
    return Text(clean(value), style=style)


def styled(*parts: str | tuple[str, str]) -> Text:
    """One line from pieces: a str piece as it is, a (text, style) pair in that style; every
    piece cleaned, none read as markup. styled(("error:", "red"), " ", message)."""
    text = Text()
    for part in parts:
        if isinstance(part, tuple):
            text.append(clean(part[0]), style=part[1])
        else:
            text.append(clean(part))
    return text


def _cell(value: RenderableType | None) -> RenderableType | None:
    return plain(value) if isinstance(value, str) else value


class SafeTable(Table):
    """A rich Table whose str title, caption and cells are shown as they are (cleaned), never
    read as markup: a memory "[/foo]" is a cell, not a MarkupError. Style a cell with a Text
    (plain(value, "bold"))."""

    def __init__(self, *headers: Any, title: RenderableType | None = None,
                 caption: RenderableType | None = None, **kwargs: Any) -> None:
        if isinstance(title, str):
            title = plain(title, kwargs.get("title_style") or "table.title")
        if isinstance(caption, str):
            caption = plain(caption, kwargs.get("caption_style") or "table.caption")
        super().__init__(*headers, title=title, caption=caption, **kwargs)

    def add_row(self, *renderables: RenderableType | None, style: Any = None,
                end_section: bool = False) -> None:
        super().add_row(*(_cell(cell) for cell in renderables), style=style,
                        end_section=end_section)


class QuietProgress(Progress):
    """A rich Progress that leaves nothing behind when it is transient or `failed` is set:
    in a terminal the bar is erased, and off a terminal (where a transient or failed bar
    never drew anything) Progress.stop's closing newline is not written either; it put an
    empty line on stderr, before the `error:` line of a failed `memos ingest` or `import`."""

    failed = False

    def stop(self) -> None:
        if self.failed:
            self.live.transient = True
        if not self.live.transient:
            super().stop()
        elif not self.disable:
            self.live.stop()


class SafeConsole(Console):
    """A Console that prints str as it is: no markup, no :emoji: codes, no highlighting, and
    control characters cleaned (`clean`). Print a Text (`plain`, `styled`) for style."""

    def __init__(self, **kwargs: Any) -> None:
        options: dict[str, Any] = {"highlight": False, "markup": False, "emoji": False}
        super().__init__(**{**options, **kwargs})

    def print(self, *objects: Any, **kwargs: Any) -> None:
        kwargs.setdefault("markup", False)
        super().print(*(clean(o) if isinstance(o, str) else o for o in objects), **kwargs)


def console() -> Console:
    """A console on the current stdout (looked up at call time, so capture works in tests);
    a SafeConsole: it shows str as it is, never as markup."""
    width = None if sys.stdout.isatty() else _FALLBACK_WIDTH
    return SafeConsole(file=sys.stdout, width=width, soft_wrap=False)


def err_console(**kwargs: Any) -> Console:
    """A SafeConsole on stderr."""
    return SafeConsole(stderr=True, **kwargs)


def out_console(**kwargs: Any) -> Console:
    """A SafeConsole on stdout at the terminal's own width (bench and model tables)."""
    return SafeConsole(file=sys.stdout, **kwargs)


def to_jsonable(obj: Any) -> Any:
    """Pydantic models, dataclasses, enums, datetimes and paths as plain JSON values; a float
    that JSON cannot hold (NaN, infinity: a diverged loss) as null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "model_dump"):
        return to_jsonable(obj.model_dump(mode="json"))
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, set | frozenset):
        return [to_jsonable(v) for v in sorted(obj, key=str)]
    if isinstance(obj, Iterable) and not isinstance(obj, bytes | bytearray):
        return [to_jsonable(v) for v in obj]
    return str(obj)


# Whether this command has printed its JSON result: a command that fails after it printed
# its report (`memos check --json` with problems) prints no second JSON document.
_printed: list[bool] = [False]


def json_printed(reset: bool = False) -> bool:
    """Whether print_json ran since the last reset (`reset`: start over, for a new command)."""
    done = _printed[0]
    if reset:
        _printed[0] = False
    return done


def print_json(obj: Any) -> None:
    """Write `obj` as indented JSON on stdout, with a trailing newline, and nothing else."""
    sys.stdout.write(json.dumps(to_jsonable(obj), indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    _printed[0] = True


def get(obj: Any, name: str, default: Any = None) -> Any:
    """Read a field from a model, dataclass or dict alike."""
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def short(text: Any, limit: int = 80) -> str:
    """One line of `text`, cut at `limit` characters with an ellipsis."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def fmt(value: Any) -> str:
    """A table cell for any value: enums by value, datetimes to the second, lists joined."""
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(fmt(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={fmt(v)}" for k, v in value.items())
    return str(value)


def scope_text(scope: Any) -> str:
    """`alice`, `alice/agent:planner`, ... — the compact form of a Scope."""
    if scope is None:
        return ""
    parts = [str(get(scope, "user_id", ""))]
    if get(scope, "agent_id"):
        parts.append(f"agent:{get(scope, 'agent_id')}")
    if get(scope, "session_id"):
        parts.append(f"session:{get(scope, 'session_id')}")
    visibility = get(scope, "visibility")
    if visibility is not None and fmt(visibility) != "private":
        parts.append(fmt(visibility))
    return "/".join(parts)


def new_table(title: str | None, columns: Sequence[str]) -> SafeTable:
    """A table whose cells fold instead of being cut, so ids are always whole; str cells and
    the title are shown as they are (SafeTable)."""
    table = SafeTable(title=title, title_justify="left", show_lines=False)
    for name in columns:
        table.add_column(name, overflow="fold")
    return table


def print_table(table: Table) -> None:
    console().print(table)


def print_message(message: str, style: str = "green") -> None:
    """One status line for people (never used in --json mode)."""
    console().print(plain(message, style))


def print_warning(message: str) -> None:
    """A yellow `warning:` line on stderr: the command succeeded, but not quite as asked
    (stdout stays clean for --json)."""
    err_console(soft_wrap=True).print(styled(("warning:", "yellow"), " ", message))


def kv_table(title: str | None, mapping: Mapping[str, Any]) -> Table:
    """Two columns, field and value; nested mappings are flattened with dotted names."""
    table = new_table(title, ["field", "value"])
    for key, value in _flatten(mapping):
        table.add_row(key, fmt(value))
    return table


def _flatten(mapping: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            rows.extend(_flatten(value, prefix=f"{name}."))
        else:
            rows.append((name, value))
    return rows


def cube_table(title: str | None, cubes: Iterable[Any]) -> Table:
    """One row per cube: id, version, kind, state, scope, content."""
    table = new_table(title, ["id", "v", "kind", "state", "scope", "content"])
    for cube in cubes:
        table.add_row(
            fmt(get(cube, "id")),
            fmt(get(cube, "version")),
            fmt(get(cube, "kind")),
            fmt(get(cube, "state")),
            scope_text(get(cube, "scope")),
            short(get(cube, "content", "")),
        )
    return table


def cube_detail(cube: Any) -> Table:
    """Every field of one cube, content in full."""
    data = to_jsonable(cube)
    data["scope"] = scope_text(get(cube, "scope"))
    return kv_table(f"cube {get(cube, 'id')} v{get(cube, 'version')}", data)


def why_text(hit: Any) -> str:
    """Which retrievers found a hit and at which rank: `dense#1 fulltext#3`."""
    ranks = get(hit, "ranks") or {}
    names = get(hit, "retrievers") or list(ranks)
    return " ".join(f"{name}#{ranks[name]}" if name in ranks else str(name) for name in names)


def hits_table(query: str, hits: Sequence[Any],
               folded: Mapping[str, str] | None = None) -> Table:
    """Search results best first, with the fused score and the retrievers that found each;
    under a hit, the text of each cube folded into it (`folded`: id -> text)."""
    # The query as a title: one line, cut at 80 characters (a pasted page would fill the
    # screen).
    table = new_table(f"{len(hits)} hit(s) for {short(query, 80)!r}",
                      ["#", "score", "why", "id", "kind", "content"])
    for rank, hit in enumerate(hits, start=1):
        cube = get(hit, "cube")
        table.add_row(
            str(rank),
            f"{get(hit, 'score', 0.0):.4f}",
            why_text(hit),
            fmt(get(cube, "id")),
            fmt(get(cube, "kind")),
            "\n".join([short(get(cube, "content", "")), *_held_note(cube),
                       *(f"↳ {short(folded[i], 76)}" for i in get(hit, "folded", None) or ()
                         if folded and i in folded)]),
        )
    return table


def _held_note(cube: Any) -> list[str]:
    """A line saying a hit no longer holds: superseded, or ended (its valid_to passed)."""
    state = str(getattr(get(cube, "state"), "value", get(cube, "state")) or "")
    ended = get(cube, "valid_to")
    if state == "superseded":
        return [f"(superseded{f', held until {fmt(ended)}' if ended else ''})"]
    if isinstance(ended, datetime) and (ended if ended.tzinfo else ended.replace(tzinfo=UTC)
                                        ) <= datetime.now(UTC):
        return [f"(ended {fmt(ended)})"]
    return []


def page_table(title: str, cubes: Sequence[Any]) -> Table:
    """A page of a user's live memories, last stored first."""
    table = new_table(title, ["id", "kind", "v", "recorded_at", "tags", "content"])
    for cube in cubes:
        table.add_row(fmt(get(cube, "id")), fmt(get(cube, "kind")), fmt(get(cube, "version")),
                      fmt(get(cube, "recorded_at")), fmt(get(cube, "tags")),
                      short(get(cube, "content", ""), 60))
    return table


def history_table(cube_id: str, versions: Sequence[Any],
                  made: Sequence[Any] | None = None) -> Table:
    """Every version of a cube, oldest first; with `made` (MemOS.versions, the owner's),
    how and when each was made and why."""
    by_version = {get(m, "version"): m for m in made or ()}
    table = new_table(f"history of {cube_id}", [
        "v", "state", *(("made", "at", "reason") if made else ("recorded_at",)),
        "valid_from", "valid_to", "tags", "content"])
    for cube in versions:
        how = by_version.get(get(cube, "version"))
        table.add_row(
            fmt(get(cube, "version")),
            fmt(get(cube, "state")),
            *((fmt(get(how, "op")), fmt(get(how, "at")), short(get(how, "reason") or "", 40))
              if made else (fmt(get(cube, "recorded_at")),)),
            fmt(get(cube, "valid_from")),
            fmt(get(cube, "valid_to")),
            fmt(get(cube, "tags")),
            short(get(cube, "content", ""), 60),
        )
    return table


def neighbors_table(cube_id: str, found: Sequence[Any]) -> Table:
    """The memories linked to a cube: how (relation, direction, hops) and what they say."""
    table = new_table(f"neighbors of {cube_id}", ["id", "relation", "way", "hops", "weight",
                                                  "content"])
    for n in found:
        cube = get(n, "cube")
        via = get(n, "via")  # no edge between the two: both link to that entity
        table.add_row(fmt(get(cube, "id")),
                      fmt(get(n, "relation")) + (f" (via entity {via})" if via else ""),
                      "->" if get(n, "direction") == "out" else "<-", fmt(get(n, "depth")),
                      fmt(get(n, "weight")), short(get(cube, "content", ""), 60))
    return table


def print_diff(diff: Any) -> None:
    """The changed fields as a table, then the unified content diff coloured by line."""
    changes = get(diff, "changes") or {}
    title = f"{get(diff, 'cube_id')}: v{get(diff, 'from_version')} -> v{get(diff, 'to_version')}"
    table = new_table(None, ["field", "old", "new"])
    for field, (old, new) in changes.items():
        if field == "content":
            continue  # shown below as a line diff
        table.add_row(field, fmt(old), fmt(new))
    out = console()
    # The title on a line of its own, never wrapped: a table's title folds to the table's
    # width, which cut the id in two on a narrow table.
    out.print(plain(title if changes else f"{title}: no changes"), soft_wrap=True)
    if table.row_count:
        out.print(table)
    content_diff = get(diff, "content_diff") or ""
    styles = {"+": "green", "-": "red", "@": "cyan"}
    for line in content_diff.splitlines():
        out.print(plain(line, styles.get(line[:1], "")))


def check_table(report: Any) -> Table:
    """One row per derived index: the changelog position it reflects and what disagrees."""
    title = f"check: {'consistent' if get(report, 'ok') else 'INCONSISTENT'} at changelog " \
            f"seq {get(report, 'changelog_seq')}"
    table = new_table(title, ["index", "ok", "seq", "behind", "expected", "actual", "missing",
                              "extra"])
    for name, index in (get(report, "indexes") or {}).items():
        table.add_row(
            name,
            "yes" if get(index, "ok") else "NO",
            fmt(get(index, "seq")),
            fmt(get(index, "behind")),
            fmt(get(index, "expected")),
            fmt(get(index, "actual")),
            fmt(get(index, "missing")),
            fmt(get(index, "extra")),
        )
    return table


def import_errors_text(errors: Sequence[tuple[int, str]], limit: int = 20,
                      words: Callable[[str], str] = str) -> list[str]:
    """`line 3: ...` for the first `limit` bad lines, then how many more there are; each
    message through `words` (the CLI's: SDK arguments as its options)."""
    lines = [f"line {number}: {words(message)}" for number, message in list(errors)[:limit]]
    if len(errors) > limit:
        lines.append(f"... and {len(errors) - limit} more bad line(s)")
    return lines
