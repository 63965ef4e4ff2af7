"""System-event flows are validated on save, and every error names its field."""

from __future__ import annotations

from typing import Any

from tests.factories import Tenant

API = "/api/v1"


async def test_system_event_flows_are_validated_field_by_field(tenant: Tenant) -> None:
    async def errors(definition: dict[str, Any]) -> dict[str, str]:
        response = await tenant.api.post(f"{API}/flows/validate", json={"definition": definition})
        assert response.status_code == 422, response.text
        fields: dict[str, str] = response.json()["error"]["fields"]
        return fields

    base = {"name": "x", "steps": [{"set_tags": ["a"]}]}
    missing = await errors({**base, "event": "no_customer_reply"})
    assert missing == {"after_minutes": "required for no_customer_reply flows"}
    inbound_steps = await errors(
        {
            "name": "x",
            "event": "interaction_idle",
            "after_minutes": 10,
            "steps": [{"set_tags": ["a"]}, {"find_interaction": {}}, {"attach_message": True}],
        }
    )
    assert set(inbound_steps) == {"steps.1.find_interaction", "steps.2.attach_message"}
    assert "system event" in inbound_steps["steps.1.find_interaction"]
    assert set(await errors({**base, "event": "sla_breached", "after_minutes": 5})) == {
        "after_minutes"
    }
    assert set(await errors({**base, "event": "schedule"})) == {"schedule"}
    assert set(
        await errors(
            {**base, "event": "schedule", "schedule": {"every_minutes": 5, "daily_at": "18:00"}}
        )
    ) == {"schedule"}
    zone = await errors(
        {**base, "event": "schedule", "schedule": {"daily_at": "18:00", "timezone": "Mars/Olympus"}}
    )
    assert "Mars/Olympus" in zone["schedule.timezone"]
    assert set(await errors({**base, "event": "schedule", "schedule": {"daily_at": "24:30"}})) == {
        "schedule.daily_at"
    }
    assert set(
        await errors(
            {**base, "event": "new_message_received", "when": {"sla_clock": ["resolution"]}}
        )
    ) == {"when.sla_clock"}
    assert set(
        await errors({**base, "event": "sla_breached", "when": {"sla_clock": ["lunch"]}})
    ) == {"when.sla_clock.0"}
    ok = await tenant.api.post(
        f"{API}/flows/validate",
        json={
            "definition": {
                **base,
                "event": "schedule",
                "schedule": {"daily_at": "18:00", "timezone": "Europe/London"},
            }
        },
    )
    assert ok.status_code == 200, ok.text
