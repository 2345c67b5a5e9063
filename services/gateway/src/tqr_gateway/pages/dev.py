"""Development-only pages: the outbox of every email and SMS the system "sent" (codes included),
so a newcomer can finish registration without a real phone. Outside development: 404."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from tqr_gateway.web.templating import render

router = APIRouter(include_in_schema=False)

# The code follows the word 验证码 in every template of the notification service (SMS, email, alternative).
CODE_PATTERN = re.compile(r"验证码[^0-9]{0,12}?(\d{4,8})(?!\d)", re.S)


def outbox_records(directory: str, limit: int = 50) -> list[dict[str, Any]]:
    # Imported here: the notification package is importable in development only.
    from tqr_notification.channels.dev_outbox import read_outbox

    records = read_outbox(directory, limit=limit)
    for record in records:
        text = str(record.get("text") or "")
        found = CODE_PATTERN.search(text)
        record["code"] = found.group(1) if found else ""
        to = record.get("to")
        record["recipient"] = ", ".join(to) if isinstance(to, list) else str(to or "")
    return records


@router.get("/dev/outbox")
async def outbox(request: Request) -> Response:
    settings = request.app.state.settings
    if not settings.development:
        raise HTTPException(status_code=404)
    return render(request, "dev/outbox.html", {"records": outbox_records(settings.dev_outbox_dir)})
