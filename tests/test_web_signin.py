"""The sign-in flow over real HTTP: forms, cookies, CSRF, throttling, sign-out and page headers.

Every request here comes from 127.0.0.1, and failed sign-ins are counted per IP in the shared
``login_attempts`` table. Each test therefore starts and ends with that IP's count cleared, so a
throttling test cannot lock out the next test (nor the tenant factory, which signs in too).
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import delete, update

from parley import clock
from parley.actions.organizations import do_add_member, do_create_organization
from parley.config import Settings
from parley.db.engine import Database
from parley.models import LoginAttempt, WebSession
from parley.models.enums import Role
from parley.security.auth import SESSION_COOKIE
from tests.conftest import LiveServer
from tests.factories import PASSWORD, Tenant

LOGIN_CSRF_COOKIE = "parley_login_csrf"
LOCAL_IP_KEY = "ip:127.0.0.1"
BAD_CREDENTIALS = "That email and password do not match an account."


async def _clear_ip_throttle(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(delete(LoginAttempt).where(LoginAttempt.key == LOCAL_IP_KEY))


@pytest.fixture(autouse=True)
async def clean_login_throttle(db: Database) -> AsyncIterator[None]:
    await _clear_ip_throttle(db)
    yield
    await _clear_ip_throttle(db)


@pytest.fixture
async def browser_like(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    """A client with its own cookie jar that never follows redirects, like a careful browser."""
    async with httpx.AsyncClient(
        base_url=live_server.url, timeout=30, follow_redirects=False
    ) as client:
        yield client


# --- helpers ------------------------------------------------------------------------------------


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)
    assert match is not None, f"no hidden {name} field in:\n{page}"
    return html.unescape(match.group(1))


def _signin_error(page: str) -> str:
    match = re.search(r'id="signin-error">(.*?)</div>', page, re.S)
    assert match is not None, f"no #signin-error in:\n{page}"
    return html.unescape(match.group(1)).strip()


def _set_cookies(response: httpx.Response, name: str) -> list[dict[str, str]]:
    """Each Set-Cookie header for ``name``, as {attribute (lower case): value}."""
    found = []
    for header in response.headers.get_list("set-cookie"):
        first, *attrs = (part.strip() for part in header.split(";"))
        cookie_name, _, value = first.partition("=")
        if cookie_name != name:
            continue
        parsed = {"": value.strip('"')}
        for attr in attrs:
            key, _, val = attr.partition("=")
            parsed[key.strip().lower()] = val.strip()
        found.append(parsed)
    return found


def _session_cookie_set(response: httpx.Response) -> bool:
    """Whether the response hands out a (non-empty, non-expired) session cookie."""
    return any(c[""] and c.get("max-age") != "0" for c in _set_cookies(response, SESSION_COOKIE))


async def _open_form(client: httpx.AsyncClient) -> str:
    response = await client.get("/login")
    assert response.status_code == 200, response.text
    return _hidden(response.text, "csrf_token")


async def _post_login(
    client: httpx.AsyncClient, email: str, password: str, organization: str = ""
) -> httpx.Response:
    token = await _open_form(client)
    return await client.post(
        "/login",
        data={
            "email": email,
            "password": password,
            "organization": organization,
            "csrf_token": token,
        },
    )


async def _sign_in(client: httpx.AsyncClient, email: str) -> str:
    response = await _post_login(client, email, PASSWORD)
    assert response.status_code == 303, response.text
    token = client.cookies.get(SESSION_COOKIE)
    assert token
    return token


# --- the sign-in form ---------------------------------------------------------------------------


async def test_login_form_sets_csrf_cookie_matching_hidden_field(
    browser_like: httpx.AsyncClient,
) -> None:
    response = await browser_like.get("/login")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    [cookie] = _set_cookies(response, LOGIN_CSRF_COOKIE)
    assert len(cookie[""]) >= 20
    assert _hidden(response.text, "csrf_token") == cookie[""]
    assert "httponly" in cookie
    assert cookie.get("samesite", "").lower() == "strict"
    assert cookie.get("path") == "/login"
    assert "secure" not in cookie
    assert 'name="email"' in response.text
    assert 'name="password"' in response.text
    assert 'type="password"' in response.text
    assert not _set_cookies(response, SESSION_COOKIE)


async def test_each_form_gets_a_fresh_token(browser_like: httpx.AsyncClient) -> None:
    first = await _open_form(browser_like)
    second = await _open_form(browser_like)
    assert first != second


async def test_sign_in_sets_session_cookie_and_redirects_home(
    tenant: Tenant, browser_like: httpx.AsyncClient
) -> None:
    user = tenant.agent.user
    response = await _post_login(browser_like, user.email, PASSWORD)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/"
    [cookie] = _set_cookies(response, SESSION_COOKIE)
    assert len(cookie[""]) >= 20
    assert "httponly" in cookie
    assert cookie.get("samesite", "").lower() == "lax"
    assert cookie.get("path") == "/"
    assert "secure" not in cookie, "plain http with cookie_secure=auto must not set Secure"
    assert int(cookie["max-age"]) > 0
    # The one-time login token is spent.
    assert any(c.get("max-age") == "0" for c in _set_cookies(response, LOGIN_CSRF_COOKIE))

    home = await browser_like.get("/")
    assert home.status_code == 200, home.text
    assert html.escape(user.name) in home.text
    assert html.escape(tenant.org.name) in home.text
    assert user.email in home.text
    assert 'id="open-count">0<' in home.text
    assert 'id="closed-count">0<' in home.text

    me = await browser_like.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["id"] == str(user.id)
    assert me.json()["organization_id"] == str(tenant.org.id)


async def test_home_counts_open_interactions(
    tenant: Tenant, browser_like: httpx.AsyncClient
) -> None:
    await tenant.create_interaction()
    await tenant.create_interaction(subject="Second")
    await _sign_in(browser_like, tenant.supervisor.user.email)
    home = await browser_like.get("/")
    assert 'id="open-count">2<' in home.text
    assert 'id="closed-count">0<' in home.text


async def test_email_is_case_insensitive(tenant: Tenant, browser_like: httpx.AsyncClient) -> None:
    response = await _post_login(browser_like, f"  {tenant.agent.user.email.upper()} ", PASSWORD)
    assert response.status_code == 303, response.text


async def test_login_page_redirects_home_when_signed_in(
    tenant: Tenant, browser_like: httpx.AsyncClient
) -> None:
    await _sign_in(browser_like, tenant.agent.user.email)
    response = await browser_like.get("/login")
    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_wrong_password_is_401_without_session(
    tenant: Tenant, browser_like: httpx.AsyncClient
) -> None:
    email = tenant.agent.user.email
    response = await _post_login(browser_like, email, PASSWORD + "!")
    assert response.status_code == 401
    assert _signin_error(response.text) == BAD_CREDENTIALS
    assert not _session_cookie_set(response)
    assert SESSION_COOKIE not in browser_like.cookies
    # The form is shown again with the email kept and a new token, but never the password.
    assert f'value="{email}"' in response.text
    assert PASSWORD not in response.text
    assert _hidden(response.text, "csrf_token") == browser_like.cookies.get(LOGIN_CSRF_COOKIE)
    home = await browser_like.get("/")
    assert home.status_code == 303
    assert home.headers["location"] == "/login"


async def test_unknown_email_looks_exactly_like_a_wrong_password(
    tenant: Tenant, browser_like: httpx.AsyncClient
) -> None:
    wrong_password = await _post_login(browser_like, tenant.agent.user.email, "not-the-password")
    unknown = await _post_login(browser_like, f"nobody-{uuid.uuid4().hex}@example.com", PASSWORD)
    assert unknown.status_code == wrong_password.status_code == 401
    assert _signin_error(unknown.text) == _signin_error(wrong_password.text) == BAD_CREDENTIALS
    assert not _session_cookie_set(unknown)


async def test_wrong_organization_is_refused_like_a_wrong_password(
    tenant: Tenant, other_tenant: Tenant, browser_like: httpx.AsyncClient
) -> None:
    email = tenant.agent.user.email
    foreign = await _post_login(browser_like, email, PASSWORD, organization=other_tenant.org.slug)
    assert foreign.status_code == 401
    assert _signin_error(foreign.text) == BAD_CREDENTIALS
    assert not _session_cookie_set(foreign)
    own = await _post_login(browser_like, email, PASSWORD, organization=tenant.org.slug)
    assert own.status_code == 303


async def test_member_of_two_organizations_picks_one(
    tenant: Tenant, db: Database, browser_like: httpx.AsyncClient
) -> None:
    user = tenant.agent.user
    async with db.transaction() as session:
        second = await do_create_organization(
            session, slug=f"org-{uuid.uuid4().hex[:12]}", name="Second Org"
        )
        await do_add_member(session, organization_id=second.id, user_id=user.id, role=Role.admin)
    response = await _post_login(browser_like, user.email, PASSWORD, organization=second.slug)
    assert response.status_code == 303, response.text
    me = (await browser_like.get("/api/v1/me")).json()
    assert me["organization_id"] == str(second.id)
    assert me["role"] == "admin"
    assert "Second Org" in (await browser_like.get("/")).text


@pytest.mark.parametrize("case", ["no token", "no cookie", "mismatch"])
async def test_sign_in_without_matching_csrf_is_403(
    case: str, tenant: Tenant, live_server: LiveServer
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as client:
        token = await _open_form(client)
        form = {"email": tenant.agent.user.email, "password": PASSWORD, "csrf_token": token}
        if case == "no token":
            del form["csrf_token"]
        elif case == "no cookie":
            client.cookies.clear()
        else:
            form["csrf_token"] = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
        response = await client.post("/login", data=form)
        assert response.status_code == 403, response.text
        assert _signin_error(response.text)
        assert not _session_cookie_set(response)
        assert SESSION_COOKIE not in client.cookies
        assert (await client.get("/", follow_redirects=False)).status_code == 303


async def test_empty_fields_are_refused(tenant: Tenant, browser_like: httpx.AsyncClient) -> None:
    response = await _post_login(browser_like, tenant.agent.user.email, "")
    assert response.status_code == 422
    assert _signin_error(response.text)
    assert not _session_cookie_set(response)


# --- throttling ---------------------------------------------------------------------------------


async def test_ip_throttle_refuses_even_the_right_password(
    tenant: Tenant, settings: Settings, browser_like: httpx.AsyncClient
) -> None:
    email = tenant.agent.user.email
    for attempt in range(settings.login_ip_limit):
        wrong = await _post_login(browser_like, email, f"guess-{attempt}")
        assert wrong.status_code == 401, f"attempt {attempt + 1}: {wrong.status_code}"
    blocked = await _post_login(browser_like, email, PASSWORD)
    assert blocked.status_code == 429, blocked.text
    retry_after = int(blocked.headers["retry-after"])
    assert 0 < retry_after <= settings.login_ip_window_s
    assert "too many" in _signin_error(blocked.text).lower()
    assert not _session_cookie_set(blocked)
    assert SESSION_COOKIE not in browser_like.cookies
    # Another account from the same address is blocked as well: the limit is per IP.
    other = await _post_login(browser_like, tenant.agent2.user.email, PASSWORD)
    assert other.status_code == 429


async def test_ip_throttle_applies_to_unknown_emails(
    settings: Settings, browser_like: httpx.AsyncClient
) -> None:
    for _ in range(settings.login_ip_limit):
        guess = await _post_login(browser_like, f"x-{uuid.uuid4().hex}@example.com", "guess")
        assert guess.status_code == 401
    blocked = await _post_login(browser_like, f"x-{uuid.uuid4().hex}@example.com", "guess")
    assert blocked.status_code == 429
    assert "retry-after" in blocked.headers


@pytest.fixture
def lenient_ip_server(settings: Settings) -> Iterator[LiveServer]:
    """The same database behind a server whose per-IP limit is out of reach, so the per-account
    limit (which the shared 127.0.0.1 would otherwise shadow) can be reached."""
    server = LiveServer(settings.with_overrides(login_ip_limit=10_000))
    server.start()
    yield server
    server.stop()


async def test_account_throttle_refuses_the_right_password(
    tenant: Tenant, settings: Settings, lenient_ip_server: LiveServer
) -> None:
    email = tenant.agent.user.email
    async with httpx.AsyncClient(base_url=lenient_ip_server.url, timeout=30) as client:
        for attempt in range(settings.login_account_limit):
            # Vary the spelling: the count is per account, not per string typed.
            spelled = email.upper() if attempt % 2 else email
            wrong = await _post_login(client, spelled, f"guess-{attempt}")
            assert wrong.status_code == 401, f"attempt {attempt + 1}: {wrong.status_code}"
        blocked = await _post_login(client, email, PASSWORD)
        assert blocked.status_code == 429, blocked.text
        retry_after = int(blocked.headers["retry-after"])
        assert 0 < retry_after <= settings.login_account_window_s
        assert not _session_cookie_set(blocked)
        # Only that account is locked: a colleague signs in from the same address.
        colleague = await _post_login(client, tenant.agent2.user.email, PASSWORD)
        assert colleague.status_code == 303, colleague.text


async def test_success_resets_the_account_count(
    tenant: Tenant, settings: Settings, lenient_ip_server: LiveServer
) -> None:
    email = tenant.agent.user.email
    async with httpx.AsyncClient(base_url=lenient_ip_server.url, timeout=30) as client:
        for _ in range(settings.login_account_limit - 1):
            assert (await _post_login(client, email, "guess")).status_code == 401
        assert (await _post_login(client, email, PASSWORD)).status_code == 303
        client.cookies.clear()
        for _ in range(settings.login_account_limit - 1):
            assert (await _post_login(client, email, "guess")).status_code == 401
        assert (await _post_login(client, email, PASSWORD)).status_code == 303


# --- signing out --------------------------------------------------------------------------------


async def test_sign_out_needs_the_session_csrf_token(
    tenant: Tenant, browser_like: httpx.AsyncClient
) -> None:
    await _sign_in(browser_like, tenant.agent.user.email)
    home = await browser_like.get("/")
    csrf = _hidden(home.text, "csrf_token")

    for form in (
        {},
        {"csrf_token": ""},
        {"csrf_token": csrf[:-1] + ("x" if csrf[-1] != "x" else "y")},
    ):
        refused = await browser_like.post("/logout", data=form)
        assert refused.status_code == 403, form
        assert (await browser_like.get("/")).status_code == 200
        assert (await browser_like.get("/api/v1/me")).status_code == 200


async def test_sign_out_ends_the_session_server_side(
    tenant: Tenant, browser_like: httpx.AsyncClient, live_server: LiveServer
) -> None:
    token = await _sign_in(browser_like, tenant.agent.user.email)
    csrf = _hidden((await browser_like.get("/")).text, "csrf_token")

    response = await browser_like.post("/logout", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    cleared = _set_cookies(response, SESSION_COOKIE)
    assert cleared
    assert all(c.get("max-age") == "0" and c.get("path") == "/" for c in cleared)

    # The old cookie, replayed by someone who kept it, authenticates nothing any more.
    async with httpx.AsyncClient(
        base_url=live_server.url, cookies={SESSION_COOKIE: token}, timeout=30
    ) as replay:
        assert (await replay.get("/api/v1/me")).status_code == 401
        home = await replay.get("/", follow_redirects=False)
        assert home.status_code == 303
        assert home.headers["location"] == "/login"
        assert (await replay.get("/login", follow_redirects=False)).status_code == 200


async def test_sign_out_leaves_other_sessions_alone(
    tenant: Tenant, browser_like: httpx.AsyncClient
) -> None:
    await _sign_in(browser_like, tenant.agent.user.email)
    csrf = _hidden((await browser_like.get("/")).text, "csrf_token")
    assert (await browser_like.post("/logout", data={"csrf_token": csrf})).status_code == 303
    # The factory's session for the same user (another device) still works.
    assert (await tenant.agent.client.get("/api/v1/me")).status_code == 200


async def test_home_without_session_redirects_to_login(browser_like: httpx.AsyncClient) -> None:
    response = await browser_like.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    browser_like.cookies.set(SESSION_COOKIE, "not-a-real-session")
    response = await browser_like.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


async def test_expired_session_redirects_to_login(
    tenant: Tenant, db: Database, browser_like: httpx.AsyncClient
) -> None:
    await _sign_in(browser_like, tenant.agent2.user.email)
    async with db.transaction() as session:
        await session.execute(
            update(WebSession)
            .where(WebSession.user_id == tenant.agent2.user.id, WebSession.ip == "127.0.0.1")
            .where(WebSession.user_agent != "pytest")
            .values(expires_at=clock.now() - timedelta(seconds=1))
        )
    response = await browser_like.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert (await browser_like.get("/api/v1/me")).status_code == 401


# --- headers ------------------------------------------------------------------------------------


def _assert_security_headers(response: httpx.Response) -> None:
    csp = response.headers.get("content-security-policy", "")
    directives = {
        d.strip().split(" ", 1)[0]: d.strip().partition(" ")[2] for d in csp.split(";") if d.strip()
    }
    assert directives.get("script-src") == "'self'", csp
    assert "'unsafe-inline'" not in csp
    assert "'unsafe-eval'" not in csp
    assert directives.get("frame-ancestors") == "'none'", csp
    assert response.headers.get("x-content-type-options") == "nosniff"
    assert response.headers.get("x-frame-options") == "DENY"


async def test_security_headers_on_pages(tenant: Tenant, browser_like: httpx.AsyncClient) -> None:
    _assert_security_headers(await browser_like.get("/login"))
    _assert_security_headers(await browser_like.get("/"))  # the redirect, too
    wrong = await _post_login(browser_like, tenant.agent.user.email, "nope")
    _assert_security_headers(wrong)
    await _sign_in(browser_like, tenant.agent.user.email)
    home = await browser_like.get("/")
    assert home.status_code == 200
    _assert_security_headers(home)
    forbidden = await browser_like.post("/logout", data={"csrf_token": "wrong"})
    assert forbidden.status_code == 403
    _assert_security_headers(forbidden)
    _assert_security_headers(await browser_like.get("/static/parley.css"))


async def test_pages_name_an_icon_that_loads(browser_like: httpx.AsyncClient) -> None:
    """Browsers fetch an icon for every page: a 404 there is an error in every console."""
    page = (await browser_like.get("/login")).text
    link = re.search(r'<link rel="(?:shortcut )?icon"[^>]*href="([^"]+)"', page)
    if link is None:
        icon = await browser_like.get("/favicon.ico")
        assert icon.status_code == 200, "no <link rel=icon> and GET /favicon.ico is not found"
    elif not link.group(1).startswith("data:"):
        icon = await browser_like.get(html.unescape(link.group(1)))
        assert icon.status_code == 200, link.group(1)


async def test_reflected_email_is_escaped(browser_like: httpx.AsyncClient) -> None:
    probe = '"><img src=x onerror=alert(1)>'
    response = await _post_login(browser_like, probe, "whatever")
    assert response.status_code == 401
    assert "<img src=x" not in response.text
    assert 'value="&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"' in response.text
