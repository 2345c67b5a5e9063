"""Resources of this machine that clusters alive at once must not share (a subnet, a Redis database):
each claims one with a lock file's flock, held while it lives and let go when its process ends,
so two test processes (`make test` runs a cluster beside the main run's) never pick the same one."""

from __future__ import annotations

import fcntl
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Generic, TypeVar

T = TypeVar("T")


@dataclass
class Claim(Generic[T]):
    value: T
    _lock: IO[str]

    def release(self) -> None:
        self._lock.close()


def claim_one(kind: str, candidates: Iterable[T], usable: Callable[[T], bool] = lambda _: True,
              folder: Path | None = None) -> Claim[T]:
    """The first candidate no other claim holds and ``usable`` accepts (checked under the lock).
    The lock files are in ``folder`` (the machine's temporary folder, where every process looks)."""
    tried = []
    for candidate in candidates:
        tried.append(candidate)
        name = re.sub(r"[^\w.-]", "_", f"tqr-cluster-{kind}-{candidate}")
        lock = open((folder or Path(tempfile.gettempdir())) / f"{name}.lock", "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        if usable(candidate):
            return Claim(candidate, lock)
        lock.close()
    raise RuntimeError(f"every {kind} of the harness is in use ({len(tried)} tried)")
