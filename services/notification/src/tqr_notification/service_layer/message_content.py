"""A rendered message as it waits in a delivery row: JSON, sealed at rest (it may hold a code)."""

from __future__ import annotations

import json

from servicekit.sealing import Sealer

from tqr_notification.domain.rendering import RenderedMessage


def seal_content(sealer: Sealer, rendered: RenderedMessage) -> str:
    plain = json.dumps({"subject": rendered.subject, "text": rendered.text, "html": rendered.html},
                       ensure_ascii=False)
    return sealer.seal(plain)


def open_content(sealer: Sealer, sealed: str) -> RenderedMessage:
    data = json.loads(sealer.open(sealed))
    return RenderedMessage(subject=data["subject"], text=data["text"], html=data["html"])
