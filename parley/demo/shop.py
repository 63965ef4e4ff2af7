"""The demo shop's API: what the demo organization's procedures call (order status, refunds...).

A small, deterministic stand-in for a real shop backend, so the demo's procedures make real HTTP
calls with real JSON answers (contract: docs/procedures.md and parley/demo/procedures/*.yaml).
Procedures reach it at ``{{config.shop_url}}``, which in the demo is ``DEMO_SHOP_URL``: a reserved
``.invalid`` host no DNS will ever resolve, answered in-process by ``DemoShopTools`` without
opening a socket, so the SSRF guard stays in force for every real tool. It is also mounted at
``/demo/shop-api`` for people to try. Every call needs the demo token (the organization's secret
``shop_api_token``), so the demo shows secrets by reference working end to end.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query
from pydantic import BaseModel, Field

from parley import clock

DEMO_SHOP_URL = "http://shop.demo.parley.invalid"
# The demo organization stores this as its secret shop_api_token; it guards only demo data.
DEMO_SHOP_TOKEN = "demo-shop-token"  # noqa: S105


def _authorized(authorization: Annotated[str, Header()] = "") -> None:
    if authorization != f"Bearer {DEMO_SHOP_TOKEN}":
        raise HTTPException(status_code=401, detail="missing or wrong shop API token")


# ``api`` is the shop itself (at the root of DEMO_SHOP_URL); ``router`` mounts it on Parley.
api = APIRouter(dependencies=[Depends(_authorized)])
router = APIRouter(prefix="/demo/shop-api", include_in_schema=False)

# id -> (customer email, status, carrier, total in GBP)
ORDERS: dict[str, tuple[str, str, str, int]] = {
    "AB12345": ("joe.bloggs@example.com", "shipped", "DPD", 89),
    "AB23456": ("joe.bloggs@example.com", "delivered", "Royal Mail", 129),
    "CD34567": ("ada@example.com", "processing", "", 35),
    "CD45678": ("ada@example.com", "shipped", "UPS", 640),
    "EF56789": ("sam@example.com", "packed", "", 59),
}
# email -> (plan, status)
SUBSCRIPTIONS = {
    "joe.bloggs@example.com": ("silver", "active"),
    "ada@example.com": ("gold", "active"),
    "sam@example.com": ("silver", "cancelled"),
}


def _days(seed: str, spread: int) -> int:
    return int(hashlib.sha256(seed.encode()).hexdigest(), 16) % spread + 1


def _order(order_id: str, email: str | None) -> tuple[str, str, str, int]:
    found = ORDERS.get(order_id.strip().upper())
    # The email must match: the demo's procedures verify before they disclose anything.
    if found is None or (email or "").strip().lower() != found[0]:
        raise HTTPException(status_code=404, detail="no such order for that email address")
    return found


@api.get("/orders/{order_id}")
async def get_order(order_id: str, email: str = Query(default="")) -> dict[str, Any]:
    _, status, carrier, total = _order(order_id, email)
    oid = order_id.strip().upper()
    answer: dict[str, Any] = {"order_id": oid, "status": status, "total": total}
    if status == "delivered":
        answer |= {"eta": (clock.now() - timedelta(days=_days(oid, 5))).date().isoformat()}
    if status == "shipped":
        eta = (clock.now() + timedelta(days=_days(oid, 4))).date()
        answer |= {
            "carrier": carrier,
            "eta": eta.isoformat(),
            "tracking_url": f"https://track.example/{oid}",
        }
    return answer


class AddressIn(BaseModel):
    email: str = Field(max_length=320)
    street: str = Field(min_length=2, max_length=300)
    zip: str = Field(min_length=2, max_length=20)


@api.put("/orders/{order_id}/address")
async def change_address(order_id: str, body: AddressIn) -> dict[str, Any]:
    _, status, _, _ = _order(order_id, body.email)
    if status not in ("processing", "packed"):
        raise HTTPException(status_code=409, detail=f"the order is already {status}")
    return {"order_id": order_id.strip().upper(), "status": status, "street": body.street}


class RefundIn(BaseModel):
    email: str = Field(max_length=320)
    reason: str = Field(default="", max_length=500)
    method: str = Field(default="original", max_length=40)


@api.post("/orders/{order_id}/refunds")
async def create_refund(order_id: str, body: RefundIn) -> dict[str, Any]:
    _, status, _, total = _order(order_id, body.email)
    if status in ("processing", "packed"):
        raise HTTPException(status_code=409, detail="the order has not shipped: cancel it instead")
    oid = order_id.strip().upper()
    refund_id = "R" + hashlib.sha256(oid.encode()).hexdigest()[:6].upper()
    return {"refund_id": refund_id, "amount": total, "status": "approved", "method": body.method}


class EmailIn(BaseModel):
    email: str = Field(max_length=320)
    reason: str = Field(default="", max_length=500)


@api.post("/accounts/password-reset")
async def password_reset(body: EmailIn) -> dict[str, Any]:
    # The same answer whether or not the account exists: no account enumeration.
    return {"sent": True, "expires_minutes": 30}


@api.get("/subscriptions")
async def get_subscription(email: str = Query(default="")) -> dict[str, Any]:
    found = SUBSCRIPTIONS.get(email.strip().lower())
    if found is None:
        return {"plan": None, "status": "none"}
    plan, status = found
    renews = (clock.now() + timedelta(days=_days(email, 28))).date().isoformat()
    return {"plan": plan, "status": status, "renews_on": renews}


@api.post("/subscriptions/cancel")
async def cancel_subscription(body: EmailIn) -> dict[str, Any]:
    found = SUBSCRIPTIONS.get(body.email.strip().lower())
    if found is None or found[1] != "active":
        raise HTTPException(status_code=409, detail="no active subscription for that email")
    ends = (clock.now() + timedelta(days=_days(body.email, 28))).date().isoformat()
    return {"cancelled": True, "plan": found[0], "ends_on": ends}


router.include_router(api)
