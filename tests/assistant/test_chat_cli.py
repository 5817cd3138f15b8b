"""`memos chat`: piped (in process) and in a pseudo-terminal across two processes."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import sys
import time
from pathlib import Path

import pytest

from memos.cli.app import main

ENTRY = "import sys; from memos.cli.app import main; main(sys.argv[1:])"  # the `memos` script
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


def run_piped(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
              lines: list[str], *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(f"{line}\n" for line in lines)))
    try:
        main(["chat", *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_chat_piped_prints_one_plain_reply_per_line(store_path: str, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run_piped(monkeypatch, capsys, [
        "I live in Lisbon.", "", "where do I live?", "Please forget where I live.",
        "where do I live?", "/quit", "never read"], "--user", "alice", "--store", store_path,
        "--backend", "extractive", "--session", "piped")
    assert code == 0, err
    replies = out.splitlines()  # one per input line: the blank line's is empty
    assert replies[0] == "Noted: your city is Lisbon."
    assert replies[1] == ""
    assert replies[2].startswith("Your city is Lisbon (you told me on ")
    assert replies[3].startswith("Forgotten ") and "your city is Lisbon" in replies[3]
    assert replies[4] == "I don't have anything about that yet."
    assert len(replies) == 5 and "\x1b[" not in out  # plain text, nothing after /quit
    # the turns that held the forgotten city left the transcript too
    assert "session piped ended: 2 turn(s)" in err


def test_chat_refuses_a_missing_user(store_path: str, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEMOS_USER", raising=False)
    code, _out, err = run_piped(monkeypatch, capsys, ["hello"], "--store", store_path)
    assert code == 2 and "--user" in err and "Traceback" not in err


def _chat_in_pty(store: str, user: str, lines: list[str], *, eof: bool = False,
                 timeout: float = 120.0) -> str:
    """Run `memos chat` in a pseudo-terminal, typing each line at the prompt; end with
    /quit, or Ctrl-D when `eof`. Returns everything the terminal showed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMOS_")}
    env.update({"NO_COLOR": "1", "COLUMNS": "160", "TERM": "xterm", "OMP_NUM_THREADS": "1"})
    pid, fd = pty.fork()
    if pid == 0:  # the child: the CLI, as a user would start it
        os.execvpe(sys.executable, [sys.executable, "-c", ENTRY, "chat", "--user", user,
                                    "--store", store], env)
    seen = ""
    deadline = time.monotonic() + timeout
    todo = [*(f"{line}\n" for line in lines), "\x04" if eof else "/quit\n"]
    prompts = 0
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                seen += ANSI.sub("", chunk.decode("utf-8", "replace"))
            if todo and seen.count("you>") > prompts:
                prompts += 1
                os.write(fd, todo.pop(0).encode())
            if time.monotonic() > deadline:
                raise AssertionError(f"memos chat did not finish in {timeout} s:\n{seen}")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, seen
    return seen


@pytest.mark.slow
def test_chat_in_a_terminal_remembers_across_processes(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    first = _chat_in_pty(store, "alice", ["I live in Lisbon.", "My sister Ana lives in Madrid."],
                         eof=True)
    assert "memos chat as Alice (alice)" in first
    assert "Noted: your city is Lisbon." in first
    assert "Noted: your sister's name is Ana; Ana's city is Madrid." in first
    assert re.search(r"session chat-\S+ ended: 2 turn\(s\)", first)  # Ctrl-D ends it
    second = _chat_in_pty(store, "alice", ["Where does Ana live?", "I moved to Porto.",
                                           "where do I live?"])
    assert "memos> Ana's city is Madrid." in second  # remembered across processes
    assert "Noted: your city is Porto (it was Lisbon)." in second
    assert "memos> Your city is Porto." in second  # the correction wins
    assert re.search(r"model · \d+ memor(y|ies)", second)  # answered by the built-in model


def test_chat_piped_with_memories_lists_them_on_stderr(
        store_path: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Review: `--memories` did nothing when stdin was piped. The memories each reply used go
    to stderr, one line each; stdout stays one reply line per input line."""
    code, out, err = run_piped(monkeypatch, capsys, ["I live in Lisbon.", "where do I live?"],
                               "--user", "alice", "--store", store_path, "--backend",
                               "extractive", "--session", "m", "--memories")
    assert code == 0, err
    assert len(out.splitlines()) == 2 and "Lisbon" in out.splitlines()[1]
    lines = [line for line in err.splitlines() if line.startswith("memory ")]
    assert lines and lines[0].startswith("memory 1: ") and "Lisbon" in lines[0]
    # without the flag, none
    code, out, err = run_piped(monkeypatch, capsys, ["where do I live?"], "--user", "alice",
                               "--store", store_path, "--backend", "extractive")
    assert code == 0 and not [line for line in err.splitlines() if line.startswith("memory ")]


@pytest.mark.slow
def test_memories_in_a_terminal_says_whether_they_are_now_shown(tmp_path: Path) -> None:
    """A fresh-eyes user: /memories toggled the table silently."""
    seen = _chat_in_pty(str(tmp_path / "store"), "alice", ["/memories", "/memories"])
    assert seen.index("memories of each reply: shown") < seen.index(
        "memories of each reply: hidden")
