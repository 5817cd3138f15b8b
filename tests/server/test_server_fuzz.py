"""A schemathesis pass over /openapi.json against a live server: requests generated from the
schema (valid ones and broken ones) never get a 5xx, and every error is problem details."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable

schemathesis = pytest.importorskip("schemathesis")

EXAMPLES = 3  # per operation and mode: bounded so the pass takes seconds on 2 cores
# The model's endpoints run with a key of their own user, whose few short memories the
# fuzzer cannot add to: their cost is the model's (encoding every memory retrieved), which
# grows with what the fuzzer writes, not a failure mode of the server.
MODEL_PATHS = ("/v1/recall", "/v1/answer")


def _ndjson(ctx: Any, value: Any) -> bytes:
    """Import bodies: a generated string as its bytes (lone surrogates too), anything else
    as JSON."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return json.dumps(value, default=str).encode()


schemathesis.serializer("application/x-ndjson")(_ndjson)


def _check(response: Any) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:500])
    if response.status_code >= 400:
        kind = {k.lower(): v for k, v in response.headers.items()}["content-type"]
        kind = kind[0] if isinstance(kind, list) else kind  # schemathesis: lists of values
        assert kind.startswith("application/problem+json"), kind
        body = response.json()
        assert body["status"] == response.status_code and body["memos_error"]


def test_openapi_fuzz_has_no_server_errors(live: Any, server_mem: Any, http_for: Any) -> None:
    from schemathesis import GenerationMode

    # An admin key of a user with a few memories, so that admin endpoints run for real.
    info, secret = server_mem.create_key("fuzzer", admin=True)
    server_mem.add("fuzzing starts here", "fuzzer")
    headers = {"Authorization": f"Bearer {secret}"}
    reader = {"Authorization": f"Bearer {server_mem.create_key('fuzz-reader')[1]}"}
    for text in ("the reader likes tea", "the reader lives in Oslo"):
        server_mem.add(text, "fuzz-reader")
    raw = http_for(None).get("/openapi.json").json()
    schema = schemathesis.openapi.from_dict(raw)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    calls = 0

    def fuzz(path: str, strategy: Any, examples: int) -> None:
        @settings(max_examples=examples, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate],  # no shrinking: a 5xx is
                  suppress_health_check=list(HealthCheck))  # reported as found
        @given(case=strategy)
        def run(case: Any) -> None:
            nonlocal calls
            if path == "/v1/admin/purge":  # never erase the fuzzing user itself
                if isinstance(case.body, dict) and case.body.get("user_id") == "fuzzer":
                    return
            calls += 1
            _check(case.call(base_url=live.url, timeout=60,
                             headers=reader if path in MODEL_PATHS else headers))

        run()

    for operation in operations:
        examples = 2 if operation.path in MODEL_PATHS else EXAMPLES
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz(operation.path, operation.as_strategy(generation_mode=mode), examples)
            except Unsatisfiable:  # nothing to break in an operation without parameters
                assert mode == GenerationMode.NEGATIVE
    assert calls > len(operations) * 2
    # The key still works after all of it (nothing the fuzzer sent broke the server).
    whoami = http_for(None).get("/v1/whoami", headers=headers)
    assert whoami.status_code == 200 and whoami.json()["key_id"] == info.key_id
