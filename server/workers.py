"""`memos serve --workers N`: N server processes on one port, each with its own store handle.

A Python process serves one request at a time however many cores the machine has (the GIL);
uvicorn's supervisor starts N worker processes that share the listening socket. Each opens
the store itself through `worker_app`, the factory uvicorn imports in every worker: the
store, the auth mode and the body limit come from one environment variable the `serve`
command sets before starting them. Several processes on one store is a supported setup (the
changelog orders their writes; each catches its indexes up before it reads), so the workers
need nothing more to agree.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from memos.errors import StoreError

ENV = "MEMOS_SERVE_WORKER"


def worker_spec(store: str | None, index_dir: str | None, *, auth: bool, max_body_bytes: int,
                user: str | None, agent: str | None,
                search_concurrency: int | str | None = "auto") -> str:
    """What each worker needs to open the same store the same way, as the ENV value."""
    return json.dumps({"store": store, "index_dir": index_dir, "auth": auth,
                       "max_body_bytes": max_body_bytes, "user": user, "agent": agent,
                       "search_concurrency": search_concurrency})


def worker_app() -> Any:
    """The app of one worker process (uvicorn calls this with factory=True)."""
    from memos.facade import MemOS
    from memos.server.app import create_app

    raw = os.environ.get(ENV)
    if not raw:
        raise StoreError(f"{ENV} is not set: start workers with `memos serve --workers N`")
    spec = json.loads(raw)
    mem = MemOS.open(spec["store"], index_dir=spec["index_dir"], create=False)
    mem.config.retrieval.search_concurrency = spec.get("search_concurrency", "auto")
    scope = None if spec["auth"] else {"user_id": spec["user"], "agent_id": spec["agent"]}
    try:
        app = create_app(mem, auth=spec["auth"], max_body_bytes=spec["max_body_bytes"],
                         default_scope=scope)
    except BaseException:
        mem.close()
        raise
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(asgi_app: Any) -> AsyncIterator[Any]:
        try:
            async with inner(asgi_app) as state:
                yield state
        finally:
            mem.close()  # the FAISS files and access counts, as a one-process server does

    app.router.lifespan_context = lifespan
    return app


__all__ = ["ENV", "worker_app", "worker_spec"]
