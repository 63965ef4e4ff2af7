"""The customer chat widget's script and the demo shop page (``routes.py``)."""

from parley.web.widget.routes import router

__all__ = ["router"]
