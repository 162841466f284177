"""The `audiofn` command: run the local system, and talk to a running one.

audiofn run                  start everything from template.yaml (what `make run` does)
audiofn create-org NAME      create an organisation through the admin API
audiofn reset-data           forget the local S3, SQS and DynamoDB state (keeps the keys)
audiofn redrive-dlq DLQ      move a dead-letter queue's messages back to their queue
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
URL_HELP = (
    "base URL of the API (default: AUDIOFN_URL, else the local runtime on AUDIOFN_PORT "
    "or 3000, http://127.0.0.1:<port>)"
)


def default_url() -> str:
    """AUDIOFN_URL, else the local runtime on AUDIOFN_PORT (what `make run` listens on)."""
    if os.environ.get("AUDIOFN_URL"):
        return os.environ["AUDIOFN_URL"]
    port = os.environ.get("AUDIOFN_PORT", "").strip()
    return f"http://127.0.0.1:{port}" if port else DEFAULT_URL


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
    org.add_argument("--url", default=default_url(), help=URL_HELP)
    org.add_argument(
        "--admin-key",
        default=os.environ.get("AUDIOFN_ADMIN_KEY"),
        help="admin key (default: AUDIOFN_ADMIN_KEY)",
    )

    reset = commands.add_parser(
        "reset-data",
        help="delete the local runtime's S3, SQS and DynamoDB state (stop the runtime first)",
    )
    reset.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="the data directory (default: AUDIOFN_DATA_DIR, else ./.audiofn-data)",
    )
    reset.add_argument(
        "--all",
        action="store_true",
        help="delete the whole data directory, the saved keys included",
    )
    reset.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")

    redrive = commands.add_parser(
        "redrive-dlq", help="move a dead-letter queue's messages back to the queue it serves"
    )
    redrive.add_argument("dlq", help="DLQ URL, or a local runtime's logical id (SpeechDLQ)")
    redrive.add_argument("--to", help="target queue URL (default: the queue the DLQ serves)")
    redrive.add_argument("--limit", type=int, help="move at most this many messages")
    redrive.add_argument("--url", default=default_url(), help=URL_HELP)
    provenance = commands.add_parser(
        "provenance",
        help="verify a master's content credentials (C2PA) and print its manifest",
    )
    provenance.add_argument("file", type=Path, help="a WAV, MP3, FLAC or M4A file")
    return parser


def provenance_command(args: argparse.Namespace) -> int:
    """Exit 0 when the file's credentials verify, 1 when they do not (or it has none)."""
    from audiofn.provenance import MIME_TYPES, verify

    fmt = args.file.suffix.lower().lstrip(".")
    if fmt not in MIME_TYPES:
        print(f"audiofn: {args.file.name}: not one of {', '.join(MIME_TYPES)}", file=sys.stderr)
        return 2
    try:
        data = args.file.read_bytes()
    except OSError as error:
        print(f"audiofn: {error}", file=sys.stderr)
        return 2
    result = verify(data, fmt)
    print(json.dumps(result, indent=2, default=str))
    return 0 if result["valid"] else 1


def redrive_command(args: argparse.Namespace) -> int:
    """DLQ given as a queue URL (AWS, default credentials) or as the template's logical id of
    a running local runtime's queue (`SpeechDLQ`), looked up through its /health."""
    from audiofn.storage import aws
    from audiofn.storage.redrive import redrive, source_queues

    dlq = args.dlq
    if not dlq.startswith(("http://", "https://")):
        try:
            local = httpx.get(f"{args.url.rstrip('/')}/health", timeout=10).json().get("aws", {})
        except (httpx.HTTPError, ValueError) as error:
            print(f"audiofn: cannot reach {args.url}: {error}", file=sys.stderr)
            return 1
        queues = local.get("queues", {})
        if dlq not in queues:
            print(
                f"audiofn: no queue {dlq!r}; queues: {', '.join(sorted(queues))}", file=sys.stderr
            )
            return 2
        os.environ["AWS_ENDPOINT_URL"] = local["endpointUrl"]
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
        aws.reset_clients()
        dlq = queues[dlq]
    targets = [args.to] if args.to else source_queues(dlq)
    if len(targets) != 1:
        print(
            f"audiofn: {len(targets)} queues feed this DLQ; choose one with --to",
            file=sys.stderr,
        )
        return 2
    moved = redrive(dlq, targets[0], args.limit)
    print(json.dumps({"moved": moved, "from": dlq, "to": targets[0]}))
    return 0


def reset_data_command(args: argparse.Namespace) -> int:
    import shutil

    from audiofn_local.keys import KEYS_FILE
    from audiofn_local.settings import DEFAULT_DATA_DIR
    from audiofn_local.state_store import (
        LOCK_FILE,
        STATE_FILE,
        data_dir_holder,
        remove_state,
        state_files,
    )

    ours = {KEYS_FILE, LOCK_FILE, "runtime.log"}
    ours |= {STATE_FILE + suffix for suffix in ("", "-wal", "-shm", "-journal")}

    data_dir = (
        args.data_dir or Path(os.environ.get("AUDIOFN_DATA_DIR") or DEFAULT_DATA_DIR)
    ).resolve()
    if not data_dir.is_dir():
        print(f"audiofn: {data_dir} does not exist; nothing to reset")
        return 0
    holder = data_dir_holder(data_dir)
    if holder is not None:
        print(
            f"audiofn: a runtime (pid {holder}) is using {data_dir}; stop it first",
            file=sys.stderr,
        )
        return 1
    what = "everything (keys included) in" if args.all else "the S3, SQS and DynamoDB state in"
    if not args.yes:
        if not sys.stdin.isatty():
            print(f"audiofn: this deletes {what} {data_dir}; add --yes", file=sys.stderr)
            return 2
        answer = input(f"Delete {what} {data_dir}? [y/N] ")
        if answer.strip().lower() not in {"y", "yes"}:
            return 1
    if args.all:
        others = sorted(p.name for p in data_dir.iterdir() if p.name not in ours)
        if others:
            # Not (only) ours: AUDIOFN_DATA_DIR may point somewhere it should not.
            print(
                f"audiofn: {data_dir} holds files the runtime did not write "
                f"({', '.join(others[:5])}); not deleting it",
                file=sys.stderr,
            )
            return 1
        shutil.rmtree(data_dir)
        print(f"removed {data_dir}")
        return 0
    if not state_files(data_dir):
        print(f"no local state in {data_dir}")
        return 0
    for path in remove_state(data_dir):
        print(f"removed {path}")
    return 0


def run_command(args: argparse.Namespace) -> int:
    # Imported here: the local extra (moto, uvicorn) is not needed for the other commands.
    from audiofn_local.intrinsics import TemplateError
    from audiofn_local.keys import BootstrapError
    from audiofn_local.logs import ROOT_LOGGER
    from audiofn_local.runtime import LocalRuntime
    from audiofn_local.settings import RuntimeSettings
    from audiofn_local.state_store import StateFormatError

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
    except (
        BootstrapError,
        StateFormatError,
        TemplateError,
        FileNotFoundError,
        OSError,
        ValueError,
    ) as error:
        print(f"audiofn: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    # Everything is saved and every worker joined once run() returns: skip the interpreter's
    # teardown of the loaded models and native libraries, which takes seconds and saves nothing.
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(0)


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
    if args.command == "reset-data":
        return reset_data_command(args)
    if args.command == "redrive-dlq":
        return redrive_command(args)
    if args.command == "provenance":
        return provenance_command(args)
    return create_org_command(args)


if __name__ == "__main__":
    sys.exit(main())
