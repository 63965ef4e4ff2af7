"""The console's router: every page under ``/console``."""

from __future__ import annotations

from fastapi import APIRouter

from parley.web.console import admin, analytics, coaching, editors, interactions

router = APIRouter(include_in_schema=False)
router.include_router(interactions.router)
router.include_router(admin.router)
router.include_router(editors.router)
router.include_router(analytics.router)
router.include_router(coaching.router)
