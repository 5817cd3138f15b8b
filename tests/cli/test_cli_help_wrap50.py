"""Help text reflows at the terminal's width, and `session resume` prints no bare empty line
nor a chat hint broken mid-command.

Typer's rich help kept a docstring's single newlines: at 80 columns a docstring line longer
than the room was wrapped and then broken again ("... on unseen" / "facts" / "at most ...").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

Run = Callable[..., Any]

WIDTH = 80


def _command_paths() -> list[list[str]]:
    from typer.main import get_command

    from memos.cli.app import _register, app

    _register()

    def walk(command: Any, path: list[str]) -> Iterator[list[str]]:
        yield path
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            yield from walk(sub, [*path, name])

    return list(walk(get_command(app), []))


def _help(path: list[str], width: int = WIDTH) -> str:
    from typer.testing import CliRunner

    from memos.cli.app import _register, app

    _register()
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": str(width)},
                                terminal_width=width)
    assert result.exit_code == 0, (path, result.output)
    return result.output


def _description(output: str) -> list[str]:
    """The help's prose: the lines between the Usage line and the first panel."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("Usage:"))
    end = next((i for i, line in enumerate(lines) if line.lstrip().startswith("\u256d")),
               len(lines))
    return [line.rstrip() for line in lines[start + 1:end]]


def _ragged(lines: list[str], width: int) -> list[str]:
    """Lines broken before the terminal's width though the next line goes on with the same
    paragraph: its first word would have fitted (rich wraps greedily at spaces, inside one
    column of padding on each side), and it is no line kept on its own (a list item, an
    example or command line, an indented one)."""
    from memos.cli.app import _LAYOUT_LINE

    bad = []
    for line, following in zip(lines, lines[1:], strict=False):
        if not line.strip() or not following.strip():
            continue
        nxt = following[1:] if following.startswith(" ") else following  # the padding
        if _LAYOUT_LINE.match(nxt):
            continue
        if len(line) + 1 + len(nxt.split()[0]) <= width - 1:
            bad.append(f"{line!r} / {following!r}")
    return bad


COMMAND_PATHS = _command_paths()


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=lambda p: " ".join(p) or "memos")
def test_help_fits_80_columns_and_no_paragraph_is_ragged(path: list[str]) -> None:
    output = _help(path)
    too_long = [line for line in output.splitlines() if len(line) > WIDTH]
    assert not too_long, too_long
    assert not _ragged(_description(output), WIDTH)


def test_the_ragged_check_catches_the_old_breaks() -> None:
    """The old `consolidate --help` at 80 columns, as it was shown."""
    old = [" The gate: closed-book exact match >= 0.9 on the facts, and memory-QA on unseen",
           " facts",
           " at most 0.02 below the model without the adapter."]
    assert len(_ragged(old, WIDTH)) == 1


@pytest.mark.parametrize(("path", "start"), [
    (["consolidate"], "The gate:"), (["add"], "Adding text that"), (["purge"], "Purge erases"),
    (["export"], "FILE is written"), (["chat"], "Piped (stdin"),
    (["bench", "retrieval"], "Search latency"), (["scheduler", "run"], "Expires TTL"),
    (["keys", "revoke"], "Takes the key id"), (["model", "eval"], "Example: memos model eval "
                                                                  "--task robustness"),
])
def test_formerly_garbled_paragraphs_fill_the_width(path: list[str], start: str) -> None:
    lines = _description(_help(path))
    at = next(i for i, line in enumerate(lines) if line.strip().startswith(start))
    paragraph = []
    for line in lines[at:]:
        if not line.strip():
            break
        paragraph.append(line)
    assert len(paragraph) >= 2, paragraph
    assert all(len(line) >= WIDTH - 15 for line in paragraph[:-1]), paragraph


def test_wide_help_keeps_paragraphs_and_examples_apart() -> None:
    lines = [line.strip() for line in _description(_help(["export"], width=200))]
    text = "\n".join(lines)
    assert "Example: memos export alice.jsonl -u alice" in text
    assert "\n\nExample: memos export - -u alice | gzip > alice.jsonl.gz" in text
    # one paragraph, one line: joined, not broken where the docstring's line ended
    assert any(line.startswith("FILE is written") and line.endswith("refused even then.")
               for line in lines)


def test_reflow_keeps_layout() -> None:
    from memos.cli.app import reflow_help

    doc = ("Summary that\ngoes on.\n\nProse that\nis joined:\n- item one\n- item two\n"
           "  indented\nAfter.\n\n\b\nkept\nas is\n\nExample: memos add x\nmemos add y\n"
           "(a note\nthat continues)\n\f\nhidden\ntext")
    assert reflow_help(doc) == (
        "Summary that goes on.\n\nProse that is joined:\n- item one\n- item two\n  indented\n"
        "After.\n\nkept\nas is\n\nExample: memos add x\nmemos add y (a note that continues)"
        "\n\f\nhidden\ntext")
    assert reflow_help("One line.") == "One line."


def test_register_twice_gives_the_same_help() -> None:
    from memos.cli.app import _register

    first = _help(["consolidate"])
    _register()
    assert _help(["consolidate"]) == first


# --- session resume -------------------------------------------------------------------


def test_resume_of_nothing_says_so_and_json_stays_as_it_was(memos_cli: Run,
                                                            monkeypatch: Any) -> None:
    from memos.facade import MemOS

    assert memos_cli("session", "save", "s1", "Notes: the key is 4471.", "-u", "alice").code == 0
    monkeypatch.setattr(MemOS, "continue_session", lambda *a, **k: "")
    out = memos_cli("session", "resume", "s1", " ok", "-u", "alice")
    assert out.code == 0, out.err
    assert out.out.strip() == "(the model wrote nothing)" and "\n\n" not in out.out
    assert not out.out.startswith("\n")
    as_json = memos_cli("session", "resume", "s1", " ok", "-u", "alice", "--json")
    assert as_json.code == 0 and as_json.json() == {"session_id": "s1", "text": ""}
    monkeypatch.setattr(MemOS, "continue_session", lambda *a, **k: " \n")
    blank = memos_cli("session", "resume", "s1", " ok", "-u", "alice")
    assert blank.code == 0 and "the model wrote only whitespace" in blank.out
    assert blank.out.strip().startswith("(")  # no bare blank line before it


def test_chat_hint_is_never_wrapped_mid_command(memos_cli: Run, monkeypatch: Any,
                                                store: str) -> None:
    from memos.cli import render

    chat = memos_cli("chat", "-u", "dana", "--session", "c1", "--backend", "extractive",
                     stdin=b"I live in Oslo.\n/quit\n")
    assert chat.code == 0, chat.err
    monkeypatch.setattr(render, "_FALLBACK_WIDTH", 60)  # a narrow terminal
    out = memos_cli("session", "resume", "c1", "-u", "dana")
    assert out.code == 0, out.err
    command = f"memos chat --session c1 -u dana --store {store}"
    assert any(command in line for line in out.out.splitlines()), out.out
