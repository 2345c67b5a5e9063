"""Message catalogues: flat keys ("nav.help") to text, per language in ``i18n/``.

``i18n/<lang>.json`` holds the shell's keys; each area of the site (account, wizard, portal, staff)
keeps its own ``i18n/<area>.<lang>.json`` so that areas grow without editing one shared file. A key
defined twice is an error.

Chinese is the reference language; a key missing in English falls back to Chinese rather than
showing a raw key, and a unit test keeps both files holding the same keys.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from tqr_gateway.web.language import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES


@cache
def load_catalogue(lang: str) -> dict[str, str]:
    if lang not in SUPPORTED_LANGUAGES:
        raise ValueError(f"unsupported language: {lang!r}")
    folder = resources.files("tqr_gateway.web").joinpath("i18n")
    names = sorted(
        entry.name for entry in folder.iterdir()
        if entry.name == f"{lang}.json" or entry.name.endswith(f".{lang}.json")
    )
    merged: dict[str, str] = {}
    for name in names:
        data = json.loads(folder.joinpath(name).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise ValueError(f"i18n/{name} must be a flat object of strings")
        twice = merged.keys() & data.keys()
        if twice:
            raise ValueError(f"i18n/{name} repeats keys defined elsewhere: {sorted(twice)[:5]}")
        merged.update(data)
    return merged


def translate(lang: str, key: str, **params: Any) -> str:
    """The text for ``key`` in ``lang``; ``{name}`` placeholders are filled from ``params``."""
    text = load_catalogue(lang).get(key)
    if text is None:
        text = load_catalogue(DEFAULT_LANGUAGE).get(key, key)
    return text.format_map(params) if params else text
