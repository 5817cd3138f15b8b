"""Found by a user's probe of the CLI (session 36), each fixed: text that looks like Rich
markup (`[/foo]`) crashed or was restyled, in memories, user ids and store paths; control
characters reached the terminal; purge through a store's memos.db left its folder's FAISS
files holding the vector; options without help; a blank piped chat line got no reply line.
(The probe's SDK findings are tested in tests/memos/test_sdk_probe36.py.)"""

from __future__ import annotations

import glob
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Run = Callable[..., Any]  # the `memos_cli` fixture of conftest.py


def _add(memos_cli: Run, text: str, user: str = "alice") -> str:
    result = memos_cli("add", text, "-u", user, "--json")
    assert result.code == 0, result.err
    return result.json()["id"]


# 1. Memory text that looks like Rich markup ------------------------------------------------

MARKUP = "closing tag [/foo] here in a note"


@pytest.mark.parametrize("command", [
    ("search", "closing tag note"), ("show", "{id}"), ("history", "{id}"),
])
def test_content_with_a_closing_bracket_tag_is_shown_not_an_internal_error(
        memos_cli: Run, command: tuple[str, ...]) -> None:
    cube_id = _add(memos_cli, MARKUP)
    result = memos_cli(*(part.format(id=cube_id) for part in command), "-u", "alice")
    assert "internal error" not in result.err, result.err
    assert result.code == 0, result.err
    assert "[/foo]" in result.out


def test_ingest_of_a_turn_with_brackets_prints_its_facts(memos_cli: Run,
                                                         tmp_path: Path) -> None:
    chat = tmp_path / "chat.json"
    chat.write_text(json.dumps([{"role": "user",
                                 "content": "My favourite band is [/Rush]."}]))
    result = memos_cli("ingest", str(chat), "-u", "alice", "--session", "s1")
    # today: the facts are written, then the table crashes: exit 1, "internal error: MarkupError"
    assert "internal error" not in result.err, result.err
    assert result.code == 0, result.err


def test_content_markup_is_printed_literally(memos_cli: Run) -> None:
    _add(memos_cli, "styled [bold red]LOUD[/bold red] note")
    result = memos_cli("search", "styled note", "-u", "alice")
    assert result.code == 0, result.err
    assert "[bold red]LOUD[/bold red]" in result.out  # today: shown as "styled LOUD note"


# 2. Terminal escape sequences in stored text -------------------------------------------------

def test_show_does_not_write_raw_escape_sequences_from_content(memos_cli: Run) -> None:
    cube_id = _add(memos_cli, "evil \x1b]0;pwned\x07 \x1b[31mRED\x1b[0m text")
    for args in (("show", cube_id), ("search", "evil text")):
        result = memos_cli(*args, "-u", "alice")
        assert result.code == 0, result.err
        assert "\x1b" not in result.out, args  # a stored memory must not drive the terminal


# 3. purge --verify and the same database opened under another spelling ------------------------

def test_purge_leaves_no_vector_in_any_index_folder_of_the_store(memos_cli: Run,
                                                                tmp_path: Path) -> None:
    faiss = pytest.importorskip("faiss")
    folder = tmp_path / "lay"
    result = memos_cli("add", "secret zebracorn", "-u", "alice", "--json",
                       "--store", str(folder))
    cube_id = result.json()["id"]
    assert memos_cli("search", "zebracorn", "-u", "alice",
                     "--store", str(folder / "memos.db")).code == 0
    result = memos_cli("purge", cube_id, "--yes", "--verify", "-u", "alice",
                       "--store", str(folder / "memos.db"))
    assert result.code == 0, result.err
    left = {path: faiss.read_index(path).ntotal
            for path in glob.glob(str(folder / "**" / "*.faiss"), recursive=True)}
    # today: lay/vectors.faiss still holds the purged vector, while --verify says nothing remains
    assert all(n == 0 for n in left.values()), left


# 4. --help teaches every option ----------------------------------------------------------------

@pytest.mark.parametrize("command, option", [
    (("diff",), "--from"), (("diff",), "--to"), (("scheduler", "log"), "--limit"),
    (("session", "resume"), "--max-new-tokens"),
])
def test_every_option_has_help_text(command: tuple[str, ...], option: str) -> None:
    import click
    from typer.main import get_command

    from memos.cli import app as cli_app

    cli_app._register()
    cmd: Any = get_command(cli_app.app)
    for name in command:
        cmd = cmd.commands[name]
    param = next(p for p in cmd.params if option in getattr(p, "opts", ()))
    assert isinstance(param, click.Option) or hasattr(param, "help")
    assert (getattr(param, "help", None) or "").strip(), f"memos {' '.join(command)} {option}"


# 5. piped chat: one reply line per input line -------------------------------------------------

def test_piped_chat_answers_a_blank_line_too(memos_cli: Run) -> None:
    result = memos_cli("chat", "--user", "alice", "--backend", "extractive",
                       stdin=b"I live in Lisbon.\n\nWhere do I live?\n")
    assert result.code == 0, result.err
    # docs/ASSISTANT.md: each input line gets one plain line on stdout (an empty one here)
    assert result.out.splitlines()[1] == "" and len(result.out.splitlines()) == 3, result.out


# 6. user ids and store paths that look like Rich markup -------------------------------------

def test_tiers_all_survives_a_user_id_with_brackets(memos_cli: Run) -> None:
    _add(memos_cli, "hello there", user="[/u]")
    result = memos_cli("tiers", "--all")
    assert "internal error" not in result.err, result.err
    assert result.code == 0 and "[/u]" in result.out


def test_keys_create_prints_the_secret_for_a_user_id_with_brackets(memos_cli: Run) -> None:
    memos_cli("init")
    result = memos_cli("keys", "create", "--user", "[/k]")
    # today: the key is stored, then the table crashes (internal error): its secret is lost
    assert "internal error" not in result.err, result.err
    assert result.code == 0 and "memos-" in result.out
    listed = memos_cli("keys", "list")
    assert listed.code == 0, listed.err


def test_stats_of_a_store_whose_path_has_brackets(memos_cli: Run, tmp_path: Path) -> None:
    folder = tmp_path / "br[/x]"  # "br[" holding "x]": the path reads "...br[/x]/st"
    folder.mkdir(parents=True)
    assert memos_cli("add", "hi there", "-u", "alice", "--store", str(folder / "st")).code == 0
    result = memos_cli("stats", "--store", str(folder / "st"))
    assert "internal error" not in result.err, result.err
    assert result.code == 0


def test_ctrl_c_during_a_command_says_aborted_and_gives_the_json_error(memos_cli, tmp_path,
                                                                        monkeypatch) -> None:
    """typer turns KeyboardInterrupt into an exit code of 130 that it returns: the CLI exited
    130 silently, and `--json` printed nothing (CLI.md promises the Aborted object)."""
    import json

    from memos.facade import MemOS

    turns = tmp_path / "chat.jsonl"
    turns.write_text(json.dumps({"role": "user", "content": "I live in Leeds."}) + "\n")
    memos_cli("init")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(MemOS, "ingest", interrupted)
    for extra in ([], ["--json"]):
        result = memos_cli("ingest", str(turns), "--session", "s1", "-u", "alice", *extra)
        assert result.code == 130
        assert "aborted" in result.err
        if extra:
            assert json.loads(result.out)["error"]["type"] == "Aborted"
        else:
            assert result.out == ""


def test_since_and_until_take_words_people_use_and_say_what_they_take(memos_cli) -> None:
    """`--since yesterday` gave pydantic's "Input should be a valid datetime or date, input is
    too short", naming no format."""
    memos_cli("add", "Alice keeps bees", "-u", "alice")
    for when in ("yesterday", "today", "2 weeks ago", "3 days ago", "2026-01-01",
                 "2026-01-01T10:00:00+02:00"):
        found = memos_cli("search", "bees", "-u", "alice", "--since", when, "--json")
        assert found.code == 0, (when, found.err)
    assert memos_cli("search", "bees", "-u", "alice", "--until", "yesterday", "--json").out \
        .strip() == "[]"
    for far_back in ("5000 years ago", "3000000 days ago", "9" * 5000 + " weeks ago"):
        far = memos_cli("search", "bees", "-u", "alice", "--since", far_back)
        assert far.code == 2 and "before the year 1" in far.err, far.err
    bad = memos_cli("search", "bees", "-u", "alice", "--since", "last tuesday")
    assert bad.code == 2 and "2026-11-30" in bad.err and "yesterday" in bad.err


def test_list_shows_a_users_live_memories_a_page_at_a_time(memos_cli) -> None:
    """There was no way to list a user's memories from the CLI (only search and export)."""
    import json

    for text in ("Alice keeps bees", "Alice likes tea", "Bob keeps goats"):
        memos_cli("add", text, "-u", "bob" if text.startswith("Bob") else "alice")
    first = json.loads(memos_cli("list", "-u", "alice", "--limit", "1", "--json").out)
    assert [c["content"] for c in first["items"]] == ["Alice likes tea"]  # newest first
    second = json.loads(memos_cli("list", "-u", "alice", "--limit", "1", "--cursor",
                                  first["next_cursor"], "--json").out)
    assert [c["content"] for c in second["items"]] == ["Alice keeps bees"]
    assert second["next_cursor"] is None
    table = memos_cli("list", "-u", "alice", "--limit", "1")
    assert table.code == 0 and "Alice likes tea" in table.out and "--cursor" in table.out
    assert "Bob" not in memos_cli("list", "-u", "alice").out
    bad = memos_cli("list", "-u", "alice", "--kind", "nonsense")
    assert bad.code == 2 and bad.err.startswith("error: unknown kind")
