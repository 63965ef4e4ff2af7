"""The command line, run as a user would: a real process against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import LiveServer
from tests.factories import Tenant

PARLEY = [sys.executable, "-m", "parley"]


def run(
    args: list[str], database_url: str, cwd: Path, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env.update(
        PARLEY_DATABASE_URL=database_url,
        PARLEY_SECRET_KEY="cli-test-secret-0123456789",
        PARLEY_ARGON2_TIME_COST="1",
        PARLEY_ARGON2_MEMORY_KIB="8",
    )
    return subprocess.run(
        PARLEY + args,
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_migrate(database_url: str, tmp_path: Path) -> None:
    result = run(["migrate"], database_url, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "database is up to date" in result.stderr


async def test_apikey_create_prints_a_working_key_alone(
    database_url: str, tenant: Tenant, live_server: LiveServer, tmp_path: Path
) -> None:
    result = run(
        ["apikey", "create", "--org", tenant.org.slug, "--name", "Zapier"], database_url, tmp_path
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("pk_")
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {lines[0]}"})
    assert me.status_code == 200 and me.json()["organization_id"] == str(tenant.org.id)
    assert me.json()["name"] == "API key Zapier"


async def test_user_create_with_password_from_stdin_can_sign_in(
    database_url: str, tenant: Tenant, live_server: LiveServer, tmp_path: Path
) -> None:
    email = f"new-agent@{tenant.org.slug}.example"
    result = run(
        ["user", "create", "--org", tenant.org.slug, "--email", email, "--role", "agent"],
        database_url,
        tmp_path,
        stdin="a long enough password\n",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # nothing to print: the password was given
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        users = await client.get(
            "/api/v1/users", headers={"Authorization": f"Bearer {tenant.api_key}"}
        )
        assert any(u["email"] == email and u["role"] == "agent" for u in users.json())


def test_user_create_generates_and_prints_a_password(
    database_url: str, tenant: Tenant, tmp_path: Path
) -> None:
    result = run(
        [
            "user",
            "create",
            "--org",
            tenant.org.slug,
            "--email",
            f"gen@{tenant.org.slug}.example",
            "--role",
            "supervisor",
        ],
        database_url,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("password: ") and len(result.stdout.strip()) > 20


def test_errors_are_clear_and_nonzero(database_url: str, tmp_path: Path) -> None:
    missing = run(["apikey", "create", "--org", "no-such-org"], database_url, tmp_path)
    assert missing.returncode != 0 and "organization 'no-such-org' not found" in missing.stderr
    bad = run(["migrate"], "mysql://nope", tmp_path)
    assert bad.returncode != 0 and "configuration error" in bad.stderr
