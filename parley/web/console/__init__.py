"""The agent console: server-rendered pages under ``/console`` (see docs/console.md)."""

from parley.web.console.routes import router

__all__ = ["router"]
