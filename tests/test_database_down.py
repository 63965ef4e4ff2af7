"""With the database unreachable, Parley answers 503 in the error format: never 2xx, never 500."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import LiveServer, settings_for

# A port nothing listens on: every connection attempt is refused at once.
DEAD_PG = "postgresql+asyncpg://postgres@127.0.0.1:9/parley"


@pytest.fixture(scope="module")
def dead_server() -> Iterator[LiveServer]:
    server = LiveServer(settings_for(DEAD_PG))
    server.start()
    yield server
    server.stop()


async def test_health_reports_the_database(dead_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=dead_server.url) as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/interactions", None),
        ("POST", "/api/v1/interactions", {"text": "hello"}),
        ("POST", "/api/v1/contacts", {"name": "Ann"}),
    ],
)
async def test_requests_fail_fast_and_honestly(
    dead_server: LiveServer, method: str, path: str, body: object
) -> None:
    async with httpx.AsyncClient(base_url=dead_server.url, timeout=30) as client:
        response = await client.request(
            method, path, json=body, headers={"Authorization": "Bearer pk_0123456789ab_secret"}
        )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
    assert response.headers["retry-after"] == "5"


async def test_pages_say_so_in_html(dead_server: LiveServer) -> None:
    async with httpx.AsyncClient(
        base_url=dead_server.url, cookies={"parley_session": "some-session"}
    ) as client:
        response = await client.get("/", follow_redirects=False)
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert "Parley is unavailable" in response.text
