"""Rendered forms on the service's disk: a cache that is encrypted, bounded, and safe to lose.

Safe to lose: the database row of a rendering only says which file to try; a file that is missing
(wiped with its pod, or written on another replica's disk), unreadable or damaged reads as a miss and
the form is rendered again, and a write that fails (disk full) is logged and skipped. So the
directory may be a pod's own ``/tmp``.

Encrypted: every file is sealed with the documents service's cache keyring (``CacheCipher``), bound
to its name.

Bounded: after a write takes the directory past ``max_bytes``, the least recently used files (by
modification time, which a read renews) are removed until it holds at most nine tenths of the bound,
so a full cache is swept once per tenth of its size written rather than at every write. Each process
counts its own writes between sweeps and a sweep measures the directory, so processes sharing one
directory keep it near the bound too.

Names derive from the cache key, so two replicas (or a retried event) that render the same form write
the same name; writes go to a temporary file first and are renamed into place, so a reader never sees
half a file.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from pathlib import Path

from tqr_documents.adapters.cache_cipher import CacheCipher, CacheCipherError

log = logging.getLogger(__name__)

TEMPORARY_PREFIX = ".tmp-"
# A temporary file older than this was left by a process that died while writing it.
ABANDONED_SECONDS = 600.0
SWEEP_DOWN_TO = 0.9


class FormCache:
    def __init__(self, root: str | Path, max_bytes: int, cipher: CacheCipher) -> None:
        if max_bytes <= 0:
            raise ValueError("the form cache needs a positive size bound")
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.cipher = cipher
        self._lock = threading.Lock()
        self._bytes: int | None = None  # this process's count of the directory's size (None: not measured yet)

    def name_for(self, content_hash: str, fmt: str, layout_version: int) -> str:
        # Two levels of fan-out keep directories small when there are many applications.
        return f"{content_hash[:2]}/{content_hash}.v{layout_version}.{fmt}"

    def write(self, name: str, data: bytes) -> bool:
        """Store the rendering; False (logged) when it could not be, which only costs a later render."""
        sealed = self.cipher.seal(data, name)
        if len(sealed) > self.max_bytes:
            log.warning("form larger than the whole cache; not cached", extra={"bytes": len(sealed)})
            return False
        try:
            self._write(self._path(name), sealed)
        except OSError as exc:
            log.warning("could not write to the form cache", extra={"error": type(exc).__name__})
            return False
        with self._lock:
            if self._bytes is None:
                self._bytes = self._measure()[0]
            else:
                self._bytes += len(sealed)
            if self._bytes > self.max_bytes:
                self._sweep()
        return True

    def read(self, name: str) -> bytes | None:
        """The rendering, or None when it is gone, unreadable or damaged (then rendered again)."""
        path = self._path(name)
        try:
            sealed = path.read_bytes()
        except OSError:
            return None
        try:
            data = self.cipher.open(sealed, name)
        except CacheCipherError:
            log.warning("damaged entry in the form cache; rendering it again")
            self.delete(name)
            return None
        try:
            _mark_used(path)  # recently used: the last to be evicted
        except OSError:
            pass  # evicted meanwhile; the bytes read are still good
        return data

    def delete(self, name: str) -> None:
        try:
            self._path(name).unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not delete from the form cache", extra={"error": type(exc).__name__})

    def _path(self, name: str) -> Path:
        path = (self.root / name).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("file name leaves the storage directory")
        return path

    @staticmethod
    def _write(target: Path, sealed: bytes) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=TEMPORARY_PREFIX)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(sealed)
            _mark_used(Path(temporary))
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _measure(self) -> tuple[int, list[tuple[float, int, Path]]]:
        """(bytes in the cache, its entries as (last use, size, path)); drops abandoned temporaries."""
        total, entries = 0, []
        abandoned_before = time.time() - ABANDONED_SECONDS
        for path in self.root.rglob("*"):
            try:
                stat = path.stat()
            except OSError:
                continue  # removed meanwhile
            if not path.is_file():
                continue
            if path.name.startswith(TEMPORARY_PREFIX):
                if stat.st_mtime < abandoned_before:
                    path.unlink(missing_ok=True)
                else:
                    total += stat.st_size  # another writer's file, soon renamed into place
                continue
            total += stat.st_size
            entries.append((stat.st_mtime, stat.st_size, path))
        return total, entries

    def _sweep(self) -> None:
        total, entries = self._measure()
        goal = int(self.max_bytes * SWEEP_DOWN_TO) if total > self.max_bytes else total
        evicted = 0
        for _, size, path in sorted(entries, key=lambda entry: entry[0]):
            if total <= goal:
                break
            try:
                path.unlink(missing_ok=True)
            except OSError:
                continue
            total -= size
            evicted += 1
        self._bytes = total
        if evicted:
            log.info("form cache swept", extra={"evicted": evicted, "bytes": total})


def _mark_used(path: Path) -> None:
    """Last use = modification time, from the fine clock (the file system's own stamps can be a few
    milliseconds coarse, which would make renders close together look equally old)."""
    now = time.time_ns()
    os.utime(path, ns=(now, now))
