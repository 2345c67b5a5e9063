"""The settings the README documents (its "Settings" tables), which the manifests may set."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = ["identity", "application", "notification", "documents"]


def documented_settings() -> set[str]:
    """Every variable the README's Settings tables name, with <S> expanded per service."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Settings"):readme.index("## Observability")]
    names: set[str] = set()
    for name in re.findall(r"`([A-Z<][A-Z0-9_<>]*)`", section):
        expanded = [name.replace("<S>", s.upper()) for s in BACKENDS] if "<S>" in name else [name]
        names.update(expanded)
    names.update(f"GATEWAY_{s.upper()}_ADDRESSES" for s in BACKENDS)  # written as a range in the README
    return names


IMAGE_SETTINGS = {"TQR_SERVICE"}  # read by the image's entrypoint: which service to start

# Set by deploy/compose.yaml though the README does not list them (yet): each with its reason.
COMPOSE_ONLY_SETTINGS = {
    "NOTIFICATION_OUTBOX_DIR": "the development outbox notification serves to the gateway's page (tools/devrun.py sets it too)",
    "NOTIFICATION_SMTP_HOST": "Mailpit (services/notification config.py smtp_host)",
    "NOTIFICATION_SMTP_PORT": "Mailpit (config.py smtp_port)",
    "NOTIFICATION_DEV_SMTP_SINK": "off: Mailpit replaces the service's own sink (config.py dev_smtp_sink)",
}
