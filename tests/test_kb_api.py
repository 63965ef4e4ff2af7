"""/api/v1/knowledge through the live server: CRUD, imports, URL import, search with citations."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.factories import Tenant

API = "/api/v1/knowledge"
PAGE = b"""<html><head><title>Delivery times</title></head><body>
<h1>Delivery</h1><p>Standard parcels arrive in 3 to 5 working days.</p>
<h2>Express</h2><p>Express parcels arrive the next working day.<script>x()</script></p>
</body></html>"""


@pytest.fixture
def page_url() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(PAGE)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/delivery.html"
    server.shutdown()
    server.server_close()


async def _collection(t: Tenant, name: str = "Help") -> str:
    r = await t.api.post(f"{API}/collections", json={"name": name})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_faq_crud_and_search(tenant: Tenant) -> None:
    cid = await _collection(tenant)
    r = await tenant.api.post(
        f"{API}/collections/{cid}/faqs",
        json={
            "question": "How do I reset my password?",
            "alternatives": ["forgot my password"],
            "answer": "Use the 'Forgot password' link on the sign-in page.",
            "tags": ["account"],
        },
    )
    assert r.status_code == 201, r.text
    faq = r.json()
    r = await tenant.api.get(f"{API}/search", params={"q": "I forgot my password"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["answer"]["source_id"] == faq["id"]
    assert body["answer"]["citation"] == {
        "kind": "faq",
        "id": faq["id"],
        "title": "How do I reset my password?",
        "url": None,
    }
    r = await tenant.api.patch(f"{API}/faqs/{faq['id']}", json={"answer": "Ask an admin."})
    assert r.status_code == 200 and r.json()["answer"] == "Ask an admin."
    r = await tenant.api.get(f"{API}/search", params={"q": "reset password"})
    assert r.json()["items"][0]["text"] == "Ask an admin."
    assert (await tenant.api.delete(f"{API}/faqs/{faq['id']}")).status_code == 204
    assert (await tenant.api.get(f"{API}/faqs/{faq['id']}")).status_code == 404
    r = await tenant.api.get(f"{API}/search", params={"q": "reset password"})
    assert r.json() == {
        "query": "reset password",
        "threshold": r.json()["threshold"],
        "answer": None,
        "items": [],
    }


async def test_import_stackfaq_json_and_files(tenant: Tenant) -> None:
    cid = await _collection(tenant)
    r = await tenant.api.post(
        f"{API}/collections/{cid}/import",
        json={
            "faqs": [
                {
                    "id": 7,
                    "question": "Strikethrough in GitHub markdown",
                    "answers": ["Use ~~x~~."],
                },
                {"question": "Opening hours?", "answer": "9 to 5.", "alternatives": ["when open"]},
            ],
            "files": [
                {"name": "returns.md", "content": "# Returns policy\nReturn within 30 days."},
                {"name": "notes.txt", "content": "Gift cards never expire.", "title": "Gift cards"},
                {
                    "name": "page",
                    "content": "<h1>Sizes</h1><p>Fits true to size.</p>",
                    "format": "html",
                },
            ],
        },
    )
    assert r.status_code == 201, r.text
    result = r.json()
    assert next(f["question"] for f in result["faqs"]) == "Strikethrough in GitHub markdown"
    assert result["faqs"][0]["answer"] == "Use ~~x~~."
    assert [x["title"] for x in result["resources"]] == ["Returns policy", "Gift cards", "Sizes"]
    r = await tenant.api.get(f"{API}/search", params={"q": "do gift cards expire"})
    assert r.json()["items"][0]["citation"]["title"] == "Gift cards"
    assert len((await tenant.api.get(f"{API}/collections/{cid}/resources")).json()) == 3
    r = await tenant.api.post(
        f"{API}/collections/{cid}/import", json={"files": [{"name": "x.pdf", "content": "x"}]}
    )
    assert r.status_code == 422 and r.json()["error"]["fields"] == {"format": "unknown"}


async def test_url_import_goes_through_the_ssrf_guard(tenant: Tenant, page_url: str) -> None:
    cid = await _collection(tenant)
    r = await tenant.api.post(f"{API}/collections/{cid}/import-url", json={"url": page_url})
    assert r.status_code == 201, r.text
    resource = r.json()
    assert resource["title"] == "Delivery times" and resource["format"] == "html"
    r = await tenant.api.get(f"{API}/search", params={"q": "how fast is express delivery"})
    best = r.json()["items"][0]
    assert best["citation"]["url"] == page_url
    assert "script" not in best["text"] and "x()" not in best["text"]
    r = await tenant.api.post(
        f"{API}/collections/{cid}/import-url", json={"url": "http://169.254.169.254/latest"}
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "unsafe_url"


async def test_agents_read_but_do_not_write(tenant: Tenant) -> None:
    cid = await _collection(tenant)
    r = await tenant.agent.client.get(f"{API}/collections/{cid}")
    assert r.status_code == 200
    r = await tenant.agent.client.post(
        f"{API}/collections/{cid}/faqs", json={"question": "q?", "answer": "a"}
    )
    assert r.status_code == 403, r.text
    assert "supervisor" in r.json()["error"]["message"]


async def test_collection_names_are_unique_and_deletion_cascades(tenant: Tenant) -> None:
    cid = await _collection(tenant, "Shop")
    r = await tenant.api.post(f"{API}/collections", json={"name": "Shop"})
    assert r.status_code == 409
    await tenant.api.post(
        f"{API}/collections/{cid}/faqs", json={"question": "Vouchers?", "answer": "Yes."}
    )
    assert (await tenant.api.delete(f"{API}/collections/{cid}")).status_code == 204
    assert (await tenant.api.get(f"{API}/search", params={"q": "vouchers"})).json()["items"] == []
