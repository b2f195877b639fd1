"""HTTP layer: FastAPI routers and their request/response schemas.

Thin: the work happens in accounts and sessions.
"""
