"""The hub's HTTP and WebSocket API under /api/v1."""
