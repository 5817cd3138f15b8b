"""mode="llm": facts extracted by any OpenAI-compatible chat endpoint (Ollama, vLLM,
llama.cpp's server, hosted APIs) through the `openai` client.

Configured by MEMOS_LLM_URL (the base URL, e.g. http://localhost:11434/v1), MEMOS_LLM_MODEL
and MEMOS_LLM_KEY (optional for local servers). The user turns go out in chunks; the reply
must be JSON matching `LLMFacts`. It is asked for as structured output (response_format
json_schema); a server that refuses that gets the same request as plain JSON from then on.
Output that does not validate is sent back once with the validation error (one retry); a
chunk that still fails, or a server that cannot be reached, is reported per turn in
`IngestReport.failed` and its turns are stored as episodes all the same.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from memos.errors import InvalidInputError
from memos.reader.rules import Extraction
from memos.reader.vocab import attribute_name, clean_value

if TYPE_CHECKING:
    from memos.reader.ingest import ChatTurn, FactCandidate

log = logging.getLogger(__name__)

CHUNK_TURNS = 16  # user turns per request
TIMEOUT_S = 60.0


class LLMFact(BaseModel):
    """One fact as the model must write it."""

    turn: int = Field(description="index of the turn that states the fact")
    about: str = Field(min_length=1, max_length=64,
                       description="'speaker' for the speaker's own facts, else the person's name")
    attribute: str = Field(min_length=1, max_length=64)
    value: str = Field(min_length=1, max_length=64)
    negated: bool = Field(default=False,
                          description="true when the turn says the fact is no longer true")
    kind: Literal["fact", "preference"] = "fact"
    date: str | None = Field(default=None, description="YYYY-MM-DD when the turn dates it")

    @field_validator("date")
    @classmethod
    def _iso_date(cls, value: str | None) -> str | None:
        if value is not None:
            date.fromisoformat(value)
        return value


class LLMFacts(BaseModel):
    facts: list[LLMFact]


SYSTEM_PROMPT = """You extract durable personal facts from a conversation for a memory store.
For each numbered turn, list facts the speaker states about themself or about a named person:
where they live, work, their job, allergies, preferences, likes and dislikes, names of
relatives and pets, birthdays, phone numbers, addresses, ages, home towns.
Rules: only facts stated as true now (no questions, plans, wishes or hypotheticals);
`about` is "speaker" for the speaker's own facts, else the person's name; `attribute` is a
short lowercase noun ("city", "employer", "job", "allergy", "sister's name", "favorite
color", "likes", "dislikes", "preference"); `value` is the shortest exact words;
`negated` is true when the turn says a fact is no longer true ("I'm not allergic to
peanuts any more": attribute allergy, value peanuts, negated true); `date` is the date the
turn gives for the fact, resolved against the turn's date, or null.
Answer with JSON only: {"facts": [{"turn": 0, "about": "speaker", "attribute": "city",
"value": "Lisbon", "negated": false, "kind": "fact", "date": null}]}. No facts: {"facts": []}."""


class LLMExtractor:
    """An OpenAI-compatible endpoint that turns turns into facts (see the module doc)."""

    def __init__(self, url: str, model: str, key: str | None = None, *,
                 timeout: float = TIMEOUT_S, client: Any = None) -> None:
        if client is None:
            try:
                import openai
            except ImportError:
                raise InvalidInputError("mode='llm' needs the openai package: pip install "
                                        "'memos-os[llm]'") from None
            client = openai.OpenAI(base_url=url, api_key=key or "not-needed", timeout=timeout,
                                   max_retries=0)
        self.client = client
        self.model = model
        self.url = url
        self.structured = True  # cleared when the server refuses response_format

    @classmethod
    def from_env(cls) -> LLMExtractor:
        url, model = os.environ.get("MEMOS_LLM_URL"), os.environ.get("MEMOS_LLM_MODEL")
        if not url or not model:
            raise InvalidInputError(
                "mode='llm' needs an OpenAI-compatible endpoint: set MEMOS_LLM_URL (e.g. "
                "http://localhost:11434/v1) and MEMOS_LLM_MODEL (and MEMOS_LLM_KEY for hosted "
                "APIs), or use mode='rules'")
        return cls(url, model, os.environ.get("MEMOS_LLM_KEY"))

    # -- one request -------------------------------------------------------------------

    def _complete(self, messages: list[dict[str, str]]) -> str:
        import openai

        kwargs: dict[str, Any] = {"model": self.model, "messages": messages,
                                  "temperature": 0}
        if self.structured:
            kwargs["response_format"] = {"type": "json_schema", "json_schema": {
                "name": "facts", "schema": LLMFacts.model_json_schema()}}
        try:
            reply = self.client.chat.completions.create(**kwargs)
        except openai.BadRequestError as exc:
            if not self.structured:
                raise
            log.info("%s refused structured output (%s); asking for plain JSON", self.url, exc)
            self.structured = False
            kwargs.pop("response_format")
            reply = self.client.chat.completions.create(**kwargs)
        content = reply.choices[0].message.content if reply.choices else None
        return content or ""

    @staticmethod
    def parse(text: str, allowed_turns: set[int]) -> LLMFacts:
        """The reply as LLMFacts; ValueError (with what is wrong) when it is not."""
        body = text.strip()
        fenced = re.match(r"^```(?:json)?\s*(.*?)\s*```$", body, re.S)
        if fenced:
            body = fenced.group(1)
        try:
            data = json.loads(body)
        except json.JSONDecodeError as exc:
            raise ValueError(f"the reply is not JSON ({exc.msg} at {exc.pos})") from None
        try:
            facts = LLMFacts.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            raise ValueError(f"the reply does not match the schema at {where}: "
                             f"{first.get('msg')}") from None
        bad = sorted({f.turn for f in facts.facts} - allowed_turns)
        if bad:
            raise ValueError(f"facts name turns {bad} that are not in this request "
                             f"(turns {sorted(allowed_turns)})")
        return facts

    def _chunk(self, turns: Sequence[ChatTurn],
               speakers: Sequence[tuple[str, str | None]]) -> LLMFacts:
        lines = [f"[{t.index}] {t.at.date().isoformat()} {speakers[t.index][0]}: {t.content}"
                 for t in turns]
        messages = [{"role": "system", "content": SYSTEM_PROMPT},
                    {"role": "user", "content": "\n".join(lines)}]
        allowed = {t.index for t in turns}
        reply = self._complete(messages)
        try:
            return self.parse(reply, allowed)
        except ValueError as exc:  # one retry, told what was wrong
            log.info("invalid LLM output (%s); retrying once", exc)
            messages += [{"role": "assistant", "content": reply[:4000]},
                         {"role": "user", "content": f"That was invalid: {exc}. Answer again "
                          f"with JSON matching the schema only."}]
            return self.parse(self._complete(messages), allowed)

    # -- the reader's call -----------------------------------------------------------------

    def extract_turns(self, turns: Sequence[ChatTurn],
                      speakers: Sequence[tuple[str, str | None]]
                      ) -> tuple[list[FactCandidate], list[tuple[int, str]]]:
        """Facts of the turns whose speaker has a key (user turns); (turn, error) for every
        turn of a chunk that failed."""
        import openai

        from memos.reader.ingest import FactCandidate

        todo = [t for t in turns if speakers[t.index][1] is not None]
        out: list[FactCandidate] = []
        failed: list[tuple[int, str]] = []
        for lo in range(0, len(todo), CHUNK_TURNS):
            chunk = todo[lo:lo + CHUNK_TURNS]
            try:
                facts = self._chunk(chunk, speakers)
            except ValueError as exc:
                failed.extend((t.index, f"invalid output twice: {exc}") for t in chunk)
                continue
            except openai.OpenAIError as exc:
                failed.extend((t.index, f"{type(exc).__name__}: {exc}"[:500]) for t in chunk)
                continue
            for fact in facts.facts:
                ext = self._extraction(fact, *speakers[fact.turn])
                if ext is not None:
                    out.append(FactCandidate(fact.turn, ext))
        return out, failed

    @staticmethod
    def _extraction(fact: LLMFact, speaker: str, key: str | None) -> Extraction | None:
        if key is None:
            return None
        about = clean_value(fact.about)
        if about.lower() in ("speaker", "i", "me", "user", "self", speaker.lower()):
            subject, subject_key = speaker, key
        else:
            subject, subject_key = about, about
        attribute, value = attribute_name(fact.attribute), clean_value(fact.value)
        if not attribute or not value:
            return None
        when = date.fromisoformat(fact.date) if fact.date else None
        kind = "preference" if attribute in ("likes", "dislikes", "preference") \
            else fact.kind
        return Extraction(subject, subject_key, attribute, value, "llm", fact.negated, when,
                          kind=kind)


__all__ = ["LLMExtractor", "LLMFact", "LLMFacts", "SYSTEM_PROMPT"]
