"""Outside text (stored memories, user ids, paths, library messages) is shown as it is.

Rich reads "[/foo]" as markup and ":smile:" as an emoji, and writes ESC sequences through to
the terminal; the CLI shows such text literally, with control characters as visible escapes
(cli/render.py: clean, plain, styled, SafeTable, SafeConsole). Also: every option has help,
a failing progress bar leaves no empty line before `error:`, and piped chat answers every
input line with one line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from memos.cli import render

Run = Callable[..., Any]  # the `memos_cli` fixture of conftest.py

MARKUP = ["closing [/foo] tag", "styled [bold red]LOUD[/bold red] note",
          "a [link=https://example.com]link[/link] here", "an :smile: emoji code",
          "escaped \\[bold] bracket", "[red]whole[/red]"]
# (raw, what the terminal gets instead)
CONTROL = [("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"), ("\x1b[31mred\x1b[0m", "\\x1b[31mred"),
           ("\x9b31m", "\\x9b31m"), ("\u202eevil", "\\u202eevil"), ("a\x08b", "a\\x08b"),
           ("del\x7f", "del\\x7f"), ("\x05enq", "\\x05enq")]


def _add(memos_cli: Run, text: str, user: str = "alice") -> str:
    result = memos_cli("add", text, "-u", user, "--json")
    assert result.code == 0, result.err
    return str(result.json()["id"])


def _raw_controls(text: str) -> set[str]:
    return {ch for ch in text if ch not in "\n\t" and (ord(ch) < 32 or 0x7f <= ord(ch) <= 0x9f
                                                       or 0x202a <= ord(ch) <= 0x202e
                                                       or 0x2066 <= ord(ch) <= 0x2069)}


# -- the helpers ------------------------------------------------------------------------------

def test_clean_shows_every_unsafe_character_as_an_escape() -> None:
    for raw, shown in CONTROL:
        assert shown in render.clean(raw)
        assert not _raw_controls(render.clean(raw))
    assert render.clean("line\n\ttab é 東京 🍣") == "line\n\ttab é 東京 🍣"
    assert render.clean("\u2066x\u2069\u200f\udcff") == "\\u2066x\\u2069\\u200f\\udcff"


@pytest.mark.parametrize("text", MARKUP)
def test_safe_table_and_console_print_markup_literally(text: str,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    table = render.new_table(f"title {text}", ["a"])
    table.add_row(text)
    render.print_table(table)
    render.console().print(f"line {text}")
    render.print_message(f"message {text}")
    render.print_warning(f"warning {text}")
    captured = capsys.readouterr()
    words = " ".join(captured.out.split())  # the title wraps at the table's width
    for shown in (f"title {text}", f"line {text}", f"message {text}"):
        assert shown in words
    assert f"│ {text} │" in captured.out
    assert f"warning {text}" in captured.err


# -- commands that show stored text -----------------------------------------------------------

@pytest.mark.parametrize("text", MARKUP)
def test_stored_markup_is_shown_literally_by_every_reading_command(memos_cli: Run,
                                                                   text: str) -> None:
    cube_id = _add(memos_cli, f"first {text}")
    assert memos_cli("update", cube_id, "--content", f"second {text}", "-u", "alice").code == 0
    for args in (("search", "first second"), ("show", cube_id), ("history", cube_id),
                 ("diff", cube_id)):
        result = memos_cli(*args, "-u", "alice")
        assert "internal error" not in result.err, (args, result.err)
        assert result.code == 0, (args, result.err)
        assert text in result.out, (args, result.out)


@pytest.mark.parametrize("raw, shown", CONTROL)
def test_stored_control_characters_never_reach_the_terminal(memos_cli: Run, raw: str,
                                                            shown: str) -> None:
    cube_id = _add(memos_cli, f"evil {raw} text one")
    assert memos_cli("update", cube_id, "--content", f"evil {raw} text two",
                     "-u", "alice").code == 0
    for args in (("search", "evil text"), ("show", cube_id), ("history", cube_id),
                 ("diff", cube_id)):
        result = memos_cli(*args, "-u", "alice")
        assert result.code == 0, (args, result.err)
        assert not _raw_controls(result.out), (args, result.out)
        assert shown in result.out, (args, result.out)
    # --json keeps the text exactly (JSON escapes it)
    assert memos_cli("show", cube_id, "-u", "alice", "--json").json()["content"] == \
        f"evil {raw} text two"


def test_ingest_and_chat_memories_show_bracketed_facts(memos_cli: Run, tmp_path: Path) -> None:
    chat = tmp_path / "chat.json"
    chat.write_text(json.dumps([{"role": "user", "content": "My favourite band is [/Rush]."}]))
    result = memos_cli("ingest", str(chat), "-u", "alice", "--session", "s1")
    assert result.code == 0 and "[/Rush]" in result.out, result.err
    result = memos_cli("chat", "-u", "alice", "--backend", "extractive", "--memories",
                       stdin=b"What is my favourite band?\n")
    assert result.code == 0, result.err
    assert "[/Rush]" in result.out and "[/Rush]" in result.err


@pytest.mark.parametrize("user", ["[/u]", "[bold]u[/bold]", "u :smile:"])
def test_user_ids_are_shown_as_they_are(memos_cli: Run, user: str) -> None:
    _add(memos_cli, "hello there", user=user)
    shown = render.clean(user)
    result = memos_cli("tiers", "--all")
    assert result.code == 0 and shown in result.out and not _raw_controls(result.out), \
        result.err
    created = memos_cli("keys", "create", "--user", user)
    assert created.code == 0 and "memos-" in created.out and shown in created.out, created.err
    listed = memos_cli("keys", "list")
    assert listed.code == 0 and shown in listed.out, listed.err
    key_id = created.out.split("key id")[1].split()[1]
    revoked = memos_cli("keys", "revoke", key_id)
    assert revoked.code == 0 and shown in revoked.out, revoked.err


def test_a_store_path_with_brackets_is_shown(memos_cli: Run, tmp_path: Path) -> None:
    folder = tmp_path / "b[/x]" / "[red]st"
    result = memos_cli("init", "--store", str(folder))
    assert result.code == 0 and str(folder) in result.out.replace("\n", ""), result.err
    result = memos_cli("stats", "--store", str(folder))
    assert result.code == 0 and "[red]st" in result.out, result.err


# -- error lines ------------------------------------------------------------------------------

def test_error_messages_quote_input_literally(memos_cli: Run) -> None:
    _add(memos_cli, "something")
    result = memos_cli("show", "[/nope] [bold]x[/bold]", "-u", "alice")
    assert result.code != 0 and "internal error" not in result.err
    assert "[/nope] [bold]x[/bold]" in result.err
    result = memos_cli("show", "id\x1b]0;pwned\x07", "-u", "alice")
    assert result.code != 0 and not _raw_controls(result.err), result.err


def test_import_error_lines_are_literal_and_one_line_each(memos_cli: Run,
                                                          tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{\"broken [/x] " + "y" * 120 + "\n")
    result = memos_cli("import", str(bad), "-u", "alice")
    assert result.code != 0 and "internal error" not in result.err, result.err
    lines = result.err.splitlines()
    assert lines[0].startswith("line 1: ") and lines[1].startswith("error: "), lines


# -- no empty line before `error:` when a command with a progress bar fails ------------------

def test_failing_commands_with_progress_bars_print_no_empty_line(
        memos_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEMOS_LLM_URL", raising=False)
    _add(memos_cli, "something to open the store")
    chat = tmp_path / "chat.json"
    chat.write_text(json.dumps([{"role": "user", "content": "I live in Porto."}]))
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{\"x\": 1}\n")
    for args in (("ingest", str(chat), "-u", "alice", "--session", "s", "--mode", "llm"),
                 ("import", str(bad), "-u", "alice"),
                 ("consolidate", "-u", "nobody-with-facts")):
        result = memos_cli(*args)
        assert result.code != 0, args
        assert result.err.strip() and "" not in result.err.splitlines(), (args, result.err)
        assert not result.err.startswith("\n"), (args, result.err)


# -- every option teaches ---------------------------------------------------------------------

def _leaf_commands() -> list[tuple[str, Any]]:
    from typer.main import get_command

    from memos.cli import app as cli_app

    cli_app._register()
    out: list[tuple[str, Any]] = []

    def walk(cmd: Any, path: str) -> None:
        if hasattr(cmd, "commands"):
            for name, sub in cmd.commands.items():
                walk(sub, f"{path} {name}".strip())
        else:
            out.append((path, cmd))

    walk(get_command(cli_app.app), "")
    return out


def test_every_option_and_argument_of_every_command_has_help() -> None:
    missing = [f"memos {path} {param.opts[0] if param.opts else param.name}"
               for path, cmd in _leaf_commands() for param in cmd.params
               if not (getattr(param, "help", None) or "").strip()]
    assert not missing, missing


# -- piped chat: one line out per line in ----------------------------------------------------

def test_piped_chat_pairs_every_input_line_with_one_output_line(memos_cli: Run) -> None:
    lines = ["I live in Lisbon.", "", "   ", "/help", "Where do I live?"]
    result = memos_cli("chat", "--user", "alice", "--backend", "extractive",
                       stdin=("\n".join(lines) + "\n").encode())
    assert result.code == 0, result.err
    out = result.out.splitlines()
    assert len(out) == len(lines), out
    assert out[1] == "" and out[2] == "" and "/quit" in out[3] and "Lisbon" in out[4]


def test_piped_chat_reply_carries_no_control_characters(memos_cli: Run) -> None:
    result = memos_cli("chat", "--user", "alice", "--backend", "extractive",
                       stdin=b"I live in Por\x1b]0;pwned\x07to.\nWhere do I live?\n")
    assert result.code == 0, result.err
    assert not _raw_controls(result.out) and not _raw_controls(result.err), result.out
