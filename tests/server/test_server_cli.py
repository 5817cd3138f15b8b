"""`memos keys create | list | revoke` and `memos serve` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from memos.cli.app import main

    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("command", [("serve",), ("keys", "create"), ("keys", "list"),
                                     ("keys", "revoke")])
def test_help_teaches_an_example(capsys: Any, command: tuple[str, ...]) -> None:
    code, out, _ = run(capsys, *command, "--help")
    assert code == 0 and "Example:" in out and f"memos {' '.join(command)}" in out


def test_keys_create_list_revoke(capsys: Any, tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    assert run(capsys, "init", "--store", store)[0] == 0
    code, out, err = run(capsys, "keys", "create", "--user", "alice", "--agent", "a1",
                         "--admin", "--store", store, "--json")
    assert code == 0, err
    made = json.loads(out)
    assert made["secret"].startswith("memos-" + made["key"]["key_id"])
    assert made["key"] | {"created_at": None} == {
        "key_id": made["key"]["key_id"], "user_id": "alice", "agent_id": "a1", "admin": True,
        "created_at": None, "revoked_at": None}
    code, out, _ = run(capsys, "keys", "create", "-u", "bob", "--store", store)
    assert code == 0 and "shown only now" in out and "memos-k" in out

    listed = json.loads(run(capsys, "keys", "list", "--store", store, "--json")[1])
    assert {k["user_id"] for k in listed} == {"alice", "bob"}
    assert all("secret" not in k for k in listed) and made["secret"] not in json.dumps(listed)
    only = json.loads(run(capsys, "keys", "list", "-u", "bob", "--store", store, "--json")[1])
    assert [k["user_id"] for k in only] == ["bob"]

    key_id = made["key"]["key_id"]
    code, out, _ = run(capsys, "keys", "revoke", key_id, "--store", store, "--json")
    assert code == 0 and json.loads(out)["revoked_at"] is not None
    code, _, err = run(capsys, "keys", "revoke", "k000000000000", "--store", store)
    assert code == 1 and "no API key" in err and "Traceback" not in err
    code, _, err = run(capsys, "keys", "create", "--store", store)
    assert code == 2 and "--user" in err


def test_serve_refuses_no_auth_off_loopback(capsys: Any, tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    run(capsys, "init", "--store", store)
    code, _, err = run(capsys, "serve", "--no-auth", "--user", "dev", "--host", "0.0.0.0",
                       "--store", store)
    assert code == 2 and "loopback only" in err
    code, _, err = run(capsys, "serve", "--no-auth", "--store", store)
    assert code == 2 and "--user" in err
    code, _, err = run(capsys, "serve", "--user", "dev", "--store", store)
    assert code == 2 and "--no-auth" in err
    code, _, err = run(capsys, "serve", "--store", str(tmp_path / "missing"))
    assert code == 1 and "memos init" in err


def test_serve_no_auth_says_so_and_serves_the_user(capsys: Any, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The real command up to uvicorn, whose run() here answers one request in-process
    (a subprocess `memos serve` is tested in test_server_concurrency.py)."""
    import uvicorn
    from fastapi.testclient import TestClient

    from memos.server.protocol import CorkedHttpProtocol

    store = str(tmp_path / "store")
    run(capsys, "init", "--store", store)
    seen: dict[str, Any] = {}

    def fake_run(app: Any, host: str, port: int, **options: Any) -> None:
        seen.update(host=host, port=port, http=options.get("http"))
        with TestClient(app, base_url=f"http://127.0.0.1:{port}") as client:
            seen["added"] = client.post("/v1/memories", json={"content": "a local note"}).json()

    monkeypatch.setattr(uvicorn, "run", fake_run)
    code, _, err = run(capsys, "serve", "--no-auth", "--user", "dev", "--port", "8765",
                       "--store", store)
    assert code == 0, err
    assert "auth is OFF" in err and "dev" in err and "loopback" in err
    assert (seen["host"], seen["port"]) == ("127.0.0.1", 8765)
    assert seen["http"] is CorkedHttpProtocol  # a response's writes leave together
    assert seen["added"]["cube"]["scope"]["user_id"] == "dev"
    code, _, err = run(capsys, "serve", "--port", "8765", "--store", store)
    assert code == 0 and "no API key yet" in err


def test_workers_serve_through_the_one_write_protocol_on_asyncios_loop() -> None:
    """Each worker of `memos serve --workers N` speaks HTTP through server/protocol.py (a
    response in one write) on asyncio's own loop, as one `memos serve` process does."""
    from memos.server.protocol import CorkedHttpProtocol
    from memos.server.workers import worker_config

    config = worker_config()
    assert config.http is CorkedHttpProtocol and config.loop == "asyncio"


def test_serve_search_concurrency_reaches_the_store(capsys: Any, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """--search-concurrency sets RetrievalConfig.search_concurrency of the served store, in
    one process and in every worker; a bad value stops before anything listens."""
    import uvicorn

    from memos.server.workers import ENV, worker_app, worker_spec

    store = str(tmp_path / "store")
    run(capsys, "init", "--store", store)
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(
        limit=app.state.mem.config.retrieval.search_concurrency, loop=kw.get("loop")))
    from memos.parts import auto_search_limit

    for given, limit in (("1", 1), ("auto", "auto"), ("None", None), (" 3 ", 3)):
        code, _, err = run(capsys, "serve", "--search-concurrency", given, "--store", store)
        assert code == 0 and seen["limit"] == limit, err
        # one search at a time runs on the event loop: asyncio's, which takes turns fairly
        one = (auto_search_limit("sqlite") if limit == "auto" else limit) == 1
        assert seen["loop"] == ("asyncio" if one else "auto")
    for bad in ("0", "-2", "many", "1.5", ""):
        seen.clear()
        code, _, err = run(capsys, "serve", "--search-concurrency", bad, "--store", store)
        assert code == 2 and "--search-concurrency takes auto" in err and not seen
    from memos.parts import CORES

    # In a worker: a number as given; "auto" shares the cores among the workers.
    for given, workers, limit in ((2, 1, 2), (2, 4, 2), ("auto", 1, CORES),
                                  ("auto", 2, max(1, CORES // 2)), ("auto", 64, 1),
                                  (None, 2, None)):
        monkeypatch.setenv(ENV, worker_spec(store, None, auth=True, max_body_bytes=1024,
                                            user=None, agent=None, search_concurrency=given,
                                            workers=workers))
        app = worker_app()
        try:
            assert app.state.mem.config.retrieval.search_concurrency == limit
            assert app.state.mem._store.search_limit() == limit
        finally:
            app.state.mem.close()
