"""Questions that name a time ("What did I do last Saturday?") favour the turns whose own
dates are that time: "Last Saturday I went to a wedding" (said 12 January: the 10th) no
longer answers it on 21 January over "This weekend I painted the kitchen" (said on the
19th: the weekend of the 17th), which shares fewer of its words."""

from __future__ import annotations

from datetime import UTC, datetime

from memos import MemOS
from memos.assistant import Assistant, dated_query

WED = datetime(2026, 1, 21, 9, 0, tzinfo=UTC)


def _bot(mem: MemOS) -> Assistant:
    bot = Assistant(mem, "alice", backend="extractive")
    bot.reply("Last Saturday I went to a wedding.", session_id="a",
              at=datetime(2026, 1, 12, 9, 0, tzinfo=UTC))
    bot.reply("This weekend I painted the kitchen.", session_id="b",
              at=datetime(2026, 1, 19, 9, 0, tzinfo=UTC))
    return bot


def test_the_turn_of_the_time_asked_answers(mem: MemOS) -> None:
    bot = _bot(mem)
    for question, event, other in [("What did I do last Saturday?", "kitchen", "wedding"),
                                   ("What did I do last weekend?", "kitchen", "wedding"),
                                   ("What did I do on the weekend of January 10?", "wedding",
                                    "kitchen")]:
        text = bot.reply(question, session_id="q", at=WED).text
        assert event in text and other not in text, (question, text)


def test_relative_dates_are_written_out_for_the_search() -> None:
    assert dated_query("What did I do last Saturday?", WED) == \
        "What did I do last Saturday? (17 January 2026)"
    assert dated_query("Where was I in March 2025?", WED) == "Where was I in March 2025?"
    assert dated_query("Where do I live?", WED) == "Where do I live?"
