"""What a user sees when something is wrong: one red line on stderr, no traceback, and the
exit code convention (0 ok, 1 memos error, 2 bad input or usage)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Run = Callable[..., Any]  # the `memos_cli` fixture of conftest.py
UNKNOWN = "f" * 32


def _one_error_line(result: Any) -> str:
    assert result.out == ""  # nothing half-printed on stdout
    assert "Traceback" not in result.err
    assert len(result.err_lines) == 1, result.err
    line = result.err_lines[0]
    assert line.startswith("error:")
    return line


@pytest.fixture
def alice_cube(memos_cli: Run) -> str:
    result = memos_cli("add", "Alice prefers green tea", "-u", "alice", "--json")
    assert result.code == 0, result.err
    return result.json()["id"]


@pytest.mark.parametrize("command", [
    ("show", "{id}"), ("history", "{id}"), ("diff", "{id}"), ("forget", "{id}"),
    ("rollback", "{id}", "--to", "1"), ("update", "{id}", "--content", "x y"),
    ("link", "{id}", "entity:tea"), ("purge", "{id}", "--yes"),
])
def test_unknown_id_is_exit_1_with_one_line(memos_cli: Run, alice_cube: str,
                                            command: tuple[str, ...]) -> None:
    args = [part.format(id=UNKNOWN) for part in command]
    result = memos_cli(*args, "-u", "alice")
    assert result.code == 1
    assert UNKNOWN in _one_error_line(result)


@pytest.mark.parametrize("command", [
    ("show", "{id}"), ("history", "{id}"), ("forget", "{id}"),
    ("update", "{id}", "--content", "Bob was here"), ("rollback", "{id}", "--to", "1"),
])
def test_foreign_scope_is_refused(memos_cli: Run, alice_cube: str,
                                  command: tuple[str, ...]) -> None:
    args = [part.format(id=alice_cube) for part in command]
    result = memos_cli(*args, "-u", "bob")
    assert result.code == 1
    _one_error_line(result)
    # ... and Alice's cube is untouched.
    shown = memos_cli("show", alice_cube, "-u", "alice", "--json").json()
    assert (shown["version"], shown["content"]) == (1, "Alice prefers green tea")


@pytest.mark.parametrize("content", ["", "   ", "\n\t"])
def test_empty_content_is_exit_2(memos_cli: Run, store: str, content: str) -> None:
    result = memos_cli("add", content, "-u", "alice")
    assert result.code == 2
    assert "empty" in _one_error_line(result)
    assert not Path(store).exists()  # checked before the first add created the store


def test_invalid_utf8_on_stdin_is_exit_2(memos_cli: Run) -> None:
    result = memos_cli("add", "-", "-u", "alice", stdin=b"caf\xe9 \xff\xfe")
    assert result.code == 2
    _one_error_line(result)


def test_missing_user_is_exit_2(memos_cli: Run) -> None:
    result = memos_cli("search", "tea")
    assert result.code == 2
    assert "--user" in _one_error_line(result)


def test_bad_options_are_usage_errors(memos_cli: Run, tmp_path: Path) -> None:
    assert memos_cli("search", "tea", "-u", "alice", "--k", "0").code == 2
    assert memos_cli("import", str(tmp_path / "missing.jsonl"), "-u", "a").code == 2
    assert memos_cli("import", str(tmp_path), "-u", "a", "--on-error", "maybe").code == 2
    assert memos_cli("add", "x", "-u", "alice", "--meta", "novalue").code == 2
    assert memos_cli("search", "x", "-u", "alice", "--filter", "{oops").code == 2
    assert memos_cli("no-such-command").code == 2


def test_a_long_message_stays_on_one_line(memos_cli: Run) -> None:
    result = memos_cli("add", "x" * 2_000_000, "-u", "alice")
    assert result.code == 2
    assert "bytes" in _one_error_line(result)


def test_unreachable_database_is_one_line_exit_1(memos_cli: Run) -> None:
    # Port 1 refuses connections; the driver's message has several lines of its own.
    result = memos_cli("stats", "--store", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert result.code == 1
    assert "cannot open the store" in _one_error_line(result)


_CORPUS_ROW = {"id": "c1", "user": "ann", "at": "2026-03-01T09:00:00Z",
               "messages": [{"role": "user", "content": "I live in Lisbon."}], "expected": []}
_FACT = {"turn": 0, "subject": "@", "attribute": "city", "value": "Lisbon", "negated": False,
         "family": "residence"}


@pytest.mark.parametrize("command,content", [
    (("eval", "reader", "--repeat", "1", "--corpus", "{file}"), b"\xff\xfe not UTF-8\n"),
    (("eval", "reader", "--repeat", "1", "--corpus", "{file}"), {**_CORPUS_ROW, "expected": 5}),
    (("eval", "reader", "--repeat", "1", "--corpus", "{file}"),
     {**_CORPUS_ROW, "expected": [{"turn": 0}]}),
    (("eval", "reader", "--repeat", "1", "--corpus", "{file}"),
     {**_CORPUS_ROW, "expected": [{**_FACT, "value": 7}]}),
    (("eval", "reader", "--repeat", "1", "--corpus", "{file}"), {**_CORPUS_ROW, "user": 5}),
    (("eval", "reader", "--repeat", "1", "--corpus", "{file}"), {**_CORPUS_ROW, "id": None}),
    (("eval", "assistant", "--scenarios", "{file}"), b"\xff\xfe not UTF-8\n"),
    (("bench", "consolidate", "--scaling", "25,many"), None),
], ids=["reader-bytes", "reader-expected-int", "reader-fact-keys", "reader-fact-value",
        "reader-user-int", "reader-id-null", "assistant-bytes", "consolidate-scaling"])
def test_malformed_eval_and_bench_input_is_exit_2(memos_cli: Run, tmp_path: Path,
                                                  command: tuple[str, ...], content: Any) -> None:
    """A corpus, scenario file or list option the command cannot read is bad input named in
    one line, not an internal error."""
    import json

    file = tmp_path / "input.jsonl"
    if content is not None:
        file.write_bytes(content if isinstance(content, bytes) else
                         json.dumps(content).encode() + b"\n")
    result = memos_cli(*[part.format(file=file) for part in command], store_args=False)
    assert result.code == 2, result.err
    assert "internal error" not in _one_error_line(result)


def test_a_dry_run_with_nothing_to_consolidate_shows_why(memos_cli: Run) -> None:
    """The error of a consolidation with nothing to train says to look at `memos consolidate
    --dry-run`; the dry run itself must then show the skipped facts and why, not the same
    error again."""
    pytest.importorskip("peft")
    assert memos_cli("add", "Alice prefers green tea", "-u", "alice").code == 0
    refused = memos_cli("consolidate", "-u", "alice")
    assert refused.code == 2 and "--dry-run" in _one_error_line(refused)
    dry = memos_cli("consolidate", "-u", "alice", "--dry-run", "--json")
    assert dry.code == 0, dry.err
    report = dry.json()
    assert report["status"] == "dry-run" and report["cube_ids"] == []
    assert len(report["skipped"]) == 1
    table = memos_cli("consolidate", "-u", "alice", "--dry-run")
    assert table.code == 0 and "nothing would be consolidated" in table.out
    assert "1 skipped by the policy" in table.out


@pytest.mark.parametrize("option", [("--conversations", "-1"), ("--conversations", "0"),
                                    ("--context-window", "-3")])
@pytest.mark.parametrize("mode", [(), ("--answer",)], ids=["recall", "answer"])
def test_eval_locomo_refuses_counts_below_range(memos_cli: Run, tmp_path: Path,
                                                option: tuple[str, str],
                                                mode: tuple[str, ...]) -> None:
    """`--conversations -1` evaluated every conversation but the last (a Python slice) and
    `--answer --context-window -3` ran; both are usage errors before any data is read."""
    data = tmp_path / "locomo.json"
    data.write_text("[]")
    result = memos_cli("eval", "locomo", "--data", str(data), "--embedder", "hashing", *option,
                       *mode, store_args=False)
    assert result.code == 2, result.err
    assert option[0] in result.err and "Traceback" not in result.err


@pytest.mark.parametrize("command", [("stats",), ("add", "some text", "-u", "alice")])
def test_unreachable_database_never_prints_its_password(memos_cli: Run,
                                                        command: tuple[str, ...]) -> None:
    # Port 1 refuses connections: the open fails after the URL passed the scheme check.
    result = memos_cli(*command, "--store", "postgresql+psycopg://bob:hunter2@127.0.0.1:1/db")
    assert result.code == 1
    line = _one_error_line(result)
    assert "cannot open the store" in line
    assert "hunter2" not in result.err + result.out
    assert "bob:***@127.0.0.1" in line


def test_model_train_refuses_an_out_it_cannot_write_before_training(
        memos_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The first checkpoint is written at step 100: an --out that is a file used to fail
    # there, after the training it was to keep.
    import memos.model.train as train_module

    def no_training(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("trained although --out cannot hold a checkpoint")

    monkeypatch.setattr(train_module, "build_model", no_training)
    notes = tmp_path / "notes.txt"
    notes.write_text("keep me\n")
    for out in (notes, notes / "run"):
        result = memos_cli("model", "train", "--preset", "tiny", "--steps", "1",
                           "--out", str(out), store_args=False)
        assert result.code == 2, result.err
        assert "--out" in _one_error_line(result)
    assert notes.read_text() == "keep me\n"


@pytest.mark.parametrize("command", [("add", "-"), ("session", "save", "s1", "-")])
def test_invalid_utf8_on_stdin_says_send_utf8_in_cli_words(memos_cli: Run,
                                                           command: tuple[str, ...]) -> None:
    # The advice was the SDK's: "decode them with errors='replace' or pass text".
    line = _one_error_line(memos_cli(*command, "-u", "alice", stdin=b"caf\xe9 \xff\xfe"))
    assert "UTF-8" in line and "errors=" not in line and "iconv" in line


def test_invalid_utf8_said_in_chat_is_called_that_not_lone_surrogates(memos_cli: Run) -> None:
    got = memos_cli("chat", "-u", "alice", "--backend", "extractive",
                    stdin=b"bad \xff\xfe utf8\n/quit\n")
    assert "UTF-8" in got.err and "surrogates" not in got.err, got.err


def test_a_missing_session_names_the_cli_command_not_the_sdk_call(memos_cli: Run) -> None:
    assert memos_cli("add", "Alice keeps bees", "-u", "alice").code == 0
    line = _one_error_line(memos_cli("session", "resume", "nosuch", "-u", "alice"))
    assert "memos session save" in line and "MemOS." not in line


@pytest.mark.parametrize("flag", ["--agent", "--session"])
def test_a_blank_scope_id_is_refused_without_pydantic_words(memos_cli: Run, flag: str) -> None:
    line = _one_error_line(memos_cli("add", "Alice keeps bees", "-u", "alice", flag, " "))
    assert "is empty or only whitespace" in line and "Value error" not in line


def test_cli_words_call_lone_surrogates_invalid_utf8() -> None:
    """Piped from a shell, undecodable bytes reach the library as lone surrogates, and the
    message said so ("not valid Unicode (lone surrogates)"): a CLI user sent bytes."""
    from memos.cli.options import cli_words

    said = cli_words("the message is not valid Unicode (lone surrogates); decode the source "
                     "bytes as UTF-8 with errors='replace' first")
    assert said.startswith("the message is not valid UTF-8;") and "iconv" in said
