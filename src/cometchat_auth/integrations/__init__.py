"""Ways into an existing app: ``integrations.fastapi`` for a FastAPI app with its own users."""
