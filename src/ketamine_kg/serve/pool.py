"""The pool of query workers (workers.py), shared by every front-end process of the server.

Two halves. The owner (`PoolOwner`, in the process that started the workers) spawns one worker
per slot, and when a worker ends (killed at its deadline, or dead of its memory limit) reaps it,
starts a replacement in the same slot and announces it. The users (`PoolClient`, in each front
end) take a free worker, send it one job over its Unix socket and wait for the answer until the
deadline; a late worker is killed (SIGKILL) by the front end that waited for it, and the owner
replaces it. Nothing a query does reaches a front end but its answer.

A free worker is a token in one pipe shared by the owner and every front end: two bytes, the
slot and its generation (respawns, mod 256). A front end reads a token to take that worker,
writes it back when the answer is in, and drops it when the worker is killed or dies; the owner
writes a new one when the replacement is ready. A token whose worker is gone or of another
generation (one that died while free) is stale: it is dropped and the next one taken. So one
worker serves one query at a time, for whichever front end holds its token.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ketamine_kg.serve.workers import (
    ANSWER_HEAD,
    GREETING,
    Answer,
    Job,
    Overloaded,
    QueryTimeout,
    WorkerDied,
    encode_job,
    worker_main,
)


def address(directory: str, slot: int) -> str:
    """The Unix socket of the worker in `slot`."""
    return os.path.join(directory, f"{slot}.sock")


class _Line(asyncio.Protocol):
    """A front end's connection to one worker: its greeting, then one answer per job."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.waiter: asyncio.Future = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.greeting: tuple[int, int] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.greeting is None:
            if len(self.buffer) < GREETING.size:
                return
            self.greeting = GREETING.unpack_from(self.buffer)
            del self.buffer[: GREETING.size]
            self._resolve(self.greeting)
        elif len(self.buffer) >= ANSWER_HEAD.size:
            size, status, media = ANSWER_HEAD.unpack_from(self.buffer)
            start = ANSWER_HEAD.size + media
            if len(self.buffer) >= start + size:
                answer = Answer(
                    status,
                    self.buffer[ANSWER_HEAD.size : start].decode(),
                    bytes(self.buffer[start : start + size]),
                )
                del self.buffer[: start + size]
                self._resolve(answer)

    def _resolve(self, value: object) -> None:
        if not self.waiter.done():
            self.waiter.set_result(value)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if not self.waiter.done():
            self.waiter.set_exception(WorkerDied("the worker closed its line"))

    def ask(self, frame: bytes) -> asyncio.Future:
        """Send one job frame; the future of its answer."""
        if self.transport is None:
            raise WorkerDied("the worker closed its line")
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(frame)
        return self.waiter


async def _within(waiter: asyncio.Future, timeout: float) -> Any:
    """`waiter`'s result, or TimeoutError after `timeout` seconds: a timer on the future,
    cheaper than asyncio.wait_for, which wraps each await in a task.
    """
    expiry = asyncio.get_running_loop().call_later(timeout, _expire, waiter)
    try:
        return await waiter
    finally:
        expiry.cancel()


def _expire(waiter: asyncio.Future) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


class _Tokens:
    """The free-worker pipe as a front end uses it: take a token (waiting in FIFO order with
    this process's other requests), give it back.
    """

    def __init__(self, read_fd: int, write_fd: int, shared: bool) -> None:
        self.read_fd, self.write_fd = read_fd, write_fd
        self.shared = shared
        os.set_blocking(read_fd, False)
        self.waiters: collections.deque[asyncio.Future[bytes]] = collections.deque()
        self.free: collections.deque[bytes] = collections.deque()  # given back, not shared

    def give(self, token: bytes) -> None:
        """Return a token. When no other process uses the pool: straight to this process's
        longest waiter, else kept here (no pipe round trip). Shared: to the pipe (two bytes: one
        atomic write, never blocks), where every front end's waiters have the same chance at it.
        """
        if not self.shared:
            while self.waiters:
                waiter = self.waiters.popleft()
                if not waiter.done():
                    waiter.set_result(token)
                    return
            self.free.append(token)
            return
        os.write(self.write_fd, token)

    def _read(self, count: int) -> bytes:
        with contextlib.suppress(BlockingIOError):
            return os.read(self.read_fd, 2 * count)
        return b""

    async def take(self, timeout: float) -> bytes:
        """A token, or Overloaded after `timeout` seconds."""
        if not self.waiters:
            token = self.free.popleft() if self.free else self._read(1)
            if token:
                return token
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bytes] = loop.create_future()
        self.waiters.append(future)
        if len(self.waiters) == 1:
            loop.add_reader(self.read_fd, self._readable)
        try:
            return await _within(future, timeout)
        except TimeoutError as exc:
            raise Overloaded from exc
        finally:
            with contextlib.suppress(ValueError):
                self.waiters.remove(future)
            if not self.waiters:
                loop.remove_reader(self.read_fd)

    def _readable(self) -> None:
        data = self._read(len(self.waiters))
        for start in range(0, len(data), 2):
            token = data[start : start + 2]
            while self.waiters and self.waiters[0].done():
                self.waiters.popleft()
            if self.waiters:
                self.waiters.popleft().set_result(token)
            else:
                self.give(token)


class PoolClient:
    """A front end's use of the pool: run a job on a free worker, within a deadline."""

    def __init__(
        self,
        directory: str,
        read_fd: int,
        write_fd: int,
        queue_timeout: float = 5.0,
        shared: bool = True,
    ) -> None:
        self.directory = directory
        self.queue_timeout = queue_timeout
        self.tokens = _Tokens(read_fd, write_fd, shared)
        self.lines: dict[int, _Line] = {}

    async def _line(self, slot: int, generation: int) -> _Line | None:
        """The connection to the worker of this token, or None if the token is stale."""
        line = self.lines.get(slot)
        if line and line.transport and line.greeting and line.greeting[0] == generation:
            return line
        self._drop(slot)
        loop = asyncio.get_running_loop()
        try:
            _, line = await loop.create_unix_connection(_Line, address(self.directory, slot))
            await asyncio.wait_for(line.waiter, 10)
        except (OSError, WorkerDied, TimeoutError):
            return None
        if line.greeting is None or line.greeting[0] != generation:
            if line.transport:
                line.transport.close()
            return None
        self.lines[slot] = line
        return line

    def _drop(self, slot: int, kill: bool = False) -> None:
        line = self.lines.pop(slot, None)
        if line is None:
            return
        if kill and line.greeting:
            with contextlib.suppress(ProcessLookupError):
                os.kill(line.greeting[1], signal.SIGKILL)
        if line.transport:
            line.transport.close()

    async def run(self, job: Job, timeout: float) -> Answer:
        """The answer, or QueryTimeout / Overloaded / WorkerDied."""
        frame = encode_job(job)
        deadline = asyncio.get_running_loop().time() + self.queue_timeout
        while True:
            token = await self.tokens.take(deadline - asyncio.get_running_loop().time())
            line = await self._line(token[0], token[1])
            if line is not None:
                break  # else: stale, dropped; take the next
        try:
            answer = await _within(line.ask(frame), timeout)
        except TimeoutError as exc:
            self._drop(token[0], kill=True)  # the owner starts a replacement
            raise QueryTimeout from exc
        except WorkerDied:
            self._drop(token[0])
            raise
        self.tokens.give(token)
        return answer

    async def start(self) -> None:
        """Nothing to start: the owner has started the workers."""

    async def close(self) -> None:
        """Close every line."""
        for slot in list(self.lines):
            self._drop(slot)


#: The workers' socket folder: this prefix, the owner's process id, a dash, a random part.
DIRECTORY_PREFIX = "ketamine-kg-workers-"


def sweep_stale_directories(parent: str) -> list[str]:
    """Remove the socket folders under `parent` whose owner is gone (a server killed with
    SIGKILL cannot remove its own); the names of those removed. A folder whose process id is
    alive again (reused) stays until that process ends.
    """
    removed = []
    for name in os.listdir(parent):
        owner = name.removeprefix(DIRECTORY_PREFIX).split("-", 1)[0]
        if not name.startswith(DIRECTORY_PREFIX) or not owner.isdigit():
            continue
        try:
            os.kill(int(owner), 0)
        except ProcessLookupError:
            shutil.rmtree(os.path.join(parent, name), ignore_errors=True)
            removed.append(name)
        except PermissionError:  # alive, another user's
            continue
    return removed


class PoolOwner:
    """The workers' parent: start one per slot, replace each one that ends, announce it."""

    def __init__(self, release_dir: Path, size: int, memory_mb: int) -> None:
        self.release_dir = release_dir
        self.size = size
        self.memory_bytes = memory_mb * 1024 * 1024
        sweep_stale_directories(tempfile.gettempdir())
        self.directory = tempfile.mkdtemp(prefix=f"{DIRECTORY_PREFIX}{os.getpid()}-")
        self.read_fd, self.write_fd = os.pipe()
        self.generations = [0] * size
        self.processes: dict[int, tuple[multiprocessing.process.BaseProcess, Connection]] = {}
        self.unsandboxed: str | None = None  # why workers have the network, if they do
        self.closing = False

    async def _spawn(self, slot: int) -> None:
        context = multiprocessing.get_context("spawn")
        generation = self.generations[slot] = (self.generations[slot] + 1) % 256
        line, child = context.Pipe()
        args = (str(self.release_dir), address(self.directory, slot), generation, child)
        process = context.Process(target=worker_main, args=(*args, self.memory_bytes), daemon=True)
        process.start()
        child.close()
        self.processes[slot] = (process, line)
        loop = asyncio.get_running_loop()
        try:
            ready: asyncio.Future[None] = loop.create_future()

            def readable() -> None:
                if not ready.done():
                    ready.set_result(None)

            loop.add_reader(line.fileno(), readable)
            try:
                await asyncio.wait_for(ready, 60)
            finally:
                loop.remove_reader(line.fileno())
            os.set_blocking(line.fileno(), True)
            status, reason = line.recv()
            if status != "ready":
                raise WorkerDied("worker did not start")
        except BaseException:
            self._end(slot)
            raise
        if reason and self.unsandboxed is None:
            self.unsandboxed = reason
            # The one print outside the CLI: the operator must see it whoever started the pool.
            print(f"warning: query workers can reach the network: {reason}", file=sys.stderr)  # noqa: T201
        loop.add_reader(process.sentinel, self._ended, slot, process)
        os.write(self.write_fd, bytes([slot, generation]))

    def _end(self, slot: int) -> None:
        process, line = self.processes.pop(slot, (None, None))
        if process is None or line is None:
            return
        with contextlib.suppress(Exception):
            asyncio.get_running_loop().remove_reader(process.sentinel)
        with contextlib.suppress(Exception):
            process.kill()
            process.join(timeout=5)
            line.close()

    def _ended(self, slot: int, process: multiprocessing.process.BaseProcess) -> None:
        """A worker ended (killed at a deadline, or out of memory): replace it."""
        if self.processes.get(slot, (None,))[0] is not process:
            return
        self._end(slot)
        if not self.closing:
            asyncio.get_running_loop().create_task(self._spawn(slot))

    async def start(self) -> None:
        """Start every worker."""
        await asyncio.gather(*(self._spawn(slot) for slot in range(self.size)))

    async def close(self) -> None:
        """Kill every worker; remove their sockets."""
        self.closing = True
        for slot in list(self.processes):
            self._end(slot)
        shutil.rmtree(self.directory, ignore_errors=True)
        for fd in (self.read_fd, self.write_fd):
            with contextlib.suppress(OSError):
                os.close(fd)


class WorkerPool:
    """A pool owned and used by one process (the server with one front end, tests)."""

    def __init__(
        self, release_dir: Path, size: int, memory_mb: int, queue_timeout: float = 5.0
    ) -> None:
        self.owner = PoolOwner(release_dir, size, memory_mb)
        self.client = PoolClient(
            self.owner.directory, self.owner.read_fd, self.owner.write_fd, queue_timeout, False
        )

    @property
    def unsandboxed(self) -> str | None:
        """Why workers have the network, if they do."""
        return self.owner.unsandboxed

    async def start(self) -> None:
        """Start every worker."""
        await self.owner.start()

    async def run(self, job: Job, timeout: float) -> Answer:
        """The answer, or QueryTimeout / Overloaded / WorkerDied."""
        return await self.client.run(job, timeout)

    async def close(self) -> None:
        """Close the lines, kill every worker."""
        await self.client.close()
        await self.owner.close()
