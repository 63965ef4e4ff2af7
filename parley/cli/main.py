"""The ``parley`` command line. Each command is an edge: it owns its transaction."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import secrets
import sys
from collections.abc import Sequence

from parley.config import ConfigError, Settings, load_settings


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise SystemExit(f"parley: configuration error: {exc}") from None


def cmd_migrate(args: argparse.Namespace) -> int:
    from parley.db.migrate import upgrade_sync

    settings = _settings()
    upgrade_sync(settings.database_url)
    print(f"database is up to date ({_describe(settings.database_url)})", file=sys.stderr)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from parley.app import create_app
    from parley.db.migrate import upgrade_sync

    settings = _settings()
    host = args.host or settings.host
    port = args.port or settings.port
    settings = settings.with_overrides(host=host, port=port)
    upgrade_sync(settings.database_url)
    if args.demo:
        from parley.demo.seed import seed_demo_sync

        print(seed_demo_sync(settings, base_url=f"http://{host}:{port}"))
    print(
        f"Parley is serving on http://{host}:{port}  "
        f"(database: {_describe(settings.database_url)}, hub: {settings.redis_url})",
        file=sys.stderr,
    )
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level=settings.log_level,
        proxy_headers=False,
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from parley.db.migrate import upgrade_sync
    from parley.demo.seed import seed_demo_sync

    settings = _settings()
    upgrade_sync(settings.database_url)
    print(seed_demo_sync(settings, base_url=f"http://{settings.host}:{settings.port}"))
    return 0


def cmd_user_create(args: argparse.Namespace) -> int:
    from parley.access import access_organization_by_slug
    from parley.actions.organizations import do_add_member, do_create_user, user_by_email
    from parley.db.engine import Database
    from parley.models.enums import Role
    from parley.security.passwords import Passwords

    settings = _settings()
    generated = False
    if sys.stdin.isatty():
        password = getpass.getpass("Password (leave empty to generate one): ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    if not password:
        password, generated = secrets.token_urlsafe(12), True

    async def run() -> None:
        db = Database(settings.database_url)
        try:
            async with db.transaction() as session:
                org = await access_organization_by_slug(session, slug=args.org)
                user = await user_by_email(session, args.email)
                if user is None:
                    user = await do_create_user(
                        session,
                        email=args.email,
                        name=args.name or args.email.split("@")[0],
                        password=password,
                        passwords=Passwords.from_settings(settings),
                    )
                await do_add_member(
                    session, organization_id=org.id, user_id=user.id, role=Role(args.role)
                )
        finally:
            await db.dispose()

    _run_action(run)
    print(f"created {args.role} {args.email} in {args.org}", file=sys.stderr)
    if generated:
        print(f"password: {password}")
    return 0


def cmd_apikey_create(args: argparse.Namespace) -> int:
    from parley.access import access_organization_by_slug
    from parley.actions.organizations import do_create_api_key
    from parley.db.engine import Database
    from parley.models.enums import Role

    settings = _settings()
    secret: list[str] = []

    async def run() -> None:
        db = Database(settings.database_url)
        try:
            async with db.transaction() as session:
                org = await access_organization_by_slug(session, slug=args.org)
                _, key = await do_create_api_key(
                    session, organization_id=org.id, name=args.name, role=Role(args.role)
                )
                secret.append(key)
        finally:
            await db.dispose()

    _run_action(run)
    print(secret[0])
    return 0


def cmd_bench_kb(args: argparse.Namespace) -> int:
    import json

    from parley.bench.kb import Config, run_sync

    try:
        sizes = tuple(int(n) for n in args.sizes.split(","))
    except ValueError:
        raise SystemExit("parley: --sizes is a comma-separated list of numbers") from None
    if not sizes or any(n < 1 for n in sizes) or list(sizes) != sorted(sizes):
        raise SystemExit("parley: --sizes must be positive and increasing")
    config = Config(
        sizes=sizes,
        queries=args.queries,
        runs=args.runs,
        lexical_only=args.lexical_only,
        database_url=args.database_url,
    )
    print(json.dumps(run_sync(config), indent=2))
    return 0


def cmd_bench_routing(args: argparse.Namespace) -> int:
    import json

    from parley.bench.routing import Config, run_sync

    try:
        sizes = tuple(int(n) for n in args.waiting.split(","))
    except ValueError:
        raise SystemExit("parley: --waiting is a comma-separated list of numbers") from None
    if not sizes or any(n < 1 for n in sizes) or list(sizes) != sorted(sizes):
        raise SystemExit("parley: --waiting sizes must be positive and increasing")
    config = Config(
        agents=args.agents,
        sizes=sizes,
        decisions=args.decisions,
        batch=args.batch,
        runs=args.runs,
        pure_decisions=args.pure_decisions,
        database_url=args.database_url,
    )
    print(json.dumps(run_sync(config), indent=2))
    return 0


def _run_action(run: object) -> None:
    from parley.errors import ParleyError

    try:
        asyncio.run(run())  # type: ignore[operator]
    except ParleyError as exc:
        raise SystemExit(f"parley: {exc.message}") from None


def _describe(url: str) -> str:
    if url.startswith("sqlite"):
        return "SQLite " + url.split(":///", 1)[1]
    return "PostgreSQL " + url.rsplit("@", 1)[-1]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="parley", description="Parley interaction hub")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate if needed, then serve HTTP and WebSocket")
    serve.add_argument("--host", help="overrides PARLEY_HOST")
    serve.add_argument("--port", type=int, help="overrides PARLEY_PORT")
    serve.add_argument("--demo", action="store_true", help="seed the demo organization first")
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="bring the database schema up to date").set_defaults(
        func=cmd_migrate
    )
    sub.add_parser("demo", help="seed the demo organization (safe to repeat)").set_defaults(
        func=cmd_demo
    )

    user = sub.add_parser("user", help="manage users").add_subparsers(
        dest="user_cmd", required=True
    )
    create = user.add_parser("create", help="create a user (password from stdin, or generated)")
    create.add_argument("--org", required=True, help="organization slug")
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=["admin", "supervisor", "agent"])
    create.add_argument("--name", help="display name (default: the email's local part)")
    create.set_defaults(func=cmd_user_create)

    apikey = sub.add_parser("apikey", help="manage API keys").add_subparsers(
        dest="apikey_cmd", required=True
    )
    key = apikey.add_parser("create", help="create an API key and print it alone on stdout")
    key.add_argument("--org", required=True, help="organization slug")
    key.add_argument("--name", default="API key")
    key.add_argument("--role", default="admin", choices=["admin", "supervisor", "agent"])
    key.set_defaults(func=cmd_apikey_create)

    bench = sub.add_parser("bench", help="benchmarks (JSON on stdout, see docs/benchmarks.md)")
    benches = bench.add_subparsers(dest="bench_cmd", required=True)
    routing = benches.add_parser(
        "routing", help="routing decisions per second as the queue grows, against a raw baseline"
    )
    routing.add_argument(
        "--database-url",
        help="also run on this PostgreSQL (a scratch database: it is migrated and written to)",
    )
    routing.add_argument("--agents", type=int, default=1_000)
    routing.add_argument(
        "--waiting", default="1000,10000,100000", help="queue sizes to time, comma-separated"
    )
    routing.add_argument("--decisions", type=int, default=400, help="assignments per timed batch")
    routing.add_argument("--batch", type=int, default=200, help="route_queue's limit")
    routing.add_argument("--runs", type=int, default=3)
    routing.add_argument("--pure-decisions", type=int, default=2_000)
    routing.set_defaults(func=cmd_bench_routing)
    kb = benches.add_parser(
        "kb", help="knowledge-base search latency at 1k/10k/100k chunks, against raw FTS"
    )
    kb.add_argument(
        "--database-url",
        help="also run on this PostgreSQL (a scratch database: it is migrated and written to)",
    )
    kb.add_argument("--sizes", default="1000,10000,100000", help="chunk counts, comma-separated")
    kb.add_argument("--queries", type=int, default=200, help="questions timed per size and run")
    kb.add_argument("--runs", type=int, default=2)
    kb.add_argument("--lexical-only", action="store_true", help="without the static model")
    kb.set_defaults(func=cmd_bench_kb)

    from parley.cli.eval import register as register_eval

    register_eval(sub)
    from parley.cli.procedures import register as register_procedures

    register_procedures(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result
