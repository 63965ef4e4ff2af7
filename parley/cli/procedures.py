"""``parley procedures``: test procedure files offline, import them into an organization."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any


def cmd_test(args: argparse.Namespace) -> int:
    from parley.automation.procedures.testing import format_report, run_paths

    paths = [Path(p) for p in args.paths]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise SystemExit(f"parley: no such file or folder: {', '.join(missing)}")
    reports = run_paths(paths)
    if not reports:
        raise SystemExit("parley: no procedure files (.yaml, .yml, .json) found")
    print(format_report(reports, verbose=args.verbose))
    return 0 if all(r.passed for r in reports) else 1


def cmd_import(args: argparse.Namespace) -> int:
    from parley.access import access_organization_by_slug
    from parley.actors import Actor
    from parley.automation.procedures.store import do_import_procedures
    from parley.automation.procedures.testing import procedure_files
    from parley.cli.main import _settings
    from parley.db.engine import Database
    from parley.errors import ParleyError

    settings = _settings()
    files = [f for p in args.paths for f in procedure_files(Path(p))]
    if not files:
        raise SystemExit("parley: no procedure files (.yaml, .yml, .json) found")
    sources = [(str(f), f.read_text(encoding="utf-8")) for f in files]
    saved: list[Any] = []

    async def run() -> None:
        db = Database(settings.database_url)
        try:
            async with db.transaction() as session:
                org = await access_organization_by_slug(session, slug=args.org)
                rows = await do_import_procedures(
                    session,
                    actor=Actor.system(org.id, "parley procedures import"),
                    files=sources,
                    active=not args.inactive,
                    allow_private=settings.webhooks_allow_private,
                )
                saved.extend((r.name, r.version) for r in rows)
        finally:
            await db.dispose()

    try:
        asyncio.run(run())
    except ParleyError as exc:
        details = "".join(f"\n    {k}: {v}" for k, v in exc.fields.items())
        raise SystemExit(f"parley: {exc.message}{details}") from None
    for name, version in saved:
        print(f"imported {name} (version {version})", file=sys.stderr)
    return 0


def register(sub: Any) -> None:
    """Add ``parley procedures ...`` to the main parser's subcommands."""
    procedures = sub.add_parser("procedures", help="agent operating procedures (AOPs)")
    commands = procedures.add_subparsers(dest="procedures_cmd", required=True)
    test = commands.add_parser(
        "test", help="run the tests inside procedure files offline (exit 1 on failure)"
    )
    test.add_argument("paths", nargs="+", help="procedure files or folders of them")
    test.add_argument("-v", "--verbose", action="store_true", help="show every transcript")
    test.set_defaults(func=cmd_test)
    load = commands.add_parser("import", help="validate and store procedure files (all or none)")
    load.add_argument("paths", nargs="+", help="procedure files or folders of them")
    load.add_argument("--org", required=True, help="organization slug")
    load.add_argument("--inactive", action="store_true", help="store them switched off")
    load.set_defaults(func=cmd_import)
