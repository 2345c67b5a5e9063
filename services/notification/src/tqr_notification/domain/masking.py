"""Masked forms of contact data for log lines and error messages (never log them in clear)."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    """``13812345678`` → ``138****5678``; short or odd input is masked entirely."""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_email(address: str) -> str:
    """``zhangsan@example.com`` → ``z***@example.com``."""
    local, at, domain = address.strip().partition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_destination(destination: str) -> str:
    return mask_email(destination) if "@" in destination else mask_phone(destination)
