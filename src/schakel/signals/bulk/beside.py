"""Checking beside writing: worker processes check the batches of a file (and prepare their
rows for writing) while this process writes the batches checked before.

The workers are forked from this process once the file is read: they inherit the rows, the
rules and the settings, and take no more than a batch's first and last index as their task.
They may not use the database (the connection they inherit is this process's, in the middle
of its transaction): anything a worker asks of it fails the worker. A failing or vanished
worker fails the import: ``CheckingFailed`` is raised here, in the importing transaction,
which then writes nothing.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

from django.db import connections

Result = TypeVar("Result")

#: Tasks handed to each worker before its first answer is awaited: enough that no worker
#: waits for this process, few enough that answers do not pile up in memory.
AHEAD = 2


class CheckingFailed(RuntimeError):
    """A worker process failed or vanished; nothing of the import is written."""


def worker_count() -> int:
    """One worker per core: the checking costs more per row than this process's writing."""
    return max(1, min(os.cpu_count() or 1, 4))


class Beside(Generic[Result]):
    """``for result in Beside(work, spans)``: ``work(start, stop)`` for every span, each in
    one of ``workers`` forked processes, results in the order of ``spans``."""

    def __init__(
        self,
        work: Callable[[int, int], Result],
        spans: list[tuple[int, int]],
        *,
        workers: int,
    ) -> None:
        self.work = work
        self.spans = spans
        self.workers = max(1, min(workers, len(spans)))
        self._pipes: list[Connection] = []
        self._processes: list[Any] = []

    def __iter__(self) -> Iterator[Result]:
        context = multiprocessing.get_context("fork")
        # Everything alive now is shared with the workers as it is: frozen, the collector
        # neither scans it again here nor touches (and so copies) its pages in the workers.
        # Use inside ``fewer_collections``, which lets it go again.
        gc.freeze()
        try:
            for _ in range(self.workers):
                here, there = context.Pipe()
                process = context.Process(target=_serve, args=(there, self.work), daemon=True)
                process.start()
                there.close()
                self._pipes.append(here)
                self._processes.append(process)
            sent = 0
            for _ in range(min(len(self.spans), self.workers * AHEAD)):
                self._send(sent)
                sent += 1
            for index in range(len(self.spans)):
                result = self._receive(index)
                if sent < len(self.spans):
                    self._send(sent)
                    sent += 1
                yield result
        finally:
            self._stop()

    def _send(self, index: int) -> None:
        self._pipes[index % self.workers].send(self.spans[index])

    def _receive(self, index: int) -> Result:
        pipe = self._pipes[index % self.workers]
        try:
            status, payload = pipe.recv()
        except (EOFError, OSError) as exc:
            raise CheckingFailed("a checking process ended without an answer") from exc
        if status != "ok":
            raise CheckingFailed(f"a checking process failed:\n{payload}")
        result: Result = payload
        return result

    def _stop(self) -> None:
        for pipe in self._pipes:
            with suppress(OSError):
                pipe.send(None)
        for process in self._processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join()
        for pipe in self._pipes:
            pipe.close()
        self._pipes, self._processes = [], []


def _serve(pipe: Connection, work: Callable[[int, int], Any]) -> None:
    _refuse_queries()
    while True:
        task = pipe.recv()
        if task is None:
            return
        try:
            answer: tuple[str, Any] = ("ok", work(*task))
        except BaseException:  # noqa: BLE001 - every failure goes back to the importer
            answer = ("error", traceback.format_exc())
        pipe.send(answer)
        # Young objects only: what the batch left behind, not the inherited file.
        gc.collect(1)


def _refuse(*args: Any) -> Any:
    raise CheckingFailed("a checking process may not use the database")


def _refuse_queries() -> None:
    for alias in connections:
        connections[alias].execute_wrappers.append(_refuse)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """The cyclic garbage collector scans what is alive now no more until the block ends.
    A large import holds hundreds of thousands of small objects (cells, rows, checked
    signals) and makes millions more; without this, scanning the ones it keeps cost about a
    third of checking and writing. Garbage without cycles is freed as always; cyclic garbage
    frozen here is collected after the block."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def freeze_now() -> None:
    """Inside ``fewer_collections``: what is alive now is not scanned again either."""
    gc.freeze()
