"""JSON API of the account area under /api/v1/account (same clients and rules as the pages)."""

from tqr_gateway.api.account.routes import router

__all__ = ["router"]
