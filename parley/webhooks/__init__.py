"""Outbound webhooks to customers' systems (Standard Webhooks), fed from the outbox.

See docs/webhooks.md. ``fan_out`` is called by the outbox relay; ``handlers`` are the job kinds
this package runs.
"""

from __future__ import annotations

from parley.config import Settings
from parley.jobs.runner import Handler
from parley.webhooks import deliver, fanout, flow
from parley.webhooks.fanout import fan_out

__all__ = ["fan_out", "handlers"]


def handlers(settings: Settings) -> dict[str, Handler]:
    return {
        fanout.KIND: deliver.DeliverWebhook(settings),
        flow.KIND: flow.CallFlowWebhook(settings),
    }
