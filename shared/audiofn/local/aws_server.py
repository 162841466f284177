"""moto's server on loopback, standing in for S3, SQS and DynamoDB, with the template inside.

One small class owns the server's life and the provisioning, so durable state can be added
in one place: moto's backends live in this process (`moto.backends`), and a later change can
restore them from `data_dir` before `provision` and save them in `stop`.
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from moto.server import ThreadedMotoServer

from audiofn.local.logs import runtime_logger
from audiofn.local.naming import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, REGION
from audiofn.local.provisioning import provision
from audiofn.local.resources import LocalResources
from audiofn.local.template_model import Template

LOG = runtime_logger(__name__)
LOOPBACK = "127.0.0.1"


class LocalAws:
    """Start moto on 127.0.0.1, provision a template into it, hand out clients, stop it."""

    def __init__(self, port: int = 0, data_dir: Path | None = None, region: str = REGION):
        self.port = port  # 0: the OS picks a free port
        self.data_dir = data_dir  # where durable state will live; unused until persistence
        self.region = region
        self._server: ThreadedMotoServer | None = None
        self._endpoint_url: str | None = None

    @property
    def endpoint_url(self) -> str:
        if self._endpoint_url is None:
            raise RuntimeError("the local AWS server is not started")
        return self._endpoint_url

    def start(self) -> str:
        """Start the server; return its endpoint URL."""
        # werkzeug logs every request at INFO; the runtime logs invocations instead.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        if self.port:
            _check_port_free(self.port)  # moto's start() would wait forever on a busy port
        server = ThreadedMotoServer(ip_address=LOOPBACK, port=self.port, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        self._server = server
        self.port = port
        self._endpoint_url = f"http://{host}:{port}"
        LOG.debug("moto server on %s", self._endpoint_url)
        return self._endpoint_url

    def client(self, service: str) -> Any:
        """A boto3 client for the local server that never looks at the caller's credentials."""
        session = boto3.session.Session(
            aws_access_key_id=FAKE_ACCESS_KEY_ID,
            aws_secret_access_key=FAKE_SECRET_ACCESS_KEY,
            region_name=self.region,
        )
        config = Config(retries={"max_attempts": 2, "mode": "standard"})
        return session.client(service, endpoint_url=self.endpoint_url, config=config)

    def provision(self, template: Template) -> LocalResources:
        """Create (or keep) every queue, bucket and table of the template."""
        return provision(template, self.client, self.endpoint_url, self.region)

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError as error:
            raise OSError(
                f"cannot use {LOOPBACK}:{port} for moto ({error.strerror}); set AUDIOFN_AWS_PORT"
            ) from error
