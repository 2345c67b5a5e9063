"""JSON API: staff (filled in by the gateway issue)."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1")
