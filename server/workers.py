"""`memos serve --workers N`: N server processes on one port, each with its own store handle.

A Python process serves one request at a time however many cores the machine has (the GIL),
so `serve` starts N worker processes. On Linux `serve_workers` supervises them: it listens on
the port itself and hands each accepted connection to the next ready worker in turn (the
file descriptor passed over a Unix socket, as Node's cluster module does by default), so
kept-alive connections are shared evenly among the workers. Elsewhere uvicorn's supervisor
starts them on one shared socket. Each opens the store itself through `worker_app`, the
factory uvicorn imports in every worker: the store, the auth mode and the body limit come
from one environment variable the `serve` command sets before starting them. Several
processes on one store is a supported setup (the changelog orders their writes; each
catches its indexes up before it reads), so the workers need nothing more to agree.
"""

from __future__ import annotations

import errno
import json
import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterable
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


def hands_off_connections() -> bool:
    """True where `serve_workers` runs the workers: it accepts the connections and passes
    each to a worker over a Unix socket (SCM_RIGHTS on an AF_UNIX SOCK_SEQPACKET pair),
    which Linux has."""
    return sys.platform.startswith("linux") and hasattr(socket, "send_fds") and hasattr(
        socket, "SOCK_SEQPACKET")


def listening_socket(host: str, port: int) -> socket.socket:
    """The supervisor's listening socket for host:port; StoreError when it is taken (by
    another `memos serve`, or anything else)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise StoreError(f"cannot listen on {host}:{port} ({exc.strerror or exc}): another "
                         f"memos serve or program may hold it; stop it or pass another "
                         f"--port") from None
    sock.setblocking(False)
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


def _worker_main(channel: socket.socket, spec: str,
                 parent: int) -> None:  # pragma: no cover - runs in a child process
    """One worker process: its app, then uvicorn serving the connections the supervisor
    hands over on `channel` (READY sent there once uvicorn has started: app loaded, its
    lifespan started), until a signal.

    uvicorn stops gracefully on SIGINT / SIGTERM (the app's lifespan closes the store) and
    then raises the signal again under the handler that was there before: this one, a
    clean exit instead of a KeyboardInterrupt traceback. A supervisor killed outright
    (SIGKILL) sends SIGTERM to its workers through the kernel (PR_SET_PDEATHSIG), and its
    end of the channel closes, which stops the worker too. A memos error while starting is
    printed as one line and ends the worker with that error's exit code."""
    from memos.errors import MemosError

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _leave)
    die_with_parent()
    if os.getppid() != parent:  # the supervisor died before the line above
        return
    os.environ[ENV] = spec
    config = worker_config()
    try:
        config.load()  # the app (store opened, in-memory indexes warmed) before any
        # connection comes: the supervisor hands connections only to ready workers
    except MemosError as exc:
        print(f"memos serve worker: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(exc.exit_code) from None
    _handed_server_class()(config, channel).run(sockets=[])


READY = b"ready"  # a worker's one message to the supervisor, once it serves


def worker_config() -> Any:
    """The uvicorn.Config a worker serves with (its app: `worker_app`)."""
    import uvicorn

    from memos.server.protocol import CorkedHttpProtocol

    # asyncio's own loop, not uvloop: a worker runs its searches on the loop (search_limit
    # 1), and in development runs uvloop served one worker's kept-alive connections
    # unevenly for as long as a run lasted; asyncio's loop served them in turn. HTTP through
    # server/protocol.py: a response's headers and body in one write.
    return uvicorn.Config("memos.server.workers:worker_app", factory=True, loop="asyncio",
                          http=CorkedHttpProtocol, log_level="warning", access_log=False)


def _handed_server_class() -> type:
    """uvicorn.Server serving connections handed over on a Unix socket instead of its own
    listening socket (made on first use: uvicorn loads only in a server)."""
    import asyncio

    import uvicorn

    class HandedServer(uvicorn.Server):
        def __init__(self, config: Any, channel: socket.socket) -> None:
            super().__init__(config)
            self.channel = channel
            self.connecting: set[asyncio.Task[Any]] = set()

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=[])  # no socket of its own
            if self.should_exit:
                return
            config, state, loop = self.config, self.server_state, asyncio.get_running_loop()

            def protocol() -> asyncio.Protocol:  # as uvicorn's own listening server makes
                return config.http_protocol_class(config=config, server_state=state,
                                                  app_state=self.lifespan.state)

            self.channel.setblocking(False)
            loop.add_reader(self.channel.fileno(), self._take, loop, protocol)
            self.channel.send(READY)  # started: the supervisor may hand connections now

        def _take(self, loop: Any, protocol: Any) -> None:
            """Serve every connection waiting on the channel; stop when the supervisor
            closed its end."""
            while True:
                try:
                    message, fds, flags, _ = socket.recv_fds(self.channel, 16, 64)
                except (BlockingIOError, InterruptedError):
                    return
                except OSError:
                    message, fds, flags = b"", [], 0
                if flags & socket.MSG_CTRUNC:  # at its open-file limit: the kernel dropped
                    log.warning("a connection handed to this worker was lost: too many "
                                "open files")
                if not message and not fds:  # the supervisor is gone (or this worker
                    # stops, below): no more connections
                    loop.remove_reader(self.channel.fileno())
                    self.should_exit = True
                    return
                for fd in fds:
                    sock = socket.socket(fileno=fd)
                    sock.setblocking(False)
                    task = loop.create_task(loop.connect_accepted_socket(protocol, sock))
                    self.connecting.add(task)
                    task.add_done_callback(self._connected)

        def _connected(self, task: asyncio.Task[Any]) -> None:
            self.connecting.discard(task)
            if not task.cancelled() and task.exception() is not None:
                log.warning("a handed connection could not be served: %s", task.exception())

        def handle_exit(self, sig: int, frame: Any) -> None:
            # Told to stop: take no new connection (the supervisor's next hand-off to this
            # worker fails and goes to another), serve those already handed, then stop.
            try:
                self.channel.shutdown(socket.SHUT_RD)  # (those queued stay readable)
            except OSError:
                pass
            super().handle_exit(sig, frame)

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            for task in list(self.connecting):  # a hand-off not yet a connection
                task.cancel()
            try:
                asyncio.get_running_loop().remove_reader(self.channel.fileno())
            except (ValueError, OSError):  # already closed
                pass
            self.channel.close()  # connections still queued there are closed with it
            await super().shutdown(sockets=sockets)

    return HandedServer


CHANNEL_SNDBUF = 16384  # bytes of a channel's send buffer (the kernel doubles it)
_GONE = {errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN, errno.EBADF}


def _watched(procs: list[_Worker], listener: socket.socket, accepting: bool) -> list[Any]:
    """What the supervisor waits on: every worker's death, the channels still open (READY,
    or their end), and new connections while `accepting`."""
    out: list[Any] = [w.proc.sentinel for w in procs] + [w for w in procs if not w.ended]
    if accepting:
        out.append(listener)
    return out


class _Worker:
    """A worker process and the supervisor's end of its channel (which the worker says
    READY on once it serves, and which the supervisor hands connections over)."""

    def __init__(self, context: Any, spec: str) -> None:
        try:
            self.channel, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        except OSError as exc:
            raise StoreError(f"cannot start a server worker ({exc.strerror or exc}); free "
                             "some resources or run fewer --workers") from None
        self.ready = False  # serving and taking connections
        self.served = False  # was ready once (its death is then no failure to start)
        self.ended = False  # its end of the channel closed: nothing more to read
        self.proc = context.Process(target=_worker_main, name="memos-worker", daemon=False,
                                    args=(theirs, spec, os.getpid()))
        try:
            self.proc.start()
        except OSError as exc:
            self.channel.close()
            raise StoreError(f"cannot start a server worker ({exc.strerror or exc}); free "
                             "some resources or run fewer --workers") from None
        except BaseException:
            self.channel.close()
            raise
        finally:
            theirs.close()  # the worker has its copy
        self.channel.setblocking(False)
        # A small send buffer (the default takes hundreds of hand-offs): a worker whose
        # loop is held up (a long search) stops taking connections after a few queued
        # ones, and the next go to the other workers.
        self.channel.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, CHANNEL_SNDBUF)

    def fileno(self) -> int:  # (waited on for READY, or for the end of the channel)
        return self.channel.fileno()

    def read(self) -> None:
        """Take the worker's message: READY, or the end of the channel (it stops; the
        channel stays readable from then on, so it is watched no more)."""
        try:
            message = self.channel.recv(16)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            message = b""
        if message == READY:
            self.ready = self.served = True
        elif not message:
            self.ready, self.ended = False, True

    def hand(self, conn: socket.socket) -> bool:
        """Pass `conn` to the worker; False when it cannot take it now (not ready, stopping
        or gone, or its channel full)."""
        if not self.ready:
            return False
        try:
            socket.send_fds(self.channel, [b"c"], [conn.fileno()])
        except BlockingIOError:  # its channel is full: it is busy; try another
            return False
        except OSError as exc:
            if exc.errno in _GONE:  # stopping or gone: no more connections for it
                self.ready = False
            else:  # e.g. too many descriptors in flight: this one, this time
                log.warning("handing a connection to worker %s failed: %s", self.proc.pid,
                            exc)
            return False
        return True


def serve_workers(workers: int, host: str, port: int, spec: str,
                  on_ready: Callable[[int], None] | None = None) -> None:
    """Run `workers` server processes on host:port until SIGINT or SIGTERM (Linux).

    This process listens on the port and hands each new connection to the next ready worker
    in turn, so that clients keeping their connections open (HTTP keep-alive) are shared
    evenly: with a socket per worker (SO_REUSEPORT) the kernel picks a worker by a hash of
    the addresses, which spreads a few kept-alive connections unevenly; with
    one shared socket the worker that wakes first accepts a whole burst. A connection no
    worker can take (none ready, or every one busy with a full channel) waits here, and the
    others in the listen backlog, until one can. A worker that ends before it is ready
    (serving) failed to start: the server stops with a StoreError. A ready worker that dies
    is started again, up to RESTARTS_PER_MINUTE times a minute; the connections it held are
    closed with it. A worker told to stop takes no more connections. StoreError too when
    the port is taken. `on_ready(n)` is called each time all n workers have become ready
    (at the start, and after a replacement)."""
    context = multiprocessing.get_context("spawn")
    listener = listening_socket(host, port)
    procs: list[_Worker] = []
    deaths: list[float] = []
    turn = 0
    waiting_conn: socket.socket | None = None  # accepted, not yet taken by any worker
    announced = False
    previous = signal.getsignal(signal.SIGINT)
    previous_term = signal.getsignal(signal.SIGTERM)

    def hand_out() -> None:
        """Hand the waiting connection, then every new one, to the ready workers in turn;
        stop at the first that none can take (it waits for the next round)."""
        nonlocal turn, waiting_conn
        while True:
            if waiting_conn is None:
                try:
                    waiting_conn, _ = listener.accept()
                except (BlockingIOError, InterruptedError):
                    return
                except OSError as exc:
                    if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS,
                                     errno.ENOMEM):  # out of something: wait a little
                        log.warning("accepting a connection failed: %s", exc)
                        time.sleep(0.1)
                        return
                    continue  # that connection's own error (reset before accepted...)
            for step in range(len(procs)):
                if procs[(turn + step) % len(procs)].hand(waiting_conn):
                    turn = (turn + step + 1) % len(procs)
                    waiting_conn.close()
                    waiting_conn = None
                    break
            else:
                return

    def reap() -> None:
        """Start again a ready worker that died; stop the server when one died before it
        was ready, or too many died."""
        nonlocal announced
        for i, worker in enumerate(procs):
            if worker.proc.is_alive():
                continue
            proc = worker.proc
            if not worker.ended:
                worker.read()  # a READY it sent before it died counts
            if not worker.served:
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
            worker.channel.close()
            procs[i] = _Worker(context, spec)
            announced = False

    try:
        # Ctrl-C / SIGINT stops the server even where it was started with SIGINT ignored
        # (a background job of a non-interactive shell): as uvicorn's own supervisor does.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for _ in range(workers):
            procs.append(_Worker(context, spec))
        while True:
            reap()
            ready = sum(w.ready for w in procs)
            if ready == len(procs) and not announced:
                announced = True
                if on_ready is not None:
                    try:
                        on_ready(ready)
                    except Exception as exc:  # noqa: BLE001 - a report, not the server
                        log.warning("could not report the workers ready: %s", exc)
            # New connections are accepted while some worker is ready and none waits
            # here (before that they wait in the listen backlog); a waiting one is tried
            # again each round.
            watch = _watched(procs, listener, accepting=bool(ready) and waiting_conn is None)
            found = wait_for_any(watch, timeout=0.01 if waiting_conn is not None else 1.0)
            for worker in procs:
                if worker in found:
                    worker.read()
            if waiting_conn is not None or listener in found:
                hand_out()
    except KeyboardInterrupt:  # Ctrl-C: the workers got it too and are stopping
        pass
    finally:
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C: still wait
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM too
            if waiting_conn is not None:
                waiting_conn.close()
            listener.close()
            _stop(w.proc for w in procs)
        finally:
            for w in procs:
                w.channel.close()
            signal.signal(signal.SIGINT, previous)
            signal.signal(signal.SIGTERM, previous_term)


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


__all__ = ["ENV", "die_with_parent", "hands_off_connections", "listening_socket",
           "serve_workers", "worker_app", "worker_spec"]
