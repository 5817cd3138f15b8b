"""Fuzz every `memos` command with random arguments and option values (issue 9).

The commands are found by walking the typer app, so a new command is fuzzed without editing
this file. For each one hypothesis draws an argv: its positional arguments and a random
subset of its options, with values from a pool of awkward strings (unicode, bidi, NUL, huge
and non-finite numbers, negatives, empty, paths that do not exist, /proc paths, database
URLs of every kind, broken JSON) mixed with values of the right type. Whatever comes out:

- no traceback, exit code 0, 1 or 2;
- a failure prints exactly one `error:` line (an import may list its bad lines first), or
  typer's usage box;
- never an "internal error": every failure a user can provoke is a memos.errors exception.

Commands that train models or run benchmarks (model, bench, eval) are only given a value
that cannot parse for one of their numeric options, so they stop at the usage error.
Deterministic (derandomize) and in-process, so the whole file runs in well under a minute.
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Commands under these groups train models or run long measurements; `serve` serves until
# stopped. Each gets a bad numeric option, so it stops at argument checking.
LONG_GROUPS = ("model", "bench", "eval", "serve")
EXAMPLES = 10  # per command: ~20 commands x 10 runs of ~50 ms CPU


def _commands() -> list[tuple[tuple[str, ...], Any]]:
    import typer

    from memos.cli.app import _register, app

    _register()
    found: list[tuple[tuple[str, ...], Any]] = []

    def walk(group: Any, path: tuple[str, ...]) -> None:
        for name, command in sorted(group.commands.items()):
            if hasattr(command, "commands"):
                walk(command, (*path, name))
            else:
                found.append(((*path, name), command))

    walk(typer.main.get_command(app), ())
    return found


COMMANDS = _commands()


def _is_numeric(param: Any) -> bool:
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    kinds = {annotation, *typing.get_args(annotation)}
    if kinds & {int, float}:
        return True
    return getattr(getattr(param, "type", None), "name", "") in ("integer", "float")


def _nasty(tmp: Path, store: str, cube_id: str) -> list[str]:
    return [
        "", " ", "\t\n", "-", "--", "x", "é", "e\u0301", "日本語のメモ", "\u202eevil", "\u200b",
        "a\x00b", "💾" * 50, "x" * 5_000,
        "0", "1", "-1", "2", "-0", "1.5", "1e400", "-1e400", "inf", "-inf", "nan", "NaN",
        "99999999999999999999", "-99999999999999999999", str(2**63), str(2**64 + 1),
        "1970-01-01", "99999-12-31", "2026-02-30",
        cube_id, cube_id.upper(), "f" * 32, "entity:", "entity:alice", "entity:" + "z" * 500,
        "a=b", "=", "k=", "=v", 'k={"a": 1}', "k=[1,", "k=nan",
        "{", "[", "null", "[]", "{}", '{"or": []}', '{"not": null}', '{"tag": 5}',
        '{"meta": {"a\\"b": 1}}', '{"and": [{"tag": "a"}]}', "[" * 3_000,
        str(tmp / "missing" / "x"), str(tmp / "missing.jsonl"), str(tmp / "junk.txt"),
        str(tmp / "good.jsonl"), str(Path(store) / "memos.db"), store,
        "/proc/self/x", "/proc/self/status", "/proc/self/status/x",
        "mysql://root:pw@localhost/db", "postgresql+psycopg://nobody@127.0.0.1:1/none",
        "sqlite:///" + str(tmp / "missing" / "x.db"), "sqlite://", "foo://bar", "http://x",
        "hashing", "hashing:0", "hashing:7", "hashing:99999999999", "minilm-typo",
        "fact", "preference", "private", "public", "skip", "abort", "memory-qa",
    ]


# What a numeric option is most often given: the edges of int64/float and non-numbers.
NUMBERS = ["0", "-1", "1e400", "inf", "-inf", "nan", "99999999999999999999", str(2**63),
           "-99999999999999999999", "1.5", "x", ""]


def _values(tmp: Path, store: str, cube_id: str) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(_nasty(tmp, store, cube_id)),
        st.text(max_size=12),
        st.integers(-(10**22), 10**22).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    )


def _bad_stores(tmp: Path) -> st.SearchStrategy[str]:
    """Store locations that cannot work: a file that is not a database, a folder in a file,
    /proc, unsupported or unreachable URLs, a database URL of a missing file."""
    return st.one_of(st.sampled_from([
        str(tmp / "junk.txt"), str(tmp / "junk.db"), str(tmp / "good.jsonl"),
        str(tmp / "junk.txt" / "store"), str(tmp / "missing"), "/proc/self/x", "/proc/self/status",
        "/proc/self/status/x", "mysql://root:pw@localhost/db", "foo://bar", "sqlite:///",
        "postgresql+psycopg://nobody@127.0.0.1:1/none", "sqlite:///" + str(tmp / "no" / "x.db"),
        "", " ",
    ]), st.text(max_size=8))


@pytest.fixture
def fuzz_store(memos_cli: Any, store: str, tmp_path: Path,
               monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """A store with one cube of alice's, an export of it and a junk file; cwd is tmp_path so
    relative paths drawn by the fuzzer land there."""
    monkeypatch.chdir(tmp_path)
    added = memos_cli("add", "Alice keeps bees on her roof", "-u", "alice", "--json",
                      "--store", store, store_args=False)
    assert added.code == 0, added.err
    cube_id = added.json()["id"]
    exported = memos_cli("export", str(tmp_path / "good.jsonl"), "-u", "alice", "--store",
                         store, store_args=False)
    assert exported.code == 0, exported.err
    (tmp_path / "junk.txt").write_bytes(b"\xff\xfe not json \x00\n{\n")
    (tmp_path / "junk.db").write_bytes(b"SQLite format 3\x00" + b"\x07" * 600)
    return store, cube_id


def _check(path: tuple[str, ...], argv: list[str], result: Any) -> None:
    shown = f"memos {' '.join(argv)!r:.600}\nexit {result.code}\nstderr: {result.err[-2000:]}"
    assert result.code in (0, 1, 2), shown
    assert "Traceback" not in result.out + result.err, shown
    assert "internal error" not in result.err, shown
    if result.code == 0:
        return
    lines = result.err_lines
    if any("Usage:" in line or "Try 'memos" in line for line in lines):
        assert result.code == 2, shown  # typer's own usage error box
        return
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, shown
    others = [line for line in lines if not line.startswith("error:")]
    # An import that refuses its file lists the bad lines (by number) before the error.
    assert all(line.startswith(("line ", "... and ")) for line in others), shown


@pytest.mark.parametrize("path,command", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_random_arguments_never_crash(memos_cli: Any, fuzz_store: tuple[str, str],
                                      tmp_path: Path, path: tuple[str, ...], command: Any,
                                      data: st.DataObject) -> None:
    store, cube_id = fuzz_store
    values = _values(tmp_path, store, cube_id)
    long_running = path[0] in LONG_GROUPS
    argv: list[str] = list(path)
    for param in command.params:
        if param.param_type_name == "argument":
            if param.required or data.draw(st.booleans()):
                argv.append(data.draw(values))
            continue
        if param.name in ("help", "store") or not param.opts:
            continue
        if param.name == "user" and data.draw(st.integers(0, 3)):
            argv += ["--user", "alice"]  # mostly a real user, so the command gets further
            continue
        if not data.draw(st.integers(0, 3)) == 0:  # each option in about one run of four
            continue
        flag = data.draw(st.sampled_from([*param.opts, *param.secondary_opts]))
        if getattr(param, "is_flag", False):
            argv.append(flag)
            continue
        pool = st.one_of(st.sampled_from(NUMBERS), values) if _is_numeric(param) else values
        for _ in range(data.draw(st.integers(1, 2)) if param.multiple else 1):
            argv += [flag, data.draw(pool)]
    if long_running:
        numeric = [p for p in command.params if p.param_type_name == "option" and _is_numeric(p)]
        assert numeric, f"{path}: no numeric option to stop it with"
        param = data.draw(st.sampled_from(numeric))
        argv += [param.opts[0], data.draw(st.sampled_from(["x", "1.5e", "", "inf?", "二"]))]
    elif any(p.name == "store" for p in command.params):
        # Two runs in five get a store location that cannot work.
        bad = data.draw(st.integers(0, 4)) < 2
        argv += ["--store", data.draw(_bad_stores(tmp_path) if bad else st.just(store))]
    stdin = data.draw(st.binary(max_size=64))
    result = memos_cli(*argv, stdin=stdin, store_args=False)
    _check(path, argv, result)
