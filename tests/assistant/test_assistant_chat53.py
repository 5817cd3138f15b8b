"""A user's audit of the chat (2026-12-06, third): "I quit my job" kept "nurse" as the job;
"delete what I said about my job" and "actually, don't keep that" were noted as statements,
so nothing was forgotten and the request itself was quoted back later."""

from __future__ import annotations

from pathlib import Path

import pytest

from memos import MemOS
from tests.assistant.helpers import T0, ask, live_texts, tell


@pytest.fixture
def mem(tmp_path: Path):
    with MemOS.open(tmp_path / "s") as store:
        yield store


@pytest.mark.parametrize("left", ["I quit my job today!", "I got fired.", "I lost my job.",
                                  "I was laid off from St Mary."])
def test_a_job_left_ends_the_title_too(mem, left: str) -> None:
    bot = tell(mem, [(0, "I work as a nurse at St Mary."), (3, left)])
    answer = ask(bot, "what is my job?")
    assert "was nurse" in answer and "Your job is nurse" not in answer


def test_a_job_left_for_new_work_keeps_the_title(mem) -> None:
    bot = tell(mem, [(0, "I work as a nurse at St Mary."),
                     (3, "I quit my job and started at Mercy Clinic.")])
    assert "Your job is nurse" in ask(bot, "what is my job?")
    assert "Mercy Clinic" in ask(bot, "where do I work?")


@pytest.mark.parametrize("request_", ["Delete what I said about my job.",
                                      "please erase everything I told you about my job",
                                      "remove what I mentioned about my job"])
def test_delete_what_i_said_about_a_thing(mem, request_: str) -> None:
    bot = tell(mem, [(0, "I work as a plumber."), (1, "I live in Leeds.")])
    assert bot.reply(request_).forgotten
    assert "plumber" not in ask(bot, "what is my job?")
    assert not any("plumber" in t for t in live_texts(mem, "alice"))
    assert not any("Delete" in t or "erase" in t for t in live_texts(mem, "alice"))
    assert "Leeds" in ask(bot, "where do I live?")


@pytest.mark.parametrize("request_", ["Actually, don't keep that.", "please don't save that",
                                      "don't write that down", "Do not store this."])
def test_dont_keep_that_forgets_the_last_statement(mem, request_: str) -> None:
    bot = tell(mem, [(0, "I live in Leeds."), (0, "My locker code is 4455.")])
    reply = bot.reply(request_, session_id="s0", at=T0)
    assert reply.forgotten and "4455" in reply.text
    assert not any("4455" in t for t in live_texts(mem, "alice"))
    assert "Leeds" in ask(bot, "where do I live?")


@pytest.mark.parametrize("said", ["don't keep that in mind, I'm fine",
                                  "Don't save that file on the desktop"])
def test_dont_keep_said_of_other_things_is_no_request(mem, said: str) -> None:
    bot = tell(mem, [(0, "My locker code is 4455.")])
    assert not bot.reply(said, session_id="s0", at=T0).forgotten
    assert "4455" in ask(bot, "what is my locker code?")
