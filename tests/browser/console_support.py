"""Shared by the console tests: signing in through the form, and an interaction whose every
customer-controlled field carries markup that would run if it were ever parsed as HTML."""

from __future__ import annotations

from typing import Any

from parley.actions.contacts import do_create_contact
from parley.actions.messages import do_add_message
from parley.models.enums import MessageRole
from tests.factories import PASSWORD, Tenant

# Each payload calls the page's trap with its own name, so a failure says which one ran.
XSS = [
    '<script>window.__xss("script")</script>',
    "<img src=x onerror=\"window.__xss('img')\">",
    "<a href=\"javascript:window.__xss('link')\">click me</a>",
    "<svg onload=\"window.__xss('svg')\"><circle r=5 /></svg>",
    '"><img src=x onerror=window.__xss("attr")>',
    "<iframe srcdoc=\"<script>parent.__xss('frame')</script>\"></iframe>",
    "<div><b>broken <img src=x onerror=window.__xss('broken') <p",
    "</textarea><script>window.__xss('textarea')</script>",
]
ALL = " ".join(XSS)
EMAIL_HTML = (
    "<p>Hello <b>team</b></p>" + ALL + "<form action=\"javascript:window.__xss('form')\">"
    "<button>go</button></form><style>body{background:red}</style>"
)
TRAP = """
window.__xssCalls = [];
window.__xss = function (name) { window.__xssCalls.push(String(name)); };
"""


async def seed_xss(tenant: Tenant) -> dict[str, Any]:
    """An inbound interaction with markup in the contact name, subject, messages, tags, email
    HTML, client metadata, custom fields and the activity feed."""
    async with tenant.db.transaction() as session:
        contact = await do_create_contact(
            session, actor=tenant.system, name=XSS[1] + " Mallory", attributes={"x": ALL}
        )
    created = await tenant.create_interaction(
        contact_id=str(contact.id),
        subject=XSS[0] + XSS[4],
        text=ALL,
        tags=[t[:64] for t in XSS[:4]],
        client={"browser": XSS[3], "url": "javascript:window.__xss('url')", "note": ALL},
        custom_fields={"order": XSS[6]},
    )
    async with tenant.db.transaction() as session:
        await do_add_message(
            session,
            actor=tenant.system,
            interaction_id=created["id"],
            role=MessageRole.customer,
            text="Email body: " + XSS[2],
            html=EMAIL_HTML,
            author_name=XSS[5],
        )
    return created


async def sign_in(page: Any, base_url: str, email: str, then: str = "/console") -> None:
    await page.goto(base_url + "/login")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(base_url + "/")
    await page.goto(base_url + then)
