"""Tag routing: flows set tags, queues accept work by tag expressions."""

from __future__ import annotations

from datetime import UTC, datetime

from parley.actions.queues import do_create_queue
from parley.flows.store import do_save_flow
from parley.ingest.event import Sender
from parley.models.enums import ChannelKind, IdentityKind
from tests.factories import Tenant
from tests.test_find_or_create import channel, receive

T0 = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
SOMEONE = Sender(identities=((IdentityKind.phone, "+447700900999"),), name="Someone Else")
FLOW = """
name: Refunds by tag
event: new_message_received
priority: 5
when:
  text_contains: [refund]
steps:
  - create_interaction: {}
  - attach_message: true
  - set_tags: [refund]
  - route_to_queue: by_tags
"""


async def test_a_flow_tags_work_and_the_accepting_queue_takes_it(tenant: Tenant) -> None:
    async with tenant.db.transaction() as s:
        # Two queues accept refunds; the lower position wins. VIP work is not theirs.
        late = await do_create_queue(
            s, actor=tenant.system, name="Refunds B", accept_tags="refund", position=50
        )
        first = await do_create_queue(
            s, actor=tenant.system, name="Refunds A", accept_tags="refund and not vip", position=10
        )
        await do_save_flow(s, actor=tenant.system, source=FLOW, active=True)
    sms = await channel(tenant, ChannelKind.sms)
    result = await receive(tenant, sms, "I want a refund please", T0)
    assert result.interaction is not None
    assert result.interaction.queue_id == first.id != late.id
    assert result.interaction.tags == ["refund"]
    # Untagged work goes where it always went: the channel's default queue.
    other = await receive(tenant, sms, "hello", T0, sender=SOMEONE)
    assert other.interaction is not None and other.interaction.queue_id == tenant.queue.id
