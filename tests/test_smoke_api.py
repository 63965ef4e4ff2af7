from tests.factories import Tenant


async def test_create_and_read_interaction(tenant: Tenant) -> None:
    created = await tenant.create_interaction()
    response = await tenant.api.get(f"/api/v1/interactions/{created['id']}")
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "queued"
    assert [m["text"] for m in body["messages"]] == ["Hi, my parcel has not arrived."]
