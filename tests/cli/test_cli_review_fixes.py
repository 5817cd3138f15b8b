"""Review findings on the CLI: errors under --json are JSON too, input the library would
drop silently is refused or warned about, and messages speak CLI words and say what to do."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli_guards import _one_error_line

Run = Callable[..., Any]  # the `memos_cli` fixture of conftest.py
UNKNOWN = "f" * 32
USER_KINDS = ("fact", "preference", "episode", "event", "profile", "document", "message")


_error_line = _one_error_line  # one "error:" line, no traceback (test_cli_guards)


def _add(memos_cli: Run, text: str = "Alice prefers green tea", *args: str,
         user: str = "alice") -> str:
    result = memos_cli("add", text, "-u", user, "--json", *args)
    assert result.code == 0, result.err
    return str(result.json()["id"])


# -- 2: an error under --json is also one JSON object on stdout -----------------------------

def test_json_error_is_an_object_on_stdout(memos_cli: Run) -> None:
    _add(memos_cli)
    result = memos_cli("show", "deadbeef", "-u", "alice", "--json")
    line = _error_line(result, (1,))
    error = result.json()["error"]
    assert error["type"] == "NotFoundError"
    assert error["exit_code"] == 1
    assert error["message"] == line.removeprefix("error: ")


def test_json_usage_and_input_errors_are_objects_too(memos_cli: Run) -> None:
    bad_input = memos_cli("search", "tea", "--json")  # no --user: InvalidInputError
    assert bad_input.code == 2
    assert bad_input.json()["error"]["type"] == "InvalidInputError"
    assert bad_input.json()["error"]["exit_code"] == 2
    usage = memos_cli("show", UNKNOWN, "-u", "alice", "--version", "zero", "--json")
    assert usage.code == 2
    assert "--version" in usage.err  # typer's usage box stays on stderr
    assert usage.json()["error"]["exit_code"] == 2
    assert "--version" in usage.json()["error"]["message"]


def test_json_after_an_unknown_option_still_gets_the_error_object(memos_cli: Run) -> None:
    # The lenient parse stopped at the unknown option and never saw the --json after it.
    late = memos_cli("search", "tea", "-u", "alice", "--colour", "red", "--json")
    assert late.code == 2 and late.json()["error"]["message"] == "No such option: --colour"
    wrong = memos_cli("check", "-u", "alice", "--json")  # check takes no --user
    assert wrong.code == 2 and wrong.json()["error"]["type"] == "UsageError"


def test_json_error_of_a_command_with_its_own_json_flag(memos_cli: Run,
                                                        tmp_path: Path) -> None:
    result = memos_cli("eval", "assistant", "--scenarios", str(tmp_path / "none.json"),
                       "--json", store_args=False)
    assert result.code == 2
    assert result.json()["error"]["type"] == "InvalidInputError"


def test_no_json_error_without_json(memos_cli: Run) -> None:
    _add(memos_cli)
    result = memos_cli("show", "deadbeef", "-u", "alice")
    _error_line(result, (1,))
    assert result.out == ""


def test_a_report_already_printed_is_not_followed_by_an_error_object(
        memos_cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    from memos.facade import MemOS
    from memos.results import CheckReport

    _add(memos_cli)
    monkeypatch.setattr(MemOS, "check", lambda self, repair=False: CheckReport(
        ok=False, changelog_seq=1, indexes={}, problems=["the vector index disagrees"]))
    result = memos_cli("check", "--json")
    assert result.code == 1
    assert result.json()["ok"] is False  # one JSON document: the report, which says it failed
    assert "error:" in result.err


# -- 3a: --entity "" is refused -------------------------------------------------------------

@pytest.mark.parametrize("name", ["", "   "])
def test_empty_entity_is_refused(memos_cli: Run, store: str, name: str) -> None:
    result = memos_cli("add", "Alice met Bob", "-u", "alice", "--entity", name)
    assert "--entity" in _error_line(result, (2,))
    assert not Path(store).exists()


# -- 3b: a duplicate add says which options it did not apply --------------------------------

def test_duplicate_add_names_the_fields_it_ignored(memos_cli: Run) -> None:
    first = _add(memos_cli)
    again = memos_cli("add", "Alice prefers green tea", "-u", "alice", "--kind",
                      "preference", "-t", "drinks", "--importance", "0.9")
    assert again.code == 0, again.err
    assert f"already known as {first}" in again.out
    warning = " ".join(again.err.split())
    for flag in ("--kind", "--tag", "--importance"):
        assert flag in warning
    assert f"memos update {first}" in warning
    shown = memos_cli("show", first, "-u", "alice", "--json").json()
    assert (shown["kind"], shown["tags"], shown["importance"]) == ("fact", [], 0.5)  # SDK as before


def test_duplicate_add_json_lists_ignored_fields(memos_cli: Run) -> None:
    _add(memos_cli, "Alice prefers green tea", "--kind", "preference")
    same = memos_cli("add", "Alice prefers green tea", "-u", "alice", "--kind", "preference",
                     "--json")
    assert same.json()["ignored_fields"] == [] and same.err == ""
    other = memos_cli("add", "Alice prefers green tea", "-u", "alice", "--importance", "0.9",
                      "--entity", "alice", "--json")
    assert other.json()["action"] == "duplicate"
    assert other.json()["ignored_fields"] == ["--importance", "--entity"]


# -- 3c: unknown slash commands in chat are not stored -------------------------------------

def test_chat_unknown_command_is_not_stored(memos_cli: Run) -> None:
    result = memos_cli("chat", "-u", "alice", "--backend", "extractive",
                       stdin=b"/bogus\n/help me\nI live in Porto.\n")
    assert result.code == 2, result.err
    assert "unknown command /bogus" in result.err and "/help" in result.err
    listed = memos_cli("search", "bogus", "-u", "alice", "--json").json()
    assert not any("bogus" in hit["cube"]["content"] for hit in listed)
    assert not any("/help me" in hit["cube"]["content"]
                   for hit in memos_cli("search", "help me", "-u", "alice", "--json").json())


# -- 3d: --retrievers "" ---------------------------------------------------------------------

@pytest.mark.parametrize("value", ["", " , "])
def test_eval_locomo_empty_retrievers(memos_cli: Run, tmp_path: Path, value: str) -> None:
    result = memos_cli("eval", "locomo", "--data", str(tmp_path / "x.json"), "--retrievers",
                       value, store_args=False)
    assert "--retrievers" in _error_line(result, (2,))


def test_evaluate_conversations_refuses_no_retrievers() -> None:
    from memos.errors import InvalidInputError
    from memos.eval.locomo import evaluate_conversations

    with pytest.raises(InvalidInputError, match="retrievers"):
        evaluate_conversations([], retrievers=[])


# -- 4: OS-internal kinds ----------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["slots", "state", "adapter", "checkpoint", "bogus"])
def test_add_refuses_internal_and_unknown_kinds(memos_cli: Run, store: str, kind: str) -> None:
    line = _error_line(memos_cli("add", "x y", "-u", "alice", "--kind", kind), (2,))
    assert all(k in line for k in USER_KINDS)
    assert "slots" not in line.replace(f"--kind {kind!r}", "")
    assert not Path(store).exists()


def test_update_refuses_internal_kinds(memos_cli: Run) -> None:
    cube = _add(memos_cli)
    assert "preference" in _error_line(
        memos_cli("update", cube, "-u", "alice", "--kind", "state"), (2,))


def test_kind_help_lists_the_accepted_kinds(memos_cli: Run) -> None:
    shown = " ".join(memos_cli("add", "--help").out.split())
    assert all(k in shown for k in USER_KINDS)


# -- 5: mcp checks --model at start ---------------------------------------------------------

def test_mcp_refuses_a_model_that_is_not_a_checkpoint(memos_cli: Run, store: str,
                                                      tmp_path: Path) -> None:
    result = memos_cli("mcp", "-u", "alice", "--model", str(tmp_path / "nonexistent"))
    assert "not a checkpoint" in _error_line(result, (1,))
    assert not Path(store).exists()


# -- 6: a file as the store of a creating command ---------------------------------------------

def test_add_into_a_plain_file_says_it_is_a_file(memos_cli: Run, tmp_path: Path) -> None:
    ok = tmp_path / "ok.txt"
    ok.write_text("notes\n")
    line = _error_line(memos_cli("add", "x y", "-u", "alice", "--store", str(ok)), (1,))
    assert "is a file, not a memos store" in line
    assert ok.read_text() == "notes\n"


# -- 7 and 8: import from /dev/null and from stdin ----------------------------------------------

def test_import_dev_null_is_not_a_regular_file(memos_cli: Run) -> None:
    line = _error_line(memos_cli("import", "/dev/null", "-u", "alice"), (2,))
    assert "does not exist" not in line and "not a regular file" in line


def test_import_missing_file_still_exit_2(memos_cli: Run, tmp_path: Path) -> None:
    line = _error_line(memos_cli("import", str(tmp_path / "missing.jsonl"), "-u", "a"), (2,))
    assert "does not exist" in line


def test_export_piped_into_import_dash(memos_cli: Run, tmp_path: Path) -> None:
    _add(memos_cli)
    exported = memos_cli("export", "-u", "alice")
    assert exported.code == 0, exported.err
    other = str(tmp_path / "other")
    imported = memos_cli("import", "-", "-u", "alice", "--store", other, "--json",
                         stdin=exported.out.encode())
    assert imported.code == 0, imported.err
    assert imported.json()["imported"] == 1
    found = memos_cli("search", "tea", "-u", "alice", "--store", other, "--json").json()
    assert found[0]["cube"]["content"] == "Alice prefers green tea"


def test_import_dash_not_utf8(memos_cli: Run) -> None:
    result = memos_cli("import", "-", "-u", "alice", stdin=b"\xff\xfe{}\n")
    assert result.code == 2
    assert "Traceback" not in result.err and "internal error" not in result.err


def test_import_from_a_named_pipe(memos_cli: Run, tmp_path: Path) -> None:
    import threading

    _add(memos_cli)
    dump = memos_cli("export", "-u", "alice").out
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text(dump))
    writer.start()
    result = memos_cli("import", str(fifo), "-u", "alice", "--store", str(tmp_path / "o"),
                       "--json")
    writer.join(5)
    assert result.code == 0, result.err
    assert result.json()["imported"] == 1


# -- 9: --importance nan ----------------------------------------------------------------------

@pytest.mark.parametrize("value", ["nan", "inf", "2", "-0.5", "abc"])
def test_importance_must_be_between_0_and_1(memos_cli: Run, value: str) -> None:
    result = memos_cli("add", "x y", "-u", "alice", f"--importance={value}")
    assert result.code == 2
    assert "between 0 and 1" in " ".join(result.err.split())
    assert "Input should be" not in result.err


# -- 10: SDK argument names in CLI words ------------------------------------------------------

def test_rollback_out_of_range_says_to(memos_cli: Run) -> None:
    cube = _add(memos_cli)
    line = _error_line(memos_cli("rollback", cube, "-u", "alice", "--to",
                                 "99999999999999999999"), (2,))
    assert "to_version" not in line and "--to" in line


def test_diff_from_and_show_version_say_cli_options(memos_cli: Run) -> None:
    cube = _add(memos_cli)
    line = _error_line(memos_cli("diff", cube, "-u", "alice", "--from",
                                 "99999999999999999999"), (2,))
    assert "from_version" not in line and "--from" in line
    line = _error_line(memos_cli("show", cube, "-u", "alice", "--version",
                                 "99999999999999999999"), (2,))
    assert line.startswith("error: --version must be")


def test_diff_of_another_users_public_cube_says_cli_words(memos_cli: Run) -> None:
    public = _add(memos_cli, "Bob's shop opens at nine", "--visibility", "public", user="bob")
    line = _error_line(memos_cli("diff", public, "-u", "alice"), (1,))
    assert "version=" not in line and f"memos show {public}" in line


def test_cli_words_maps_argument_names() -> None:
    from memos.cli.options import cli_words

    assert cli_words("to_version must be an integer from 1 to 9") == \
        "--to must be an integer from 1 to 9"
    assert cli_words("invalid: k must be an integer") == "invalid: --k must be an integer"
    assert cli_words("the version must be kept") == "the version must be kept"


# -- 12: a scenario file of the wrong shape -----------------------------------------------------

@pytest.mark.parametrize("content", ["[]", '{"scenarios": []}', '{"scenarios": {}}', "3"])
def test_eval_assistant_scenarios_of_the_wrong_shape(memos_cli: Run, tmp_path: Path,
                                                     content: str) -> None:
    scenarios = tmp_path / "x.json"
    scenarios.write_text(content)
    line = _error_line(memos_cli("eval", "assistant", "--scenarios", str(scenarios),
                                 store_args=False), (2,))
    assert "list indices" not in line and '"scenarios"' in line


# -- 13: consolidate says why a fact is not a subject/attribute/value fact --------------------

def test_consolidation_skip_reason_names_the_metadata() -> None:
    from memos.policies.consolidation import ConsolidationPolicy, FactStats, why_not

    reason = why_not(FactStats(key="a", version=1, changed_at=0.0, confidence=1.0, hits=9,
                               last_access=None, has_fact=False), 1e9, ConsolidationPolicy())
    assert reason is not None
    assert "--meta subject=" in reason and "attribute" in reason and "memos ingest" in reason


# -- 14: a long query in the table title --------------------------------------------------------

def test_search_title_is_cut(memos_cli: Run) -> None:
    _add(memos_cli)
    result = memos_cli("search", "x" * 120_000, "-u", "alice")
    assert result.code == 0, result.err
    assert len(result.out) < 5_000
    assert "…" in result.out


def test_import_says_how_many_present_cubes_differ_from_the_file(memos_cli: Run,
                                                                 tmp_path: Path) -> None:
    """A cube already there is kept as stored; the summary says when the file holds another
    version or text of it."""
    added = _add(memos_cli)
    exported = memos_cli("export", "-u", "alice")
    assert exported.code == 0, exported.err
    changed = memos_cli("update", added, "-u", "alice", "--content", "Alice prefers oolong")
    assert changed.code == 0, changed.err
    again = memos_cli("import", "-", "-u", "alice", stdin=exported.out.encode())
    assert again.code == 0, again.err
    said = " ".join((again.out + again.err).split())
    assert "1 already present (1 with another version or text in the file" in said
