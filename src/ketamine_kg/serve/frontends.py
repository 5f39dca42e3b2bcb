"""`serve --front-ends N`: N front-end processes on one listening socket, one worker pool.

The serving process becomes a supervisor: it binds the port, starts the query workers (it owns
the pool, pool.PoolOwner: it replaces every worker that ends) and then N front ends, each a
`python -m ketamine_kg.serve.frontends` process running the whole app under uvicorn on the
inherited socket (the kernel hands each connection to one of them) and using the shared pool
through its token pipe (pool.PoolClient). A runaway query is killed by the front end that waited
for it, which stays up; the supervisor starts the replacement worker. Limits apply per request
and per process as with one front end (httpd.py's memory limit in every front end).

If a front end ends by itself the supervisor stops the others and the workers and exits with
status 1 (a process manager restarts the service); on SIGTERM or SIGINT it stops the front ends
(SIGTERM, then SIGKILL after STOP_SECONDS) and kills the workers. Front ends die with the
supervisor (PR_SET_PDEATHSIG) and workers end when the supervisor's line to them closes, so no
process outlives it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import signal
import socket
import sys
from dataclasses import asdict
from pathlib import Path

from ketamine_kg.serve.httpd import HttpLimits, limit_memory, serve
from ketamine_kg.serve.pool import PoolClient, PoolOwner

STOP_SECONDS = 10.0
PR_SET_PDEATHSIG = 1


async def _supervise(sock: socket.socket, config: dict, count: int) -> int:
    settings = config["settings"]
    owner = PoolOwner(Path(config["release"]), settings["workers"], settings["worker_memory_mb"])
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await owner.start()
        pool = [owner.directory, owner.read_fd, owner.write_fd]
        config = {**config, "pool": pool, "socket": sock.fileno()}
        fds = (sock.fileno(), owner.read_fd, owner.write_fd)
        command = [sys.executable, "-m", "ketamine_kg.serve.frontends", json.dumps(config)]
        fronts = [
            await asyncio.create_subprocess_exec(*command, pass_fds=fds) for _ in range(count)
        ]
        waits = [asyncio.ensure_future(front.wait()) for front in fronts]
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait([stopped, *waits], return_when=asyncio.FIRST_COMPLETED)
        code = 0 if stopped.done() else 1
        if code:
            print("error: a front end stopped; stopping the server", file=sys.stderr)  # noqa: T201
        for front in fronts:
            with contextlib.suppress(ProcessLookupError):
                front.terminate()
        _, late = await asyncio.wait(waits, timeout=STOP_SECONDS)
        for front in fronts:
            if front.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    front.kill()
        if late:
            await asyncio.wait(late)
        stopped.cancel()
        return code
    finally:
        await owner.close()


def supervise(sock: socket.socket, config: dict, count: int) -> int:
    """Run `count` front ends on `sock` with one shared pool until stopped; the exit status."""
    limit_memory(config["limits"]["server_memory_mb"])
    return asyncio.run(_supervise(sock, config, count))


def config_of(
    release: Path, settings: object, limits: HttpLimits, access_log: str | None, log_level: str
) -> dict:
    """What a front end is told (as JSON on its command line)."""
    return {
        "release": str(release),
        "settings": asdict(settings),  # type: ignore[call-overload]
        "limits": asdict(limits),
        "access_log": access_log,
        "log_level": log_level,
    }


def front_end(config: dict, sock: socket.socket) -> None:
    """One front end: the app with a share of the supervisor's pool, served on `sock`."""
    from ketamine_kg.serve.server import Settings, create_app

    with contextlib.suppress(OSError, AttributeError):  # not Linux: stopped by the supervisor
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    directory, read_fd, write_fd = config["pool"]
    log = None
    if config["access_log"] == "-":
        log = sys.stderr
    elif config["access_log"]:
        log = open(config["access_log"], "a", encoding="utf-8")  # noqa: SIM115 (open while serving)
    app = create_app(
        Path(config["release"]),
        Settings(**config["settings"]),
        access_log=log,
        pool=PoolClient(directory, read_fd, write_fd),
    )
    serve(app, "", 0, HttpLimits(**config["limits"]), config["log_level"], sock=sock)


if __name__ == "__main__":
    told = json.loads(sys.argv[1])
    front_end(told, socket.socket(fileno=told["socket"]))
