"""Rendered files on disk, in the service's storage directory, named by what they contain.

A name is derived from the cache key, so two replicas (or a retried event) that render the same form
write the same name; writes go to a temporary file first and are renamed into place, so a reader
never sees half a file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class FileStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def name_for(self, content_hash: str, fmt: str, layout_version: int) -> str:
        # Two levels of fan-out keep directories small when there are many applications.
        return f"{content_hash[:2]}/{content_hash}.v{layout_version}.{fmt}"

    def write(self, name: str, data: bytes) -> None:
        target = self._path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def read(self, name: str) -> bytes | None:
        """The file's bytes, or None when it is gone (wiped, or written on another replica's disk)."""
        try:
            return self._path(name).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def _path(self, name: str) -> Path:
        path = (self.root / name).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("file name leaves the storage directory")
        return path
