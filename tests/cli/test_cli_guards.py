"""The CLI refuses what it cannot do before doing anything: a file that is not a memos store
(left byte for byte as it was), a read-only store, bad input of a command that would create a
store, empty or unusable output paths, out-of-range model options, unsupported bench URLs;
piped chat reports failed turns in its exit code; `memos export -` is stdout; library
messages reach the user in CLI words."""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from memos.errors import StoreError

Run = Callable[..., Any]  # the `memos_cli` fixture of conftest.py
DOCS = Path(__file__).resolve().parents[2] / "docs" / "CLI.md"


def _one_error_line(result: Any, codes: tuple[int, ...] = (1, 2)) -> str:
    assert result.code in codes, (result.code, result.err)
    assert "Traceback" not in result.err + result.out
    assert "internal error" not in result.err
    lines = result.err_lines
    assert len(lines) == 1 and lines[0].startswith("error:"), result.err
    return lines[0]


def _usage_error(result: Any, flag: str) -> str:
    """typer's usage box (exit 2) naming `flag`."""
    assert result.code == 2, (result.code, result.err)
    assert "Traceback" not in result.err and "internal error" not in result.err
    assert flag in result.err, result.err
    return result.err


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _add(memos_cli: Run, text: str = "Alice prefers green tea", *args: str) -> str:
    result = memos_cli("add", text, "-u", "alice", "--json", *args)
    assert result.code == 0, result.err
    return str(result.json()["id"])


# -- 1: a file that is not a memos store is refused and left as it was ------------------

def _other_app_db(folder: Path, wal: bool = False) -> Path:
    path = folder / "app.db"
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    conn.execute("INSERT INTO invoices (total) VALUES (12.5)")
    conn.commit()
    conn.close()
    return path


def _file(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        (folder / name).write_bytes(data)
        return folder / name
    return make


FOREIGN_FILES: dict[str, Callable[[Path], Path]] = {
    "other-app-db": _other_app_db,
    "other-app-db-wal": lambda folder: _other_app_db(folder, wal=True),
    "empty-file": _file("empty.db", b""),
    "text-file": _file("notes.db", b"notes\n" * 50),
}


@pytest.mark.parametrize("command", [("add", "Alice prefers green tea", "-u", "alice"),
                                     ("init",), ("stats",), ("search", "tea", "-u", "alice"),
                                     ("export", "-u", "alice")],
                         ids=["add", "init", "stats", "search", "export"])
@pytest.mark.parametrize("make", list(FOREIGN_FILES.values()), ids=list(FOREIGN_FILES))
@pytest.mark.parametrize("as_folder", [False, True], ids=["file", "folder-memos-db"])
def test_a_file_that_is_not_a_memos_store_is_refused_and_left_as_it_was(
        memos_cli: Run, tmp_path: Path, make: Callable[[Path], Path], as_folder: bool,
        command: tuple[str, ...]) -> None:
    made = make(tmp_path)
    if as_folder:  # the folder form: --store FOLDER whose memos.db is that file
        folder = tmp_path / "store-folder"
        folder.mkdir()
        target = made.rename(folder / "memos.db")
        location = str(folder)
    else:
        target, location = made, str(made)
    before = _digest(target)
    siblings = sorted(p.name for p in target.parent.iterdir())
    line = _one_error_line(memos_cli(*command, "--store", location), codes=(1,))
    assert "not a memos store" in line and "--store" in line
    assert _digest(target) == before  # byte for byte
    assert sorted(p.name for p in target.parent.iterdir()) == siblings  # no index folder, no -wal


@pytest.mark.parametrize("make", list(FOREIGN_FILES.values()), ids=list(FOREIGN_FILES))
@pytest.mark.parametrize("create", [True, False])
def test_the_sdk_refuses_a_file_that_is_not_a_memos_store(tmp_path: Path, create: bool,
                                                           make: Callable[[Path], Path]) -> None:
    from memos import MemOS

    target = make(tmp_path)
    before = _digest(target)
    with pytest.raises(StoreError, match="not a memos store"):
        MemOS.open(target, create=create)
    with pytest.raises(StoreError, match="not a memos store"):
        MemOS.open(f"sqlite:///{target}", create=create)
    assert _digest(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_a_new_path_and_a_memos_store_still_open(memos_cli: Run, tmp_path: Path) -> None:
    new_file = tmp_path / "new.db"
    assert memos_cli("add", "Alice prefers green tea", "-u", "alice",
                     "--store", str(new_file)).code == 0
    found = memos_cli("search", "tea", "-u", "alice", "--json", "--store", str(new_file))
    assert found.code == 0 and found.json()[0]["cube"]["content"] == "Alice prefers green tea"
    assert memos_cli("init", "--store", str(tmp_path / "new-folder")).code == 0


# -- 5: a read-only store ---------------------------------------------------------------

def _as_unprivileged(args: list[str]) -> tuple[int, str]:
    """Run `memos ARGS` as a user file permissions apply to: as `nobody` under root (which
    ignores them), else in this process's own user."""
    cmd = [sys.executable, "-c", "from memos.cli.app import main; main()", *args]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: file permissions cannot be tested")
        cmd = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMOS_")}
    done = subprocess.run(cmd, capture_output=True, env=env, timeout=300)
    return done.returncode, done.stderr.decode()


@pytest.mark.parametrize("command", [("stats",), ("search", "tea", "-u", "alice")])
def test_a_read_only_store_says_it_is_read_only_and_what_to_do(memos_cli: Run,
                                                              command: tuple[str, ...]) -> None:
    # A folder every user can reach (pytest's own tmp folders are private to their owner).
    base = Path(tempfile.mkdtemp(prefix="memos-read-only-"))
    try:
        base.chmod(0o755)
        store = base / "store"
        assert memos_cli("add", "Alice prefers green tea", "-u", "alice",
                         "--store", str(store)).code == 0
        for path in [store, *store.iterdir()]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        before = {p.name: _digest(p) for p in store.iterdir()}
        code, err = _as_unprivileged([*command, "--store", str(store)])
        lines = [line for line in err.splitlines() if line.startswith("error:")]
        assert code == 1 and len(lines) == 1, err
        assert "Traceback" not in err and "internal error" not in err
        assert "read-only" in lines[0] and "writable" in lines[0]
        assert "database server" not in lines[0]  # the old, wrong advice
        assert {p.name: _digest(p) for p in store.iterdir()} == before
    finally:
        for path in base.rglob("*"):
            path.chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


# -- 6: a creating command that fails on its input creates no store -----------------------

def _malformed_import(tmp_path: Path) -> list[str]:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"format": "memos-export/1"}\nnot json\n')
    return ["import", str(bad), "-u", "alice"]


BAD_CREATING_CALLS: dict[str, Callable[[Path], list[str]]] = {
    "add-empty": lambda tmp: ["add", "", "-u", "alice"],
    "add-blank-stdin": lambda tmp: ["add", "-", "-u", "alice"],
    "add-bad-kind": lambda tmp: ["add", "text", "-u", "alice", "--kind", "bogus"],
    "add-bad-ttl": lambda tmp: ["add", "text", "-u", "alice", "--ttl", "-5"],
    "add-bad-meta": lambda tmp: ["add", "text", "-u", "alice", "--meta", "no-value"],
    "add-unknown-supersedes": lambda tmp: ["add", "text", "-u", "alice",
                                           "--supersedes", "0" * 32],
    "import-malformed": _malformed_import,
    "init-bad-embedder": lambda tmp: ["init", "--embedder", "bogus"],
    "ingest-bad-message": lambda tmp: ["ingest", str(_file("c.json", b'[{"role": "x"}]')(tmp)),
                                       "-u", "alice", "--session", "s1"],
}


@pytest.mark.parametrize("location", ["folder", "nested/folder", "file.db"])
@pytest.mark.parametrize("make_args", list(BAD_CREATING_CALLS.values()), ids=list(BAD_CREATING_CALLS))
def test_a_creating_command_that_fails_leaves_no_store(memos_cli: Run, tmp_path: Path,
                                                        make_args: Callable[[Path], list[str]],
                                                        location: str) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    store = home / location
    result = memos_cli(*make_args(inputs), "--store", str(store), stdin=b"  \n")
    assert result.code in (1, 2) and "Traceback" not in result.err, result.err
    assert result.err_lines[-1].startswith("error:")  # (import lists its bad lines first)
    assert "internal error" not in result.err
    assert sorted(home.iterdir()) == []  # no store, no index folder, no parent folders


def test_a_failed_add_keeps_a_store_that_was_there(memos_cli: Run, store: str) -> None:
    _add(memos_cli)
    assert memos_cli("add", "", "-u", "alice").code == 2
    assert memos_cli("stats", "--json").json()["cubes"] == 1


# -- 2 and 3: model options -----------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["model", "train", "--preset", "tiny", "--steps", "1", "--out", ""],
    ["model", "train", "--preset", "tiny", "--steps", "1", "--out", "  "],
    ["model", "copy", "--top-k", "2", "--out", ""],
    ["model", "build", "--recipe", "missing-recipe.json", "--out", ""],
], ids=["train", "train-blank", "copy", "build"])
def test_an_empty_out_is_refused_not_the_current_folder(memos_cli: Run, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        args: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    _usage_error(memos_cli(*args, store_args=False), "--out")
    assert sorted(tmp_path.iterdir()) == []  # nothing written into the current folder


@pytest.mark.parametrize("option", [
    ("--lr", "-1"), ("--lr", "0"), ("--lr", "nan"), ("--lr", "inf"),
    ("--threads", "100000000000"), ("--seed", "99999999999999999999"),
    ("--seq-len", "1000000000000"), ("--batch", "1000000000"), ("--layers", "1000000"),
])
def test_model_train_refuses_bad_numbers_as_usage_errors(memos_cli: Run, tmp_path: Path,
                                                         option: tuple[str, str]) -> None:
    out = tmp_path / "ckpt"
    result = memos_cli("model", "train", "--preset", "tiny", "--task", "passkey", "--steps",
                       "1", "--out", str(out), *option, store_args=False)
    _usage_error(result, option[0])
    assert not out.exists()


@pytest.mark.parametrize("option", [("--threads", "100000000000"),
                                    ("--seed", "99999999999999999999"),
                                    ("--max-stuffed", "-1")])
def test_model_eval_refuses_bad_numbers_as_usage_errors(memos_cli: Run,
                                                        option: tuple[str, str]) -> None:
    result = memos_cli("model", "eval", "--task", "cost", "--lengths", "4", "--questions", "1",
                       *option, store_args=False)
    _usage_error(result, option[0])


def test_running_out_of_memory_is_a_usage_error_not_an_internal_one(memos_cli: Run,
                                                                     monkeypatch: pytest.MonkeyPatch
                                                                     ) -> None:
    from memos import MemOS

    def too_big(*args: Any, **kwargs: Any) -> Any:
        raise MemoryError()

    monkeypatch.setattr(MemOS, "stats", too_big)
    _add(memos_cli)
    line = _one_error_line(memos_cli("stats"), codes=(2,))
    assert "memory" in line and "smaller" in line


# -- 4: bench blobs --url -------------------------------------------------------------------

@pytest.mark.parametrize("url", ["mysql://root:hunter2@localhost/db", "mongodb://localhost/x",
                                 "not-a-url", "sqlite+nodriver:///x.db"])
def test_bench_blobs_says_which_urls_it_takes(memos_cli: Run, url: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import memos.bench.blobs

    def ran(**kwargs: Any) -> Any:
        raise AssertionError("the bench ran before --url was checked")

    monkeypatch.setattr(memos.bench.blobs, "run_blob_bench", ran)
    line = _one_error_line(memos_cli("bench", "blobs", "--url", url, store_args=False),
                           codes=(2,))
    assert "--url" in line and "sqlite:///" in line and "postgresql+psycopg://" in line
    assert "hunter2" not in line


# -- 7: bench consolidate --out is checked first ------------------------------------------

@pytest.mark.parametrize("make_out", [lambda tmp: "", lambda tmp: str(tmp),
                                      lambda tmp: str(tmp / "missing" / "out.json")],
                         ids=["empty", "folder", "missing-folder"])
def test_bench_consolidate_checks_out_before_the_work(memos_cli: Run, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      make_out: Callable[[Path], str]) -> None:
    import memos.bench.consolidate

    def ran(**kwargs: Any) -> Any:
        raise AssertionError("the bench ran before --out was checked")

    monkeypatch.setattr(memos.bench.consolidate, "run", ran)
    line = _one_error_line(memos_cli("bench", "consolidate", "--out", make_out(tmp_path),
                                     store_args=False), codes=(2,))
    assert "--out" in line


# -- 8: serve --no-auth does not read MEMOS_USER ----------------------------------------------

def test_serve_no_auth_without_user_does_not_point_at_memos_user(
        memos_cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMOS_USER", "alice")  # serve ignores it: the message must not advise it
    line = _one_error_line(memos_cli("serve", "--no-auth"), codes=(2,))
    assert "--user" in line and "or set MEMOS_USER" not in line


# -- 9: docs/CLI.md lists the commands that create a store ----------------------------------

def _creating_commands() -> set[str]:
    """Commands whose code opens the store with create=True, and CREATING_COMMANDS."""
    import typer

    from memos.cli.app import _register, app
    from memos.cli.options import CREATING_COMMANDS

    _register()
    found = set(CREATING_COMMANDS)

    def walk(group: Any, path: tuple[str, ...]) -> None:
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                walk(command, (*path, name))
                continue
            source = inspect.getsource(command.callback)
            if re.search(r"open_store\([^)]*create=True", source):
                found.add(" ".join((*path, name)))

    walk(typer.main.get_command(app), ())
    return found


def test_the_docs_list_every_command_that_creates_a_store() -> None:
    text = " ".join(DOCS.read_text().split())
    sentence = re.search(r"Only (.*?) create a store that is not there yet", text)
    assert sentence is not None
    documented = set(re.findall(r"`([^`]+)`", sentence.group(1)))
    assert documented == _creating_commands()


# -- 10: piped chat reports a failed turn in its exit code --------------------------------

def test_piped_chat_exits_non_zero_when_a_turn_failed(memos_cli: Run) -> None:
    lines = ["I live in Porto.", "x" * 30_000, "where do I live?"]
    result = memos_cli("chat", "-u", "alice", "--backend", "extractive",
                       stdin="\n".join(lines).encode() + b"\n")
    assert result.code == 2, result.err
    assert "Traceback" not in result.err
    replies = result.out.splitlines()  # one line per input line: the failed turn's empty
    assert len(replies) == 3 and replies[1] == ""
    assert "Porto" in replies[2]  # the other turns were answered
    assert sum(line.startswith("error:") for line in result.err.splitlines()) == 1


@pytest.mark.parametrize("stdin", [b"/bogus\n", b"\xff\xfe not text\n"])
def test_a_piped_chat_whose_every_turn_failed_leaves_no_store(memos_cli: Run, tmp_path: Path,
                                                              stdin: bytes) -> None:
    """Found by a fresh-eyes review: the store the chat created stayed, empty."""
    store = tmp_path / "home" / "new"
    result = memos_cli("chat", "-u", "alice", "--backend", "extractive", "--store", str(store),
                       stdin=stdin)
    assert result.code == 2 and "Traceback" not in result.err
    assert not store.exists()
    kept = memos_cli("chat", "-u", "alice", "--backend", "extractive", "--store", str(store),
                     stdin=b"/bogus\nI live in Porto.\n")
    assert kept.code == 2 and (store / "memos.db").exists()  # a turn was said: it stays


def test_piped_chat_without_failures_exits_zero(memos_cli: Run) -> None:
    result = memos_cli("chat", "-u", "alice", "--backend", "extractive",
                       stdin=b"I live in Porto.\nwhere do I live?\n")
    assert result.code == 0, result.err


# -- 11: export - ------------------------------------------------------------------------------

def test_export_dash_is_stdout(memos_cli: Run, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    _add(memos_cli)
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = memos_cli("export", "-", "-u", "alice")
    assert result.code == 0, result.err
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert rows[0]["format"] == "memos-export/1" and len(rows) == 3
    assert rows[-1] == {"type": "end", "cubes": 1, "edges": 0}
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no file named "-"
    named = memos_cli("export", "./-", "-u", "alice")  # the way to name a file "-"
    assert named.code == 0 and (tmp_path / "-").is_file()
    _usage_error(memos_cli("export", "", "-u", "alice"), "FILE")


# -- 12: library messages in CLI words --------------------------------------------------------

def test_export_over_a_file_says_force_not_overwrite(memos_cli: Run, tmp_path: Path) -> None:
    _add(memos_cli)
    dest = tmp_path / "alice.jsonl"
    dest.write_text("keep me\n")
    line = _one_error_line(memos_cli("export", str(dest), "-u", "alice"))
    assert "--force" in line and "overwrite" not in line and "SDK" not in line


def test_updating_a_forgotten_memory_says_memos_rollback(memos_cli: Run) -> None:
    cube_id = _add(memos_cli)
    assert memos_cli("forget", cube_id, "-u", "alice").code == 0
    line = _one_error_line(memos_cli("update", cube_id, "-u", "alice", "--content", "new"))
    assert f"`memos rollback {cube_id} --to VERSION`" in line
    assert "rollback(" not in line and "scope" not in line


def test_linking_a_memory_to_itself_says_src_and_dst(memos_cli: Run) -> None:
    cube_id = _add(memos_cli)
    line = _one_error_line(memos_cli("link", cube_id, cube_id, "-u", "alice"), codes=(2,))
    assert "SRC and DST" in line and "src_id" not in line and "link()" not in line


def test_an_embedder_mismatch_says_the_cli_options(memos_cli: Run) -> None:
    _add(memos_cli)
    line = _one_error_line(memos_cli("init", "--embedder", "hashing:128"), codes=(1,))
    assert "--embedder" in line and "MemOS." not in line and "without an embedder" not in line


def test_errors_name_the_cli_options_not_the_sdk_fields(memos_cli: Run) -> None:
    """A fresh-eyes user: `memos update ID` alone answered in SDK words ("a None (JSON null)
    changes nothing: tags=[] ..."), and other errors named valid_from, valid_to, session_id
    and "a timedelta"."""
    cube = memos_cli("add", "note one", "-u", "zed", "--json").json()["id"]
    alone = memos_cli("update", cube, "-u", "zed")
    assert alone.code == 2 and "--content" in alone.err and "None" not in alone.err
    dates = memos_cli("update", cube, "-u", "zed", "--valid-from", "2027-01-01",
                      "--valid-to", "2026-01-01")
    assert dates.code == 2 and "--valid-from" in dates.err and "valid_to" not in dates.err
    ttl = memos_cli("add", "x", "-u", "zed", "--ttl", "-5")
    assert ttl.code == 2 and "timedelta" not in ttl.err
    session = memos_cli("chat", "-u", "zed", "--session", "", stdin=b"")
    assert session.code == 2 and "--session" in session.err and "session_id" not in session.err
    # `session resume ID` takes the id as an argument (a review: it was called --session)
    resume = memos_cli("session", "resume", " ", "-u", "zed")
    assert resume.code == 2 and "the session ID" in resume.err and "--session" not in resume.err
    # an import's messages name the file's fields, not options
    from memos.cli.options import cli_words, set_command
    set_command("import")
    try:
        said = cli_words("line 2: invalid cube: valid_from: Input should be a valid datetime")
    finally:
        set_command(None)
    assert "valid_from:" in said and "--valid-from" not in said
    # --clear-meta alone is a change asked for (here of nothing: the library says so)
    cleared = memos_cli("update", cube, "-u", "zed", "--clear-meta")
    assert "needs something to change" not in cleared.err and "changes nothing" in cleared.err


def test_stats_of_one_user_says_whose_counts_they_are(memos_cli: Run) -> None:
    """A fresh-eyes user: with $MEMOS_USER set, `memos stats` showed one user's counts under
    the title "store", beside the whole store's index and disk figures."""
    assert memos_cli("add", "alice's note", "-u", "alice").code == 0
    assert memos_cli("add", "bob's note", "-u", "bob").code == 0
    mine = memos_cli("stats", "-u", "alice")
    assert mine.code == 0 and "counts of alice" in mine.out and "whole store" in mine.out
    whole = memos_cli("stats")
    assert whole.code == 0 and "counts of" not in whole.out


def test_an_export_of_nothing_says_to_check_the_user(memos_cli: Run, tmp_path: Any) -> None:
    """A fresh-eyes user: `memos export -u nobody` wrote an empty file, exit 0, and no word
    that the user is perhaps mistyped."""
    assert memos_cli("add", "alice's note", "-u", "alice").code == 0
    out = memos_cli("export", "-u", "nobdy", str(tmp_path / "x.jsonl"))
    assert out.code == 0 and "no memories to export" in out.err and "check -u" in out.err
    fine = memos_cli("export", "-u", "alice", str(tmp_path / "y.jsonl"))
    assert fine.code == 0 and "no memories" not in fine.err
