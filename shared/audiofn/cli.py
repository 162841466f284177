"""The `audiofn` command: run the local system, and talk to a running one.

audiofn run                  start everything from template.yaml (what `make run` does)
audiofn create-org NAME      create an organisation through the admin API
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

import httpx

DEFAULT_URL = "http://127.0.0.1:3000"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="audiofn", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="start the local runtime (moto, gateway, pollers)")
    run.add_argument(
        "--template",
        type=Path,
        help="template path (default: AUDIOFN_TEMPLATE, "
        "else template.yaml in this directory or a parent)",
    )
    run.add_argument("--port", type=int, help="HTTP port (default: AUDIOFN_PORT or 3000)")
    run.add_argument(
        "--no-bootstrap",
        action="store_true",
        help="skip keys and the default organisation (for templates that do not use them)",
    )
    run.add_argument("--log-level", default="INFO", help="log level of the runtime (INFO)")

    org = commands.add_parser("create-org", help="create an organisation; prints its API key")
    org.add_argument("name", help="the organisation's name")
    org.add_argument("--url", default=os.environ.get("AUDIOFN_URL", DEFAULT_URL))
    org.add_argument(
        "--admin-key",
        default=os.environ.get("AUDIOFN_ADMIN_KEY"),
        help="admin key (default: AUDIOFN_ADMIN_KEY)",
    )
    return parser


def run_command(args: argparse.Namespace) -> int:
    # Imported here: the local extra (moto, uvicorn) is not needed for the other commands.
    from audiofn.local.intrinsics import TemplateError
    from audiofn.local.keys import BootstrapError
    from audiofn.local.logs import ROOT_LOGGER
    from audiofn.local.runtime import LocalRuntime
    from audiofn.local.settings import RuntimeSettings

    log_format = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    logging.basicConfig(level=logging.WARNING, format=log_format)
    # The runtime's logger gets its own handler: Powertools' Logger(service="audiofn") puts a
    # filter on the root handlers that drops every logger whose name contains "audiofn".
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(log_format))
    runtime_log = logging.getLogger(ROOT_LOGGER)
    runtime_log.addHandler(handler)
    runtime_log.setLevel(args.log_level.upper())
    runtime_log.propagate = False
    environ = dict(os.environ)
    if args.port is not None:
        environ["AUDIOFN_PORT"] = str(args.port)
    try:
        settings = RuntimeSettings.from_env(
            environ, template_path=args.template, bootstrap=not args.no_bootstrap
        )
        LocalRuntime(settings).run()
    except (BootstrapError, TemplateError, FileNotFoundError, OSError, ValueError) as error:
        print(f"audiofn: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


def create_org_command(args: argparse.Namespace) -> int:
    if not args.admin_key:
        print("audiofn: no admin key (use --admin-key or set AUDIOFN_ADMIN_KEY)", file=sys.stderr)
        return 2
    try:
        response = httpx.post(
            f"{args.url.rstrip('/')}/admin/orgs",
            json={"name": args.name},
            headers={"Authorization": f"Bearer {args.admin_key}"},
            timeout=30,
        )
    except httpx.HTTPError as error:
        print(f"audiofn: cannot reach {args.url}: {error}", file=sys.stderr)
        return 1
    try:
        body = response.json()
    except ValueError:
        body = {"status": response.status_code, "body": response.text}
    print(json.dumps(body, indent=2))
    return 0 if response.is_success else 1


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "run":
        return run_command(args)
    return create_org_command(args)


if __name__ == "__main__":
    sys.exit(main())
