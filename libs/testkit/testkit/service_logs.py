"""What services logged at warning level and above, for a failing test's report.

A failure under load is often one refusal among thousands of requests; what the processes logged
around it is the only trace left once the test's system is gone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

LINES_KEPT = 30


def warnings_logged(logs: Iterable[tuple[str, Path]], lines_kept: int = LINES_KEPT) -> str:
    """The last ``lines_kept`` warnings and errors of each ``(name, log file)``."""
    parts = []
    for name, log in logs:
        if not log.exists():
            continue
        kept = [line for line in log.read_text(errors="replace").splitlines() if _is_warning(line)]
        if kept:
            parts.append(f"--- {name} ({log})\n" + "\n".join(kept[-lines_kept:]))
    return "\n".join(parts) or "(no warnings or errors in the services' logs)"


def _is_warning(line: str) -> bool:
    try:
        return json.loads(line).get("level") in {"WARNING", "ERROR", "CRITICAL"}
    except (ValueError, AttributeError):
        return bool(line.strip())  # not a log record: a traceback or a crash's last words
