"""The demo's automation: shop procedures, their API token, FAQs, an AI agent, the flows that let
automation answer web chats first, and the topics analytics sorts conversations into. Safe to
repeat: each part is added only when missing.

The FAQs are written for Northwind Outfitters (the demo shop); nothing here comes from the
evaluation data in ../shared/data.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.actors import Actor
from parley.automation.kb.actions import FaqInput, do_create_collection, do_create_faqs
from parley.automation.procedures.agents import do_create_ai_agent, do_set_secret, load_secrets
from parley.automation.procedures.store import do_import_procedures
from parley.demo.content import ASSISTANT_NAME, TOPICS
from parley.demo.shop import DEMO_SHOP_TOKEN
from parley.flows.store import do_save_flow
from parley.models import AiAgent, Flow, KnowledgeCollection, Organization, Procedure

PROCEDURES = Path(__file__).resolve().parent / "procedures"
COLLECTION = "faq"  # the collection the delivery_question procedure searches
FAQS = (
    FaqInput(
        question="How much does delivery cost?",
        alternatives=["shipping cost", "is delivery free", "delivery charges"],
        answer="Standard UK delivery is £3.95 and free on orders over £50. Express next-day "
        "delivery is £6.95 when you order before 2pm.",
    ),
    FaqInput(
        question="How long does delivery take?",
        alternatives=["delivery time", "when will it arrive", "how fast is shipping"],
        answer="Standard delivery takes 2-4 working days in the UK; express arrives the next "
        "working day. International orders take 5-10 working days.",
    ),
    FaqInput(
        question="Do you ship internationally?",
        alternatives=["deliver abroad", "ship to Europe", "international shipping"],
        answer="Yes: we ship to the EU, Norway, Switzerland, the US and Canada. Duties are "
        "included at checkout, so there is nothing more to pay on delivery.",
    ),
    FaqInput(
        question="What is your returns policy?",
        alternatives=["can I return an item", "how do returns work", "return window"],
        answer="You can return unworn items within 60 days for a full refund. Start a return "
        "from your account page; UK returns are free.",
    ),
    FaqInput(
        question="Are your rain jackets waterproof?",
        alternatives=["will the jacket keep me dry", "jacket water resistance"],
        answer="Yes: our rain jackets are rated 20,000 mm waterproof, with taped seams and a "
        "breathable membrane.",
    ),
    FaqInput(
        question="How do I find my size?",
        alternatives=["size guide", "what size should I buy", "sizing chart"],
        answer="Every product page has a size guide with measurements in cm and inches; if "
        "you are between sizes, we suggest the larger one for outerwear.",
    ),
)
FLOWS = (
    {
        "name": "Automation answers web chats first",
        "event": "chat_started",
        "priority": 5,
        "steps": [
            {"find_interaction": {}},
            {"create_interaction": {}},
            {"attach_message": True},
            {"run_automation": True},
        ],
    },
    {
        "name": "Automation answers new web chat messages first",
        "event": "new_message_received",
        "priority": 5,
        "when": {"channel": ["webchat"]},
        "steps": [{"create_interaction": {}}, {"attach_message": True}, {"run_automation": True}],
    },
)


async def do_ready_demo_automation(session: AsyncSession, *, slug: str) -> bool:
    """Give the demo organization its automation; False when there is no such organization."""
    org = (
        await session.execute(select(Organization).where(Organization.slug == slug))
    ).scalar_one_or_none()
    if org is None:
        return False
    system = Actor.system(org.id, "Demo")
    if not await _count(session, Procedure, org):
        files = [(p.name, p.read_text()) for p in sorted(PROCEDURES.glob("*.yaml"))]
        await do_import_procedures(session, actor=system, files=files)
    if "shop_api_token" not in await load_secrets(session, organization_id=org.id):
        await do_set_secret(session, actor=system, name="shop_api_token", value=DEMO_SHOP_TOKEN)
    if not await _count(session, KnowledgeCollection, org):
        collection = await do_create_collection(
            session, actor=system, name=COLLECTION, description="Shop questions"
        )
        await do_create_faqs(session, actor=system, collection=collection, items=FAQS)
    if not await _count(session, AiAgent, org):
        await do_create_ai_agent(
            session,
            actor=system,
            fields={
                "name": ASSISTANT_NAME,
                "greeting": "Hi, I'm Nova, Northwind's assistant. I can check orders, refunds, "
                "addresses and subscriptions, or find you a person.",
                "tone": "friendly and brief",
                "is_default": True,
            },
        )
    if "topics" not in org.settings:
        # No settings action exists yet; the demo is an edge, so it writes the key itself.
        topics = [{"name": name, "examples": list(examples)} for name, examples in TOPICS]
        org.settings = {**org.settings, "topics": topics}
    existing = await session.execute(select(Flow.name).where(Flow.organization_id == org.id))
    names = set(existing.scalars())
    for flow in FLOWS:
        if flow["name"] not in names:
            await do_save_flow(session, actor=system, source=dict(flow), active=True)
    return True


async def _count(
    session: AsyncSession,
    model: type[Procedure] | type[KnowledgeCollection] | type[AiAgent],
    org: Organization,
) -> int:
    found = await session.execute(
        select(func.count()).select_from(model).where(model.organization_id == org.id)
    )
    return int(found.scalar_one())
