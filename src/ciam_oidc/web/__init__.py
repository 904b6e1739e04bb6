"""The HTTP edge: FastAPI routes translating requests to protocol calls and results to responses."""
