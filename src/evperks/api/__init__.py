"""HTTP: FastAPI routers, problem+json errors, request schemas."""
