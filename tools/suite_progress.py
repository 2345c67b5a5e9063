"""A pytest plugin `make test` loads into each of its runs (tools/test_suite.py): where the run is.

It keeps one line in the file ``TQR_SUITE_PROGRESS`` names: how many tests have finished, how many
were collected, and which test is running since when; once pytest is done with everything, that it
is. A run that has to be stopped at the suite's deadline can then say where it was, and whether it
was still testing or had finished and was not exiting (a thread or a child it waits for).

With ``TQR_SUITE_STACKS`` set, SIGUSR2 writes the stack of every thread to the file it names
(faulthandler: it writes even while the main thread is stuck where no Python code runs), and
SIGUSR1 the stack of every asyncio task to the same name with ``.tasks`` added: a hang inside a
coroutine shows in the threads as the event loop waiting in its selector; the task's stack says
on what.
"""

from __future__ import annotations

import asyncio
import faulthandler
import os
import signal
import time
from pathlib import Path
from types import FrameType
from typing import TextIO

import pytest

PROGRESS = "TQR_SUITE_PROGRESS"
STACKS = "TQR_SUITE_STACKS"
FINISHED = "finished"


class Progress:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.done = 0
        self.collected = 0

    def write(self, line: str) -> None:
        # A file replaced whole: a reader never sees half a line.
        partial = self.path.with_suffix(".partial")
        partial.write_text(line)
        partial.replace(self.path)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collected = len(session.items)
        self.write(f"{self.done} {self.collected} {time.time():.0f} (collected, none started)")

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.write(f"{self.done} {self.collected} {time.time():.0f} {nodeid}")

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        self.done += 1

    def pytest_unconfigure(self) -> None:
        self.write(f"{self.done} {self.collected} {time.time():.0f} {FINISHED}")


def _task_stacks(out: TextIO) -> None:
    loop = asyncio._get_running_loop()  # the loop this signal interrupted, if any
    if loop is None:
        return
    for task in asyncio.all_tasks(loop):
        out.write(f"\n{task!r}\n")
        task.print_stack(file=out)


def _dump_on_signal(path: Path) -> None:
    threads = path.open("w")  # kept open: faulthandler writes to its descriptor
    faulthandler.register(signal.SIGUSR2, file=threads, all_threads=True)

    def dump_tasks(signum: int, frame: FrameType | None) -> None:
        with Path(f"{path}.tasks").open("w") as out:
            _task_stacks(out)

    signal.signal(signal.SIGUSR1, dump_tasks)


def pytest_configure(config: pytest.Config) -> None:
    if progress := os.environ.get(PROGRESS):
        config.pluginmanager.register(Progress(Path(progress)), "tqr-suite-progress")
    if stacks := os.environ.get(STACKS):
        _dump_on_signal(Path(stacks))
