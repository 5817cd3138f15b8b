"""What a fresh-eyes user of the assistant found (session 47):

- A relative's age kept counting past their death: "my dad is 80", then "my dad passed
  away", asked a year later: "about 81 now"; with a birthday stored, "Your father's age is
  85 (born 3 May 1940)" after "My dad died in 2010"."""

from __future__ import annotations

from memos import MemOS
from tests.assistant.helpers import ask, tell


def test_no_age_counted_past_a_death(mem: MemOS) -> None:
    bot = tell(mem, [(0, "My dad is 80."), (0, "my mum is 78"), (100, "My dad passed away.")])
    assert ask(bot, "how old is my dad?", day=800) == (
        "Your father's age was 80 when you told me on 2 March 2026; you told me your father "
        "died (on 10 June 2026: \"My dad passed away.\").")
    # a death told soon after: nothing to count yet, the death is said all the same
    assert "died" in ask(bot, "how old is my dad?", day=120)
    assert ask(bot, "how old is my mum?", day=800).endswith("so it is about 80 now.")


def test_no_age_from_a_birthday_past_a_death(mem: MemOS) -> None:
    bot = tell(mem, [(0, "My dad Frank was born on 3 May 1940."), (0, "My dad died in 2010."),
                     (0, "My mum was born on 3 May 1950.")])
    said = ask(bot, "how old is my dad?")
    assert said.startswith("You told me your father died (on 2 March 2026: ")
    assert said.endswith("born 3 May 1940.") and "85" not in said
    assert ask(bot, "how old is my mum?") == "Your mother's age is 76 (born 3 May 1950)."
