"""mode="llm": facts extracted by any OpenAI-compatible chat endpoint (Ollama, vLLM,
llama.cpp's server, hosted APIs) through the `openai` client.

Configured by MEMOS_LLM_URL (the base URL, e.g. http://localhost:11434/v1), MEMOS_LLM_MODEL
and MEMOS_LLM_KEY (optional for local servers). The user turns go out in chunks; the reply
must be JSON matching `LLMFacts`. It is asked for as structured output (response_format
json_schema); a server that refuses that gets the same request as plain JSON from then on.
Output that does not validate is sent back once with the validation error (one retry); a
chunk that still fails, or a server that cannot be reached, is reported per turn in
`IngestReport.failed` and its turns are stored as episodes all the same. A server that
cannot be reached, refuses the key or does not know the model (or answers something that is
no chat completion) is asked once: the later chunks are reported as not sent. A request
waits at most TIMEOUT_S for each read and has DEADLINE_S in all ($MEMOS_LLM_DEADLINE;
`RequestDeadline`: httpx's timeouts start again with every byte, so a server sending its
answer a byte at a time is cut off then); either ends it as a timeout.

The reply is untrusted: control and bidirectional-override characters are taken out of
every string of a fact, a fact about nobody, about another user's key ("user:bob") or with
an attribute in the conflict policy's own form ("allergy=peanuts") is left out, and a date
after the turn's day is not used (the fact holds from the turn's time).
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import threading
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, ValidationError, field_validator

from memos.cube import MAX_SECONDS, check_seconds, without_controls
from memos.errors import InvalidInputError, NotConfiguredError
from memos.reader.questions import USER_KEY_PREFIX
from memos.reader.rules import Extraction
from memos.reader.vocab import attribute_name, clean_value

if TYPE_CHECKING:
    from memos.reader.ingest import ChatTurn, FactCandidate

log = logging.getLogger(__name__)

CHUNK_TURNS = 16  # user turns per request
TIMEOUT_S = 60.0  # seconds to connect, and between two reads of an answer
DEADLINE_S = 300.0  # seconds one request may take in all ($MEMOS_LLM_DEADLINE)
MAX_FACTS_PER_TURN = 64  # more (after repeats are dropped) is invalid output, not facts
URL_EXAMPLE = "http://localhost:11434/v1"


def check_endpoint_url(url: str, name: str = "MEMOS_LLM_URL") -> str:
    """`url` when it is the http(s) base URL of an endpoint, else InvalidInputError saying
    what to set (a URL that is not one otherwise fails inside the HTTP client)."""
    problem = None
    if not isinstance(url, str) or not url.strip():
        problem = "is empty"
    elif any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in url.strip()):
        problem = "contains spaces or control characters"
    else:
        try:
            parts = urlsplit(url.strip())
            parts.port  # noqa: B018 (reading it checks it)
        except ValueError as exc:
            problem = f"is not a URL ({exc})"
        else:
            if parts.scheme.lower() not in ("http", "https"):
                problem = "does not start with http:// or https://"
            elif not parts.hostname:
                problem = "names no host"
    if problem is not None:
        raise InvalidInputError(f"{name} {url!r:.80} {problem}; set it to the base URL of an "
                                f"OpenAI-compatible endpoint, e.g. {URL_EXAMPLE}")
    return url.strip()


class RequestDeadline:
    """A total time limit for one HTTP request of an openai client whose HTTP client is
    `deadline_http_client()`'s.

    The openai client's `timeout=` is httpx's: it bounds each connect, write and read, and
    starts again with every byte, so a server that trickles bytes (of the headers, of one
    JSON body or event, keep-alive events, or text) would hold a request open for ever. Here
    a timer started with the request (`with RequestDeadline(s):`) shuts its connection down
    `seconds` later: `socket.shutdown` wakes a read that waits and ends every later one,
    whatever the request was reading (a TLS handshake, the headers, the body), and `expired`
    is set, for the caller to report the failure as a timeout. The connection's socket comes
    from the request's `trace` extension (httpx's and httpcore's documented hook), kept as a
    duplicate descriptor until `close`; requests are sent with `Connection: close`, so a
    request's connection is its own and a later request opens (and reports) its own. Only
    requests sent inside `sending()` (on that thread) are under the deadline. `close` (on
    leaving the `with`) cancels the timer and waits for its thread: none is left behind."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self.request: Any = None  # the last HTTP request sent under it
        self._lock = threading.Lock()
        self._closed = False
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.name = "memos-llm-deadline"
        self._timer.daemon = True

    def __enter__(self) -> RequestDeadline:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def sending(self) -> Iterator[None]:
        """The requests the block sends (on this thread) are the ones the deadline ends."""
        token = _SENDING.set(self)
        try:
            yield
        finally:
            _SENDING.reset(token)

    def close(self) -> None:
        """Cancel the timer (its thread ends) and let go of the connections' sockets."""
        self._timer.cancel()
        if self._timer.is_alive():
            self._timer.join()
        with self._lock:
            self._closed = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            sock.close()

    def _expire(self) -> None:
        with self._lock:
            if self._closed:
                return
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def _watch(self, request: Any) -> None:
        """A request hook of the HTTP client: the request is one of this deadline's."""
        request.headers["Connection"] = "close"
        request.extensions["trace"] = self._trace
        self.request = request

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        if not event.endswith((".connect_tcp.complete", ".connect_unix_socket.complete")):
            return
        try:
            sock = info["return_value"].get_extra_info("socket").dup()
        except (AttributeError, KeyError, OSError) as exc:
            log.warning("cannot watch the LLM request's connection (%s): it is bounded by "
                        "the per-read timeout only", exc)
            return
        with self._lock:
            if self._closed:
                sock.close()
                return
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)


_SENDING: ContextVar[RequestDeadline | None] = ContextVar("memos_llm_sending", default=None)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed by the other end
        pass


def _under_deadline(request: Any) -> None:
    deadline = _SENDING.get()
    if deadline is not None:
        deadline._watch(request)


def deadline_http_client() -> Any:
    """The HTTP client to give an openai client (`http_client=`) whose requests a
    `RequestDeadline` can end: the openai package's defaults, and a request hook that puts
    each request sent inside `RequestDeadline.sending()` under that deadline."""
    import openai

    return openai.DefaultHttpxClient(event_hooks={"request": [_under_deadline]})


def deadline_from_env(env: Mapping[str, str] | None = None) -> float:
    """$MEMOS_LLM_DEADLINE, the seconds one LLM request may take in all (the reader's and the
    assistant's), or DEADLINE_S when it is not set."""
    env = os.environ if env is None else env
    raw = (env.get("MEMOS_LLM_DEADLINE") or "").strip()
    if not raw:
        return DEADLINE_S
    try:
        return check_seconds(float(raw), "MEMOS_LLM_DEADLINE")
    except (ValueError, InvalidInputError):
        raise InvalidInputError(f"MEMOS_LLM_DEADLINE must be the seconds one LLM request may "
                                f"take in all, above 0 and at most {MAX_SECONDS:,}, got "
                                f"{raw!r:.40}; unset it for the default ({DEADLINE_S:g} s)"
                                ) from None


def _sendable(text: str) -> str:
    """`text` with lone surrogates replaced: a request body must be UTF-8."""
    return text.encode("utf-8", "replace").decode("utf-8")


class _ReplyError(Exception):
    """The server answered something that is not a chat completion (a web page, a bare
    JSON value): not the model's output, so not sent back as invalid output."""


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
                 timeout: float = TIMEOUT_S, deadline: float = DEADLINE_S,
                 client: Any = None) -> None:
        """`timeout`: seconds to connect and between two reads; `deadline`: seconds one
        request may take in all (its connection is shut down then, however slowly the
        server keeps sending: `RequestDeadline`). `client`: an openai-like client to use
        instead (its own timeouts apply; no deadline is added)."""
        timeout = check_seconds(timeout, "timeout")
        self.deadline: float | None = None
        if client is None:
            url = check_endpoint_url(url)
            try:
                import openai
            except ImportError:
                raise InvalidInputError("mode='llm' needs the openai package: pip install "
                                        "'memos-os[llm]'") from None
            client = openai.OpenAI(base_url=url, api_key=key or "not-needed", timeout=timeout,
                                   max_retries=0, http_client=deadline_http_client())
            self.deadline = check_seconds(deadline, "deadline")
        self.client = client
        self.model = model
        self.url = url
        self.timeout = timeout
        self.structured = True  # cleared when the server refuses response_format

    @classmethod
    def from_env(cls) -> LLMExtractor:
        url, model = os.environ.get("MEMOS_LLM_URL"), os.environ.get("MEMOS_LLM_MODEL")
        if not url or not model:
            raise NotConfiguredError(
                "mode='llm' needs an OpenAI-compatible endpoint: set MEMOS_LLM_URL (e.g. "
                "http://localhost:11434/v1) and MEMOS_LLM_MODEL (and MEMOS_LLM_KEY for hosted "
                "APIs), or use mode='rules'")
        try:
            return cls(url, model, os.environ.get("MEMOS_LLM_KEY"), deadline=deadline_from_env())
        except InvalidInputError as exc:  # a malformed URL or deadline, no openai package:
            raise NotConfiguredError(str(exc)) from None  # the process's settings, as above

    # -- one request -------------------------------------------------------------------

    def _complete(self, messages: list[dict[str, str]]) -> str:
        import openai

        kwargs: dict[str, Any] = {"model": self.model, "messages": messages,
                                  "temperature": 0}
        if self.structured:
            kwargs["response_format"] = {"type": "json_schema", "json_schema": {
                "name": "facts", "schema": LLMFacts.model_json_schema()}}
        try:
            reply = self._create(kwargs)
        except openai.BadRequestError as exc:
            if not self.structured:
                raise
            log.info("%s refused structured output (%s); asking for plain JSON", self.url, exc)
            self.structured = False
            kwargs.pop("response_format")
            reply = self._create(kwargs)
        return self._content(reply)

    def _create(self, kwargs: dict[str, Any]) -> Any:
        """One request; openai.APITimeoutError when it took longer than the timeout in all
        (whatever it then raised or returned: the answer was cut off)."""
        if self.deadline is None:
            return self._send(kwargs)
        import openai

        with RequestDeadline(self.deadline) as deadline:
            try:
                with deadline.sending():
                    reply = self._send(kwargs)
            except Exception as exc:
                if not deadline.expired:
                    raise
                raise openai.APITimeoutError(request=deadline.request) from exc
            if deadline.expired:
                raise openai.APITimeoutError(request=deadline.request)
            return reply

    def _send(self, kwargs: dict[str, Any]) -> Any:
        try:
            return self.client.chat.completions.create(**kwargs)
        except json.JSONDecodeError as exc:  # a body sent as JSON that is not JSON
            raise _ReplyError(f"the server's answer is not a chat completion (its JSON body "
                              f"does not parse: {exc.msg}); check that MEMOS_LLM_URL is the "
                              f"base URL of an OpenAI-compatible API, e.g. {URL_EXAMPLE}"
                              ) from None

    @staticmethod
    def _content(reply: Any) -> str:
        """The text of a chat completion: "" when it has no choice or no content (the model
        said nothing: invalid output, asked again); _ReplyError when it is no chat
        completion at all (a web page at the URL, a bare JSON value, a choice without a
        message)."""
        what = None
        choices = None
        if isinstance(reply, (str, bytes, int, float, list, dict)) or reply is None:
            what = f"it answered {reply!r:.60}"
        else:
            choices = getattr(reply, "choices", None)
            if choices is not None and not isinstance(choices, list):
                what = f"its 'choices' is {choices!r:.40}"
        if what is None and choices:
            message = getattr(choices[0], "message", None)
            content = getattr(message, "content", None)
            if message is None:
                what = "its first choice has no message"
            elif content is not None and not isinstance(content, str):
                what = f"its message content is {content!r:.40}, not text"
            else:
                return content or ""
        if what is not None:
            raise _ReplyError(f"the server's answer is not a chat completion ({what}); "
                              f"check that MEMOS_LLM_URL is the base URL of an "
                              f"OpenAI-compatible API, e.g. {URL_EXAMPLE}")
        return ""

    @staticmethod
    def parse(text: str, allowed_turns: set[int]) -> LLMFacts:
        """The reply as LLMFacts, each fact once; ValueError (with what is wrong) when it is
        not."""
        body = text.strip()
        fenced = re.match(r"^```(?:json)?\s*(.*?)\s*```$", body, re.S)
        if fenced:
            body = fenced.group(1)
        if not body:
            raise ValueError("the reply is empty")
        try:
            data = json.loads(body)
        except json.JSONDecodeError as exc:
            raise ValueError(f"the reply is not JSON ({exc.msg} at {exc.pos})") from None
        except RecursionError:
            raise ValueError("the reply is not JSON this reader takes (nested too deeply)"
                             ) from None
        except ValueError as exc:  # e.g. an integer of thousands of digits
            raise ValueError(f"the reply is not JSON this reader takes ({exc})"[:300]) from None
        try:
            facts = LLMFacts.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            raise ValueError(f"the reply does not match the schema at {where}: "
                             f"{first.get('msg')}") from None
        except RecursionError:
            raise ValueError("the reply does not match the schema (nested too deeply)"
                             ) from None
        bad = sorted({f.turn for f in facts.facts} - allowed_turns)
        if bad:
            raise ValueError(f"facts name turns {bad[:20]} that are not in this request "
                             f"(turns {sorted(allowed_turns)})")
        unique = {json.dumps(f.model_dump(), sort_keys=True): f for f in facts.facts}
        limit = MAX_FACTS_PER_TURN * len(allowed_turns)
        if len(unique) > limit:
            raise ValueError(f"{len(unique)} facts for {len(allowed_turns)} turn(s), over "
                             f"{MAX_FACTS_PER_TURN} per turn; list each stated fact once")
        return LLMFacts(facts=list(unique.values()))

    def _chunk(self, turns: Sequence[ChatTurn],
               speakers: Sequence[tuple[str, str | None]]) -> LLMFacts:
        # One line per turn: a turn's own line breaks must not start a line that reads as
        # another (numbered) turn of the request.
        lines = [f"[{t.index}] {t.at.date().isoformat()} {speakers[t.index][0]}: "
                 f"{' '.join(t.content.split())}" for t in turns]
        messages = [{"role": "system", "content": SYSTEM_PROMPT},
                    {"role": "user", "content": "\n".join(lines)}]
        allowed = {t.index for t in turns}
        reply = self._complete(messages)
        try:
            return self.parse(reply, allowed)
        except ValueError as exc:  # one retry, told what was wrong
            log.info("invalid LLM output (%s); retrying once", exc)
            messages += [{"role": "assistant", "content": _sendable(reply[:4000])},
                         {"role": "user", "content": f"That was invalid: {exc}. Answer again "
                          f"with JSON matching the schema only."}]
            return self.parse(self._complete(messages), allowed)

    # -- the reader's call -----------------------------------------------------------------

    def extract_turns(self, turns: Sequence[ChatTurn],
                      speakers: Sequence[tuple[str, str | None]]
                      ) -> tuple[list[FactCandidate], list[tuple[int, str]]]:
        """Facts of the turns whose speaker has a key (user turns); (turn, error) for every
        turn of a chunk that failed. After a failure that the next chunk would meet too (no
        connection, a refused key, an unknown model or URL, an answer that is no chat
        completion), the later chunks are not sent: their turns are reported with it."""
        import openai

        from memos.reader.ingest import FactCandidate

        todo = [t for t in turns if speakers[t.index][1] is not None]
        said = {t.index: t.at.date() for t in turns}
        out: list[FactCandidate] = []
        failed: list[tuple[int, str]] = []
        stop: str | None = None
        for lo in range(0, len(todo), CHUNK_TURNS):
            chunk = todo[lo:lo + CHUNK_TURNS]
            if stop is not None:
                failed.extend((t.index, f"not sent: {stop}") for t in chunk)
                continue
            try:
                facts = self._chunk(chunk, speakers)
            except ValueError as exc:
                failed.extend((t.index, f"invalid output twice: {exc}") for t in chunk)
                continue
            except _ReplyError as exc:
                stop = str(exc)
                failed.extend((t.index, stop) for t in chunk)
                continue
            except openai.OpenAIError as exc:
                error, fatal = self.describe(exc)
                failed.extend((t.index, error) for t in chunk)
                if fatal:
                    stop = error
                continue
            for fact in facts.facts:
                ext = self._extraction(fact, *speakers[fact.turn], said=said.get(fact.turn))
                if ext is not None:
                    out.append(FactCandidate(fact.turn, ext))
        return out, failed

    def describe(self, exc: Exception) -> tuple[str, bool]:
        """What failed and what to do about it, and whether the next request would fail the
        same way (nothing more is then sent)."""
        import openai

        what = f"{type(exc).__name__}: {exc}"[:300]
        again = "; then ingest the session again to read the facts of its turns"
        if isinstance(exc, openai.APITimeoutError):
            limit = (f"{self.deadline:g} s in all (MEMOS_LLM_DEADLINE) or "
                     if self.deadline is not None else "")
            return (f"{what} (no complete answer from {self.url} within {limit}"
                    f"{self.timeout:g} s between two reads); check that the server is running "
                    f"and not overloaded and MEMOS_LLM_URL is its base URL, e.g. "
                    f"{URL_EXAMPLE}{again}", True)
        if isinstance(exc, openai.APIConnectionError):
            return (f"{what} (no answer from {self.url}); check that the server is running "
                    f"and MEMOS_LLM_URL is its base URL, e.g. {URL_EXAMPLE}{again}", True)
        if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
            return (f"{what}; the server refused the key: check MEMOS_LLM_KEY{again}", True)
        if isinstance(exc, openai.NotFoundError):
            return (f"{what}; check MEMOS_LLM_MODEL ({self.model!r:.60}: a model the server "
                    f"serves) and MEMOS_LLM_URL (the API's base URL, e.g. {URL_EXAMPLE})"
                    f"{again}", True)
        return f"{what}; the server failed: ingest the session again later to read the " \
            f"facts of its turns", False

    @staticmethod
    def _extraction(fact: LLMFact, speaker: str, key: str | None,
                    said: date | None = None) -> Extraction | None:
        """The fact as the reader writes it, or None when it is not one (see the module
        doc). `said`: the day of the turn."""
        if key is None:
            return None
        about = clean_value(without_controls(fact.about))
        if not about:
            return None
        if about.lower() in ("speaker", "i", "me", "user", "self", speaker.lower(),
                             key.lower()):
            subject, subject_key = speaker, key
        elif about.lower().startswith(USER_KEY_PREFIX):
            return None  # another user's key: not a person this conversation names
        else:
            subject, subject_key = about, about
        attribute, value = attribute_name(without_controls(fact.attribute)), clean_value(without_controls(fact.value))
        if not attribute or not value or "=" in attribute:
            return None  # "allergy=peanuts" is the conflict policy's key of another fact
        when = date.fromisoformat(fact.date) if fact.date else None
        if when is not None and said is not None and when > said + timedelta(days=1):
            when = None  # a fact stated as true now did not begin after the turn
        kind = "preference" if attribute in ("likes", "dislikes", "preference") \
            else fact.kind
        return Extraction(subject, subject_key, attribute, value, "llm", fact.negated, when,
                          kind=kind)


__all__ = ["DEADLINE_S", "LLMExtractor", "LLMFact", "LLMFacts", "RequestDeadline",
           "SYSTEM_PROMPT", "check_endpoint_url", "deadline_from_env",
           "deadline_http_client"]
