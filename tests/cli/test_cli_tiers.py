"""The tier commands: recall, answer, tiers, session save/resume, scheduler run/log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

Run = Callable[..., Any]

COMMANDS = [["recall"], ["answer"], ["tiers"], ["session", "save"], ["session", "resume"],
            ["scheduler", "run"], ["scheduler", "log"], ["bench", "tiers"]]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_an_example(memos_cli: Run, command: list[str]) -> None:
    result = memos_cli(*command, "--help")
    assert result.code == 0 and "Example:" in result.out


def test_answer_recall_tiers_json(memos_cli: Run) -> None:
    for fact in ("Ann's city is Oslo.", "Bo's city is Lima."):
        assert memos_cli("add", fact, "-u", "alice").code == 0
    ans = memos_cli("answer", "What is Bo's city?", "-u", "alice", "--json")
    assert ans.code == 0, ans.err
    assert ans.json()["text"] == "Lima" and ans.json()["misses"] == 2
    rec = memos_cli("recall", "What is Bo's city?", "-u", "alice", "--json")
    assert rec.json()["hits"] == 2 and rec.json()["misses"] == 0
    # what was recalled, with its text (once ids alone)
    assert sorted(c["content"] for c in rec.json()["cubes"]) == ["Ann's city is Oslo.",
                                                                 "Bo's city is Lima."]
    shown = memos_cli("recall", "What is Bo's city?", "-u", "alice")
    assert shown.code == 0 and "Bo's city is Lima." in shown.out
    rows = memos_cli("tiers", "-u", "alice", "--json").json()
    tiers = {r["tier"]: r for r in rows}
    assert tiers["activation"]["cubes"] == 2 and tiers["activation"]["bytes"] > 0
    bob = memos_cli("answer", "What is Bo's city?", "-u", "bob", "--json").json()
    assert bob["cubes"] == [] and bob["text"] == "" and bob["tier"] == "plaintext"
    # Without --json: no guess of the model's (once bytes that were no text at all), a
    # line that says why there is no answer.
    plain = memos_cli("answer", "What is Bo's city?", "-u", "bob")
    assert plain.code == 0 and "\ufffd" not in plain.out + plain.err
    assert "no memory of yours answers this" in plain.out + plain.err
    # in the question's own words (once always "Ann's city", whatever was asked)
    said = " ".join((plain.out + plain.err).split())
    assert "Bo's city is ..." in said and "Ann's" not in said
    mine = memos_cli("answer", "What is my city?", "-u", "bob")
    assert "<name>'s city" in " ".join((mine.out + mine.err).split())
    plural = memos_cli("answer", "What are my hobbies?", "-u", "bob")  # the verb as asked
    assert "What are <name>'s hobbies?" in " ".join((plural.out + plural.err).split())
    short = memos_cli("answer", "what's Bo's city?", "-u", "bob")
    assert "Bo's city is ..." in " ".join((short.out + short.err).split())
    other = memos_cli("answer", "Where does Bo live?", "-u", "bob")
    assert "memos chat" in " ".join((other.out + other.err).split())


def test_answer_says_which_memory_the_model_could_not_read(memos_cli: Run) -> None:
    """A fresh-eyes user: a memory too long for the model's slots was the one asked about;
    `answer` said none stated it and advised adding it again. It now names the memory and
    why, and --json carries `skipped` (REST's /v1/answer did already)."""
    motto = "Alice's motto is " + "carpe diem and more " * 20 + "."
    assert memos_cli("add", motto, "-u", "alice").code == 0
    out = memos_cli("answer", "What is Alice's motto?", "-u", "alice")
    said = " ".join((out.out + out.err).split())
    assert out.code == 0 and "could not be read by the model" in said and "bytes" in said
    got = memos_cli("answer", "What is Alice's motto?", "-u", "alice", "--json").json()
    assert got["text"] == "" and len(got["skipped"]) == 1 and "adapter_version" in got


def test_session_and_scheduler_commands(memos_cli: Run) -> None:
    saved = memos_cli("session", "save", "s1", "Notes: the key is 4471.", "-u", "alice",
                      "--json")
    assert saved.code == 0, saved.err
    assert saved.json()["tokens"] > 0
    resumed = memos_cli("session", "resume", "s1", " ok", "-u", "alice", "--json")
    assert resumed.code == 0 and isinstance(resumed.json()["text"], str)
    plain = memos_cli("session", "resume", "s1", " ok", "-u", "alice")
    assert plain.code == 0 and "memos chat" not in plain.out + plain.err  # no chat: no hint
    missing = memos_cli("session", "resume", "s1", "-u", "bob")
    assert missing.code == 1 and len(missing.err_lines) == 1 and "no saved session" in missing.err
    run = memos_cli("scheduler", "run", "--dry-run", "--json")
    assert run.code == 0 and run.json()["dry_run"] is True and run.json()["consolidated"] == 0
    plain = memos_cli("scheduler", "run", "--dry-run", "--no-consolidate")
    assert plain.code == 0 and "0 consolidated" in plain.out
    assert "--no-consolidate" in memos_cli("scheduler", "run", "--help").out
    assert memos_cli("scheduler", "log", "--json").json() == []
    bad = memos_cli("scheduler", "run", "--policy", "fifo")
    assert bad.code == 2 and len(bad.err_lines) == 1


def test_tiers_of_an_agent_counts_only_what_it_owns(memos_cli: Run) -> None:
    for fact, agent in (("bot2 private one", "bot2"), ("bot2 private two", "bot2"),
                        ("bot1 note", "bot1")):
        assert memos_cli("add", fact, "-u", "alice", "--agent", agent).code == 0
    rows = memos_cli("tiers", "-u", "alice", "--agent", "bot1", "--json")
    assert rows.code == 0, rows.err
    assert [(r["tier"], r["cubes"]) for r in rows.json()] == [("plaintext", 1)]
    whole = memos_cli("tiers", "-u", "alice", "--json").json()
    assert [(r["tier"], r["cubes"]) for r in whole] == [("plaintext", 3)]


@pytest.mark.parametrize("command", [["tiers"], ["stats"], ["gc"]])
def test_agent_without_a_user_is_refused_not_widened_to_the_store(memos_cli: Run,
                                                                 command: list[str]) -> None:
    """--agent without --user used to be dropped: `memos gc --agent bot1` ran on every
    user's cubes, `tiers`/`stats` showed the whole store."""
    assert memos_cli("add", "bob's note", "-u", "bob").code == 0
    out = memos_cli(*command, "--agent", "bot1", "--json")  # MEMOS_USER is unset here
    assert out.code == 2 and "--agent needs --user" in out.err
    both = memos_cli("tiers", "--all", "--agent", "bot1", "-u", "alice")
    assert both.code == 2 and "--all" in both.err


def test_resume_of_a_chat_session_says_how_to_go_on_talking(memos_cli: Run) -> None:
    """What the shipped model writes after a chat's transcript is no readable text; the
    command now says the session is a conversation and which command continues it."""
    chat = memos_cli("chat", "-u", "dana", "--session", "c1", "--backend", "extractive",
                     stdin=b"I live in Oslo.\n/quit\n")
    assert chat.code == 0, chat.err
    out = memos_cli("session", "resume", "c1", "-u", "dana")
    assert out.code == 0, out.err
    assert "memos chat --session c1 -u dana" in " ".join((out.out + out.err).split())


def test_search_shows_the_facts_folded_into_a_turn(memos_cli: Run, tmp_path: Any) -> None:
    """A fresh-eyes user: the fact read from a turn was folded into the turn's hit, and the
    CLI showed no trace of it (the table nothing, --json no `folded`)."""
    conv = tmp_path / "conv.json"
    conv.write_text('[{"role": "user", "content": "I moved to Lisbon last week."}]')
    assert memos_cli("ingest", str(conv), "--session", "s1", "-u", "alice").code == 0
    hits = memos_cli("search", "Alice's city", "-u", "alice", "--json").json()
    turn = next(h for h in hits if h["cube"]["content"].endswith("I moved to Lisbon last week."))
    assert len(turn["folded"]) == 1
    fact = memos_cli("show", turn["folded"][0], "-u", "alice", "--json").json()
    assert fact["content"] == "Alice's city is Lisbon."
    table = memos_cli("search", "Alice's city", "-u", "alice")
    assert table.code == 0 and "↳ Alice's city is Lisbon." in table.out


def test_ingest_lists_a_fact_replaced_within_the_same_ingest(memos_cli: Run,
                                                            tmp_path: Any) -> None:
    """A fresh-eyes user: "7 facts, 1 superseded" under a table of 6 rows: the fact replaced
    within the ingest ("I live in Berlin" then "I moved to Lisbon") was left out."""
    conv = tmp_path / "conv.json"
    conv.write_text('[{"role": "user", "content": "I live in Berlin.", '
                    '"at": "2026-03-01T10:00:00Z"}, {"role": "user", "content": '
                    '"I moved to Lisbon.", "at": "2026-04-10T10:00:00Z"}]')
    out = memos_cli("ingest", str(conv), "--session", "s1", "-u", "alice")
    assert out.code == 0, out.err
    lines = out.out.splitlines()
    assert any("Berlin" in line and "superseded" in line for line in lines)
    assert any("Lisbon" in line and "live" in line for line in lines)


def test_recall_shows_the_text_without_counting_a_second_read(memos_cli: Run,
                                                              store: str) -> None:
    """Reading the recalled memories' text goes through history, which counts no read: the
    access count a recall leaves is the same with the table as without (a review: the test
    before compared slot-cache hits, which could not tell)."""
    from memos import MemOS

    cube = memos_cli("add", "Bo's city is Lima.", "-u", "alice", "--json").json()["id"]

    def reads() -> int:  # (a list counts no read, and shows the row's count)
        with MemOS.open(store) as mem:
            return next(c for c in mem.list_memories("alice").items if c.id == cube).access.hits

    assert memos_cli("recall", "What is Bo's city?", "-u", "alice", "--json").code == 0
    after_json = reads()
    assert after_json >= 1  # a recall counts its reads
    shown = memos_cli("recall", "What is Bo's city?", "-u", "alice")
    assert shown.code == 0 and "Bo's city is Lima." in shown.out
    assert reads() - after_json == after_json  # one read per recall, whether shown or not
