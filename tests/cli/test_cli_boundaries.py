"""Issue 9 points 9, 10 and 12 at the CLI: whatever the store location, number or filter, a
user sees one red line and exit 1 or 2 (never a traceback); a read never creates a store;
the CLI speaks CLI words, has --version, consistent short flags and no `<bool>` in help."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from memos.errors import InvalidInputError, StoreError

Run = Callable[..., Any]  # the `memos_cli` fixture of conftest.py


def _one_error_line(result: Any, codes: tuple[int, ...] = (1, 2)) -> str:
    assert result.code in codes, (result.code, result.err)
    assert "Traceback" not in result.err + result.out
    assert len(result.err_lines) == 1, result.err
    assert result.err_lines[0].startswith("error:")
    return result.err_lines[0]


def _add(memos_cli: Run, text: str = "Alice prefers green tea") -> str:
    result = memos_cli("add", text, "-u", "alice", "--json")
    assert result.code == 0, result.err
    return result.json()["id"]


# -- point 9: the store location ------------------------------------------------------

def _not_a_database(tmp_path: Path) -> str:
    path = tmp_path / "notes.db"
    path.write_text("just some notes\n" * 100)
    return str(path)


def _folder_with_junk_db(tmp_path: Path) -> str:
    folder = tmp_path / "junk"
    folder.mkdir()
    (folder / "memos.db").write_bytes(b"\x00garbage" * 500)
    return str(folder)


@pytest.mark.parametrize("make_location", [
    _not_a_database,
    _folder_with_junk_db,
    lambda tmp: "/proc/self/x",
    lambda tmp: "/proc/self/status/store",
    lambda tmp: "mysql://root:hunter2@localhost/memos",
    lambda tmp: "mongodb://localhost/memos",
    lambda tmp: "sqlite+nodriver:///x.db",
    lambda tmp: "   ",
], ids=["not-a-db-file", "junk-memos-db", "proc", "proc-file-parent", "mysql", "mongodb",
        "unknown-driver", "blank"])
@pytest.mark.parametrize("command", [("stats",), ("add", "some text", "-u", "alice"),
                                     ("search", "tea", "-u", "alice"), ("init",)])
def test_a_bad_store_location_is_one_line(memos_cli: Run, tmp_path: Path,
                                          make_location: Callable[[Path], str],
                                          command: tuple[str, ...]) -> None:
    location = make_location(tmp_path)
    line = _one_error_line(memos_cli(*command, "--store", location))
    assert "hunter2" not in line  # a URL's password never reaches the screen
    assert "--store" in line or "memos init" in line  # says what to do


def test_unsupported_backend_is_refused_by_the_sdk_too(tmp_path: Path) -> None:
    from memos import MemOS

    with pytest.raises(StoreError, match="PostgreSQL"):
        MemOS.open("mysql+pymysql://u:pw@localhost/db")


# -- point 9: numbers and filters -----------------------------------------------------

@pytest.mark.parametrize("args", [
    ("add", "x y", "--ttl", "inf"), ("add", "x y", "--ttl", "nan"),
    ("add", "x y", "--ttl", "1e400"), ("add", "x y", "--ttl", "-5"),
    ("add", "x y", "--importance", "nan"),
    ("search", "tea", "--k", "99999999999999999999"), ("search", "tea", "-k", "-1"),
    ("search", "tea", "--since", "99999-01-01"),
    ("show", "{id}", "--version", "99999999999999999999"),
    ("rollback", "{id}", "--to", "99999999999999999999"),
    ("link", "{id}", "entity:tea", "--weight", "nan"),
    ("link", "{id}", "entity:tea", "--weight", "inf"),
    ("diff", "{id}", "--from", "18446744073709551617"),
])
def test_bad_numbers_are_one_line(memos_cli: Run, args: tuple[str, ...]) -> None:
    cube_id = _add(memos_cli)
    argv = [a.format(id=cube_id) for a in args]
    result = memos_cli(*argv, "-u", "alice")
    if result.code == 2 and not result.err.startswith("error:"):
        assert "Traceback" not in result.err  # typer's own usage box (e.g. nan for a range)
        return
    _one_error_line(result)


@pytest.mark.parametrize("make_filter", [
    lambda: json.dumps({"or": [{"tag": f"t{i}"} for i in range(1_200)]}),
    lambda: json.dumps({"or": [{"tag": "a"}] * 100_000}),
    lambda: '{"not": ' * 1_500 + '{"tag": "a"}' + "}" * 1_500,
    lambda: '{"and": [' * 900 + '{"tag": "a"}' + "]}" * 900,
    lambda: "[" * 100_000,
], ids=["or-1200", "or-100000", "not-1500-deep", "and-900-deep", "brackets"])
def test_huge_or_deep_filters_are_one_line_and_fast(memos_cli: Run, make_filter: Callable[[], str]
                                                    ) -> None:
    _add(memos_cli)
    started = time.perf_counter()
    result = memos_cli("search", "tea", "-u", "alice", "--filter", make_filter())
    assert time.perf_counter() - started < 10
    assert "filter" in _one_error_line(result, codes=(2,))


# -- unexpected errors ---------------------------------------------------------------

def test_an_unexpected_error_is_one_line_asking_for_a_report(
        memos_cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    from memos.facade import MemOS

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("a bug")

    _add(memos_cli)
    monkeypatch.setattr(MemOS, "stats", broken)
    line = _one_error_line(memos_cli("stats"), codes=(1,))
    assert "internal error" in line and "ZeroDivisionError" in line and "report" in line

    monkeypatch.setenv("MEMOS_DEBUG", "1")
    debug = memos_cli("stats")
    assert debug.code == 1 and "Traceback" in debug.err and "ZeroDivisionError" in debug.err


def test_a_database_failure_during_a_command_is_a_store_error(
        memos_cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    from memos.facade import MemOS

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("SELECT 1", {}, Exception("disk I/O error\nsecond line"))

    _add(memos_cli)
    monkeypatch.setattr(MemOS, "search", failing)
    line = _one_error_line(memos_cli("search", "tea", "-u", "alice"), codes=(1,))
    assert "disk I/O error" in line and "memos check" in line


def test_a_damaged_database_file_says_restore_not_check(memos_cli: Run, store: str) -> None:
    """SQLite's "database disk image is malformed" is damage to the SQL itself, which `memos
    check` does not look at (it compares the indexes with SQL, and says "consistent"):
    the error must not send the user there."""
    _add(memos_cli)
    assert memos_cli("check").code == 0
    with open(Path(store) / "memos.db", "r+b") as db:  # a page of the tables, overwritten
        db.seek(4096)
        db.write(b"\xab" * 4096)
    line = _one_error_line(memos_cli("search", "tea", "-u", "alice"), codes=(1,))
    assert "malformed" in line and "backup" in line and "memos check" not in line


# -- point 10: a mistyped store is not created ------------------------------------------

READS_AND_CHANGES = [
    ("search", "tea", "-u", "alice"), ("show", "{id}", "-u", "alice"),
    ("history", "{id}", "-u", "alice"), ("diff", "{id}", "-u", "alice"),
    ("update", "{id}", "-u", "alice", "--content", "new text"),
    ("rollback", "{id}", "-u", "alice", "--to", "1"), ("forget", "{id}", "-u", "alice"),
    ("link", "{id}", "entity:tea", "-u", "alice"), ("purge", "{id}", "-u", "alice", "--yes"),
    ("stats",), ("check",), ("export", "-u", "alice"), ("gc",), ("reindex",),
]


@pytest.mark.parametrize("command", READS_AND_CHANGES, ids=lambda c: c[0])
def test_a_command_on_a_missing_store_says_init_and_creates_nothing(
        memos_cli: Run, tmp_path: Path, command: tuple[str, ...]) -> None:
    typo = tmp_path / "typo-store"
    argv = [part.format(id="f" * 32) for part in command]
    line = _one_error_line(memos_cli(*argv, "--store", str(typo)), codes=(1,))
    assert "memos init" in line and "--store" in line
    assert not typo.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_missing_sqlite_file_or_database_url_is_not_created(memos_cli: Run,
                                                              tmp_path: Path) -> None:
    for location in (str(tmp_path / "typo.db"), f"sqlite:///{tmp_path / 'typo2.db'}"):
        assert _one_error_line(memos_cli("stats", "--store", location), codes=(1,))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///", "sqlite:///:memory:",
                                 "sqlite+pysqlite:///:memory:", "sqlite:///:memory:?cache=shared",
                                 "sqlite:///file:mem1?mode=memory&uri=true", ":memory:"])
def test_an_in_memory_database_is_refused(memos_cli: Run, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """Each command is a process of its own: an in-memory SQLite store forgot what `add`
    reported as "added ... (v1)" the moment the command ended (and left FAISS files in the
    working directory)."""
    monkeypatch.chdir(tmp_path)
    added = memos_cli("add", "Alice keeps bees", "-u", "alice", "--store", url)
    assert "in-memory" in _one_error_line(added, codes=(2,))
    assert "in-memory" in _one_error_line(memos_cli("search", "bees", "-u", "alice",
                                                    "--store", url), codes=(2,))
    assert list(tmp_path.iterdir()) == []


def test_init_add_and_import_create_a_store(memos_cli: Run, tmp_path: Path) -> None:
    assert memos_cli("init", "--store", str(tmp_path / "a")).code == 0
    assert memos_cli("add", "Alice keeps bees", "-u", "alice", "--store",
                     str(tmp_path / "b")).code == 0
    dump = tmp_path / "alice.jsonl"
    assert memos_cli("export", str(dump), "-u", "alice", "--store", str(tmp_path / "b")).code == 0
    imported = memos_cli("import", str(dump), "-u", "alice", "--store", str(tmp_path / "c"))
    assert imported.code == 0, imported.err
    for name in ("a", "b", "c"):
        assert (tmp_path / name / "memos.db").is_file()


def test_sdk_open_with_create_false(store_location: dict[str, Any], tmp_path: Path) -> None:
    from memos import MemOS

    where, index_dir = store_location["path_or_url"], store_location["index_dir"]
    with pytest.raises(StoreError, match="memos init"):
        MemOS.open(where, index_dir=index_dir, create=False)
    if store_location["backend"] == "sqlite":
        assert not Path(where).exists()
    with MemOS.open(where, index_dir=index_dir) as mem:  # create=True is the default
        cube_id = mem.add("Alice keeps bees", "alice").id
    with MemOS.open(where, index_dir=index_dir, create=False) as mem:
        assert mem.get(cube_id, "alice").content == "Alice keeps bees"


# -- point 12: polish -----------------------------------------------------------------

def test_version(memos_cli: Run) -> None:
    from memos import __version__

    result = memos_cli("--version", store_args=False)
    assert result.code == 0 and result.out.strip() == f"memos {__version__}"


def _all_commands() -> list[tuple[str, ...]]:
    import typer

    from memos.cli.app import _register, app

    _register()
    found: list[tuple[str, ...]] = []

    def walk(group: Any, path: tuple[str, ...]) -> None:
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                walk(command, (*path, name))
            else:
                found.append((*path, name))

    walk(typer.main.get_command(app), ())
    return found


def test_help_shows_no_type_for_flags(memos_cli: Run) -> None:
    helps = [memos_cli("--help", store_args=False)]
    helps += [memos_cli(*command, "--help", store_args=False) for command in _all_commands()]
    for result in helps:
        assert result.code == 0
        assert "<bool>" not in result.out and "BOOLEAN" not in result.out, result.out
    assert "--version" in helps[0].out


def test_command_lists_show_one_line_summaries(memos_cli: Run) -> None:
    """A group's --help lists each command with the first paragraph of its docstring; one that
    spans lines breaks the list's column (the rest belongs in the command's own --help)."""
    import typer

    from memos.cli.app import _register, app

    _register()

    def walk(group: Any, path: tuple[str, ...]) -> None:
        for name, command in group.commands.items():
            summary = (command.help or "").strip().split("\n\n")[0]
            assert summary and "\n" not in summary, (*path, name, summary)
            if hasattr(command, "commands"):
                walk(command, (*path, name))

    walk(typer.main.get_command(app), ())
    listing = memos_cli("--help", store_args=False).out
    assert "Distil a user's stable facts" in listing


def test_short_flags_are_consistent(memos_cli: Run) -> None:
    _add(memos_cli, "Alice prefers green tea")
    _add(memos_cli, "Alice prefers black coffee")
    hits = memos_cli("search", "alice prefers", "-u", "alice", "-k", "1", "--json")
    assert hits.code == 0 and len(hits.json()) == 1
    tagged = memos_cli("add", "Alice hikes", "-u", "alice", "-t", "sport", "--json").json()["id"]
    found = memos_cli("search", "hikes", "-u", "alice", "-t", "sport", "--json").json()
    assert [h["cube"]["id"] for h in found] == [tagged]
    # -k is the number of hits everywhere it exists; --kind has no short form.
    for command in _all_commands():
        out = memos_cli(*command, "--help", store_args=False).out
        for line in out.splitlines():
            if "--kind" in line:
                assert " -k " not in line, (command, line)
            if " -k " in line and "Example:" not in line:  # an option row, not an example
                assert "--k " in line, (command, line)


def test_messages_use_cli_words(memos_cli: Run, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    from memos.cli.options import cli_words

    cube = "0123456789abcdef0123456789abcdef"
    assert cli_words(f"cube {cube} was forgotten; history() still lists it") == \
        f"cube {cube} was forgotten; `memos history {cube}` still lists it"
    assert cli_words("fix them or use on_error='skip' (--on-error skip)") == \
        "fix them or use --on-error skip"
    assert cli_words("purge() needs a cube id, or cube_id=None with all_of_user=True") == \
        "`memos purge` needs a cube id, or cube_id=None with --all"
    assert cli_words("use self.history() or memos.update()") == \
        "use self.history() or memos.update()"  # only bare SDK calls are renamed

    cube_id = _add(memos_cli)
    assert memos_cli("forget", cube_id, "-u", "alice").code == 0
    line = _one_error_line(memos_cli("show", cube_id, "-u", "alice"))
    assert "()" not in line
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"format": "memos-export/1"}\n{not json\n')
    aborted = memos_cli("import", str(bad), "-u", "alice", "--store", str(tmp_path / "other"))
    assert aborted.code == 2
    assert "on_error=" not in aborted.err and "--on-error skip" in aborted.err
    monkeypatch.delenv("MEMOS_LLM_URL", raising=False)
    convo = tmp_path / "chat.json"
    convo.write_text('[{"role": "user", "content": "I live in Lisbon."}]')
    llm = memos_cli("ingest", str(convo), "-u", "alice", "--session", "s1", "--mode", "llm")
    line = _one_error_line(llm, codes=(2,))
    assert "mode=" not in line and "--mode llm" in line


def test_progress_column_never_shows_an_unknown_total() -> None:
    from rich.progress import Progress

    from memos.cli.options import CountColumn

    progress = Progress()
    task_id = progress.add_task("importing", total=None)
    column = CountColumn()
    assert "?" not in column.render(progress.tasks[0]).plain
    progress.update(task_id, completed=1_500, total=None)
    assert column.render(progress.tasks[0]).plain == "1,500"
    progress.update(task_id, completed=3, total=10)
    assert column.render(progress.tasks[0]).plain == "3/10"


def test_rollback_to_an_equal_version_is_refused(mem: Any) -> None:
    cube_id = mem.add("Alice prefers green tea", "alice").id
    with pytest.raises(InvalidInputError, match="changes nothing"):
        mem.rollback(cube_id, "alice", 1)
    assert [v.version for v in mem.history(cube_id, "alice")] == [1]
    mem.update(cube_id, "alice", content="Alice prefers oolong tea")
    assert mem.rollback(cube_id, "alice", 1).content == "Alice prefers green tea"
    with pytest.raises(InvalidInputError, match="changes nothing"):
        mem.rollback(cube_id, "alice", 1)  # v3 equals v1 now
    assert mem.rollback(cube_id, "alice", 2).version == 4
    mem.forget(cube_id, "alice")
    assert mem.rollback(cube_id, "alice", 4).state.value == "active"  # restoring is a change


def test_cli_rollback_of_an_unchanged_cube_is_one_line(memos_cli: Run) -> None:
    cube_id = _add(memos_cli)
    line = _one_error_line(memos_cli("rollback", cube_id, "-u", "alice", "--to", "1"),
                           codes=(2,))
    assert "changes nothing" in line
    assert len(memos_cli("history", cube_id, "-u", "alice", "--json").json()) == 1


def test_help_starts_fast() -> None:
    """`memos --help` loads neither SQLAlchemy, FAISS nor torch."""
    code = ("import sys; from memos.cli.app import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('sqlalchemy', 'faiss', 'torch', 'networkx') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, env={**os.environ, "COLUMNS": "100"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.slow
def test_eval_locomo_prints_no_model_loading_noise(tmp_path: Path) -> None:
    pytest.importorskip("sentence_transformers")
    from tests.eval.conftest import tiny_sample

    data = tmp_path / "tiny.json"
    data.write_text(json.dumps([tiny_sample()]), encoding="utf-8")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HF_", "TRANSFORMERS_", "TQDM_"))}
    out = subprocess.run(
        [sys.executable, "-c", "from memos.cli.app import main; main()", "eval", "locomo",
         "--data", str(data), "--embedder", "minilm", "--json"],
        capture_output=True, text=True, timeout=300, env={**env, "COLUMNS": "100"})
    assert out.returncode == 0, out.stderr
    assert "overall" in json.loads(out.stdout)
    for noise in ("Loading weights", "it/s]", "%|", "Warning", "warn("):
        assert noise not in out.stderr, out.stderr


@pytest.mark.parametrize("ttl", ["inf", "nan", "1e400", "1e20", "1e12"])
def test_a_ttl_too_large_says_what_to_give(memos_cli: Run, ttl: str) -> None:
    # "Python int too large to convert to C int" and "date value out of range" said nothing
    # a user could act on.
    line = _one_error_line(memos_cli("add", "x y", "-u", "alice", "--ttl", ttl), codes=(2,))
    assert "ttl" in line and "seconds" in line and "before the year 9999" in line
    assert "C int" not in line and "date value" not in line and "convert" not in line


@pytest.mark.parametrize("command", [("stats",), ("search", "tea", "-u", "alice")])
def test_a_file_given_as_the_store_folder_is_named_a_file(memos_cli: Run, tmp_path: Path,
                                                          command: tuple[str, ...]) -> None:
    # It said "create it with `memos init --store notes.txt`", which fails: a file is there.
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list\n")
    line = _one_error_line(memos_cli(*command, "--store", str(notes)), codes=(1,))
    assert "is a file, not a memos store" in line and "--store" in line
    assert f"memos init --store {notes}" not in line
    assert notes.read_text() == "shopping list\n"


def test_json_output_never_holds_nan() -> None:
    """A diverged loss (NaN) or an infinite value was written as NaN / Infinity, which is not
    JSON: --json output gives null for them."""
    import json
    import math

    from memos.cli.render import to_jsonable

    out = json.dumps(to_jsonable({"loss": math.nan, "history": [{"loss": math.inf}], "ok": 1.5}),
                     allow_nan=False)
    assert json.loads(out) == {"loss": None, "history": [{"loss": None}], "ok": 1.5}
