"""Pages of the staff area (filled in by the gateway issue)."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
