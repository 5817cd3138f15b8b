"""`memos serve --workers N`: N server processes on one port, each with its own store handle.

A Python process serves one request at a time however many cores the machine has (the GIL),
so `serve` starts N worker processes. On Linux `serve_workers` supervises them and each
listens on a socket of its own for the port (SO_REUSEPORT: the kernel spreads connections
over the workers); elsewhere uvicorn's supervisor starts them on one shared socket. Each
opens the store itself through `worker_app`, the factory uvicorn imports in every worker:
the store, the auth mode and the body limit come from one environment variable the `serve`
command sets before starting them. Several processes on one store is a supported setup (the
changelog orders their writes; each catches its indexes up before it reads), so the workers
need nothing more to agree.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from multiprocessing.connection import wait as wait_for_any
from typing import Any

from memos.errors import StoreError

ENV = "MEMOS_SERVE_WORKER"
log = logging.getLogger(__name__)


def worker_spec(store: str | None, index_dir: str | None, *, auth: bool, max_body_bytes: int,
                user: str | None, agent: str | None,
                search_concurrency: int | str | None = "auto", workers: int = 1) -> str:
    """What each worker needs to open the same store the same way, as the ENV value."""
    return json.dumps({"store": store, "index_dir": index_dir, "auth": auth,
                       "max_body_bytes": max_body_bytes, "user": user, "agent": agent,
                       "search_concurrency": search_concurrency, "workers": workers})


def worker_app() -> Any:
    """The app of one worker process (uvicorn calls this with factory=True)."""
    from memos.facade import MemOS
    from memos.parts import auto_search_limit
    from memos.server.app import create_app

    raw = os.environ.get(ENV)
    if not raw:
        raise StoreError(f"{ENV} is not set: start workers with `memos serve --workers N`")
    spec = json.loads(raw)
    mem = MemOS.open(spec["store"], index_dir=spec["index_dir"], create=False)
    concurrency = spec.get("search_concurrency", "auto")
    if concurrency == "auto":  # the cores shared among the workers: searches of several
        # processes running at once on one core only wait for each other there
        concurrency = auto_search_limit(mem.backend, int(spec.get("workers", 1)))
    mem.config.retrieval.search_concurrency = concurrency
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




# -- the supervisor ----------------------------------------------------------------------

STOP_WAIT_S = 30.0  # how long a stop waits for the workers to close their stores
RESTARTS_PER_MINUTE = 5  # more deaths of ready workers than this in a minute stop the server


def spread_by_kernel() -> bool:
    """True where each worker can listen on a socket of its own for one port and the kernel
    spreads new connections over them (Linux SO_REUSEPORT)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int) -> socket.socket:
    """A listening socket for host:port that other workers' sockets may share (SO_REUSEPORT):
    the kernel gives each new connection to one of them, by a hash of its addresses."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def die_with_parent() -> None:  # pragma: no cover - runs in a child process
    """Linux: this process gets SIGTERM when its parent dies, however it dies
    (PR_SET_PDEATHSIG); a no-op elsewhere. Also a subprocess preexec_fn (memos bench
    serve's server)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _leave(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _worker_main(host: str, port: int, spec: str, parent: int,
                 ready: Any) -> None:  # pragma: no cover - runs in a child process
    """One worker process: its app, then its own socket on the shared port (`ready` set),
    then uvicorn until a signal.

    uvicorn stops gracefully on SIGINT / SIGTERM (the app's lifespan closes the store) and
    then raises the signal again under the handler that was there before: this one, a
    clean exit instead of a KeyboardInterrupt traceback. A supervisor killed outright
    (SIGKILL) sends SIGTERM to its workers through the kernel (PR_SET_PDEATHSIG), so none
    is left holding the port. A memos error while starting is printed as one line and
    ends the worker with that error's exit code."""
    import uvicorn

    from memos.errors import MemosError

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _leave)
    die_with_parent()
    if os.getppid() != parent:  # the supervisor died before the line above
        return
    os.environ[ENV] = spec
    config = uvicorn.Config("memos.server.workers:worker_app", factory=True,
                            log_level="warning", access_log=False)
    try:
        config.load()  # the app (store opened, in-memory indexes warmed) before the socket:
        # the kernel gives connections only to workers that listen, so none waits on a start
    except MemosError as exc:
        print(f"memos serve worker: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(exc.exit_code) from None
    try:
        sock = listening_socket(host, port)
    except OSError as exc:
        print(f"memos serve worker: cannot listen on {host}:{port} "
              f"({exc.strerror or exc})", file=sys.stderr, flush=True)
        raise SystemExit(1) from None
    ready.set()
    uvicorn.Server(config).run(sockets=[sock])


def _port_lock(port: int) -> socket.socket:
    """Held while a supervisor runs: a second `memos serve --workers` on the same port
    (whose workers could join this one's SO_REUSEPORT group while either is starting)
    stops instead. An abstract Unix socket: the kernel frees it when the process ends."""
    lock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        lock.bind(f"\0memos-serve-port-{port}")
    except OSError:
        lock.close()
        raise StoreError(f"another memos serve is starting or running on port {port}; stop "
                         f"it or pass another --port") from None
    return lock


def serve_workers(workers: int, host: str, port: int, spec: str) -> None:
    """Run `workers` server processes on host:port until SIGINT or SIGTERM (Linux).

    Each worker listens on a socket of its own bound with SO_REUSEPORT, so the kernel spreads
    the connections over the workers. With one shared socket (uvicorn's supervisor) the
    worker that wakes first accepts every connection of a burst, and clients that keep
    their connections open (HTTP keep-alive) may all end up on one process while the others
    idle. A worker that ends before it is ready (app loaded, socket open) failed to start:
    the server stops with a StoreError. A ready worker that dies is started again, up to
    RESTARTS_PER_MINUTE times a minute."""
    context = multiprocessing.get_context("spawn")
    procs: list[tuple[Any, Any]] = []  # (process, its ready event)
    deaths: list[float] = []
    lock = _port_lock(port)
    previous = signal.getsignal(signal.SIGINT)

    def start() -> tuple[Any, Any]:
        ready = context.Event()
        proc = context.Process(target=_worker_main, name="memos-worker", daemon=False,
                               args=(host, port, spec, os.getpid(), ready))
        proc.start()
        return proc, ready

    try:
        # Ctrl-C / SIGINT stops the server even where it was started with SIGINT ignored
        # (a background job of a non-interactive shell): as uvicorn's own supervisor does.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for _ in range(workers):
            procs.append(start())
        while True:
            wait_for_any([p.sentinel for p, _ in procs], timeout=1.0)
            for i, (proc, ready) in enumerate(procs):
                if proc.is_alive():
                    continue
                if not ready.is_set():
                    raise StoreError(f"a server worker could not start (exit code "
                                     f"{proc.exitcode}; its message is above); fix that and "
                                     "start `memos serve` again")
                now = time.monotonic()
                deaths[:] = [t for t in deaths if now - t < 60.0] + [now]
                if len(deaths) > RESTARTS_PER_MINUTE:
                    raise StoreError(f"server workers died {len(deaths)} times within a "
                                     "minute (the last with exit code "
                                     f"{proc.exitcode}); see the messages above")
                log.warning("server worker %s exited with code %s; starting another",
                            proc.pid, proc.exitcode)
                procs[i] = start()
    except KeyboardInterrupt:  # Ctrl-C: the workers got it too and are stopping
        pass
    finally:
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C: still wait
            _stop(p for p, _ in procs)
        finally:
            lock.close()
            signal.signal(signal.SIGINT, previous)


def _stop(procs: Iterable[Any]) -> None:
    """SIGTERM each live worker (each closes its store), then wait; kill what is left."""
    procs = list(procs)
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    deadline = time.monotonic() + STOP_WAIT_S
    for proc in procs:
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            log.warning("server worker %s did not stop within %.0f s; killing it", proc.pid,
                        STOP_WAIT_S)
            proc.kill()
            proc.join()


__all__ = ["ENV", "die_with_parent", "listening_socket", "serve_workers", "spread_by_kernel",
           "worker_app", "worker_spec"]
