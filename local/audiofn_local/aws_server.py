"""moto's server on loopback, standing in for S3, SQS and DynamoDB, with the template inside.

One small class owns the server's life, the durable state and the provisioning. With a data
directory, `start()` locks the directory (one runtime per directory), opens its state file,
serves moto's app behind `durable_moto.DurableMotoApp` (every answered write is saved first)
and restores the saved buckets, queues, tables, objects, messages and items before anything
else can call it; `provision` then only adds what the template gained. `stop()` stops the
server and closes the state file. Without a data directory (the in-process tests) moto keeps
its state in memory only, as before.
"""

from __future__ import annotations

import logging
import socket
import threading
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from audiofn_local.durable_moto import DurableMotoApp, ObjectsChanged
from audiofn_local.logs import runtime_logger
from audiofn_local.moto_state import MotoState, RestoreSummary, reset_moto
from audiofn_local.naming import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, REGION
from audiofn_local.provisioning import provision
from audiofn_local.resources import LocalResources
from audiofn_local.state_store import STATE_FILE, DataDirLock, StateStore
from audiofn_local.template_model import Template

LOG = runtime_logger(__name__)
LOOPBACK = "127.0.0.1"


class LocalAws:
    """Start moto on 127.0.0.1 (restoring `data_dir`'s state), provision, hand out clients."""

    def __init__(self, port: int = 0, data_dir: Path | None = None, region: str = REGION):
        self.port = port  # 0: the OS picks a free port
        self.data_dir = data_dir  # None: state in memory only
        self.region = region
        self.state: MotoState | None = None
        self.restored: RestoreSummary | None = None
        self._lock: DataDirLock | None = None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._endpoint_url: str | None = None
        self._clients: dict[tuple[str, str], Any] = {}
        self._clients_lock = threading.Lock()
        self._durable_app: DurableMotoApp | None = None

    @property
    def endpoint_url(self) -> str:
        if self._endpoint_url is None:
            raise RuntimeError("the local AWS server is not started")
        return self._endpoint_url

    @property
    def state_path(self) -> Path | None:
        return None if self.data_dir is None else self.data_dir / STATE_FILE

    def start(self) -> str:
        """Start the server (and restore the saved state); return its endpoint URL."""
        # werkzeug logs every request at INFO; the runtime logs invocations instead.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        if self.port:
            _check_port_free(self.port)
        app: Any = DomainDispatcherApplication(create_backend_app)
        if self.data_dir is not None:
            self._lock = DataDirLock(self.data_dir)
            self._lock.acquire()
            try:
                store = StateStore.open(self.data_dir / STATE_FILE)
            except BaseException:
                self._lock.release()
                raise
            # This process's moto holds exactly what the data directory holds.
            reset_moto()
            self.state = MotoState(store, self._regional_client, self.region)
            app = self._durable_app = DurableMotoApp(app, self.state)
        server = make_server(
            LOOPBACK, self.port, app, threaded=True, request_handler=MotoRequestHandler
        )
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.5,), name="moto-server", daemon=True
        )
        self._thread.start()
        self.port = int(server.server_address[1])
        self._endpoint_url = f"http://{LOOPBACK}:{self.port}"
        LOG.debug("moto server on %s", self._endpoint_url)
        if self.state is not None:
            try:
                self.restored = self.state.restore()
            except BaseException:
                self.stop()
                raise
            for problem in self.restored.problems:
                LOG.warning("not restored: %s", problem)
            if not self.restored.empty:
                LOG.info(
                    "restored %s from %s in %.2f s",
                    self.restored.describe(),
                    self.state_path,
                    self.restored.seconds,
                )
            if self.restored.delivered_before:
                LOG.info(
                    "%d restored messages had been received before the stop (in flight, or "
                    "to be retried); they are delivered again",
                    self.restored.delivered_before,
                )
        return self._endpoint_url

    def watch_objects(self, callback: ObjectsChanged) -> bool:
        """Call `callback(bucket, key)` after each answered S3 write (key None: any key of
        the bucket may have changed). False when writes cannot be watched (no data
        directory), and the caller has to look for changes itself."""
        if self._durable_app is None:
            return False
        self._durable_app.on_objects_changed.append(callback)
        return True

    def client(self, service: str) -> Any:
        """A boto3 client for the local server that never looks at the caller's credentials."""
        return self._regional_client(service, self.region)

    def _regional_client(self, service: str, region: str) -> Any:
        """Made once per service and region (clients are thread-safe; making one is slow)."""
        with self._clients_lock:
            cached = self._clients.get((service, region))
            if cached is None or cached.meta.endpoint_url != self.endpoint_url:
                session = boto3.session.Session(
                    aws_access_key_id=FAKE_ACCESS_KEY_ID,
                    aws_secret_access_key=FAKE_SECRET_ACCESS_KEY,
                    region_name=region,
                )
                config = Config(retries={"max_attempts": 2, "mode": "standard"})
                cached = session.client(service, endpoint_url=self.endpoint_url, config=config)
                self._clients[(service, region)] = cached
            return cached

    def provision(self, template: Template) -> LocalResources:
        """Create (or keep) every queue, bucket and table of the template."""
        return provision(template, self.client, self.endpoint_url, self.region)

    def stop(self) -> None:
        """Stop serving, then close the state file (writes still running get a 503)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        if self.state is not None:
            self.state.close()
            self.state = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError as error:
            raise OSError(
                f"cannot use {LOOPBACK}:{port} for moto ({error.strerror}); set AUDIOFN_AWS_PORT"
            ) from error
