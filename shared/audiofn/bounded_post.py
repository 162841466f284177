"""One HTTP POST with an overall deadline and a capped read, to an address already checked.

Webhook delivery needs only the receiver's status code, and must not let a receiver hold the
function: httpx's timeouts apply per phase (a receiver sending a byte every 5 s never trips a
10 s read timeout) and it reads the whole body. Here every wait (connect, TLS handshake,
send, receive) gets what is left of one deadline, at most `max_response_bytes` are read, and
the connection is closed as soon as the status line is in. HTTP framing is h11's (the
protocol library under httpx).
"""

from __future__ import annotations

import select
import socket
import ssl
import time

import h11

from audiofn.outbound import Target


class PostFailed(Exception):
    """No status code within the deadline (refused, reset, TLS error, too slow, not HTTP)."""


def _wait(sock: socket.socket, deadline: float, *, write: bool = False) -> None:
    left = deadline - time.monotonic()
    if left <= 0:
        raise PostFailed("deadline passed")
    readable, writable, _ = select.select(
        [] if write else [sock], [sock] if write else [], [], left
    )
    if not readable and not writable:
        raise PostFailed("deadline passed")


def _connect(target: Target, deadline: float, context: ssl.SSLContext | None) -> socket.socket:
    left = deadline - time.monotonic()
    if left <= 0:
        raise PostFailed("deadline passed")
    raw = socket.create_connection((target.address, target.port), timeout=left)
    raw.setblocking(False)
    if target.scheme != "https":
        return raw
    context = context or ssl.create_default_context()
    tls = context.wrap_socket(raw, server_hostname=target.host, do_handshake_on_connect=False)
    while True:
        try:
            tls.do_handshake()
            return tls
        except ssl.SSLWantReadError:
            _wait(tls, deadline)
        except ssl.SSLWantWriteError:
            _wait(tls, deadline, write=True)


def _send(sock: socket.socket, data: bytes, deadline: float) -> None:
    view = memoryview(data)
    while view:
        try:
            sent = sock.send(view)
        except (BlockingIOError, ssl.SSLWantWriteError):
            _wait(sock, deadline, write=True)
            continue
        except ssl.SSLWantReadError:
            _wait(sock, deadline)
            continue
        view = view[sent:]


def _receive(sock: socket.socket, limit: int, deadline: float) -> bytes:
    while True:
        try:
            return sock.recv(limit)
        except (BlockingIOError, ssl.SSLWantReadError):
            _wait(sock, deadline)
        except ssl.SSLWantWriteError:
            _wait(sock, deadline, write=True)


def post_with_deadline(
    target: Target,
    body: bytes,
    headers: dict[str, str],
    deadline_seconds: float,
    *,
    max_response_bytes: int = 4096,
    context: ssl.SSLContext | None = None,
) -> int:
    """POST `body` to the checked target and return the status code; PostFailed otherwise.
    TLS verifies the certificate against the target's host name (`context`: the system's
    trust store unless given)."""
    deadline = time.monotonic() + deadline_seconds
    connection = h11.Connection(h11.CLIENT, max_incomplete_event_size=max_response_bytes)
    request = h11.Request(
        method="POST",
        target=target.path,
        headers=[
            ("Host", target.host_header),
            ("Content-Length", str(len(body))),
            ("Connection", "close"),
            *headers.items(),
        ],
    )
    try:
        sock = _connect(target, deadline, context)
    except (OSError, ssl.SSLError) as exc:
        raise PostFailed(f"{type(exc).__name__}: {exc}") from exc
    try:
        _send(
            sock,
            connection.send(request)
            + connection.send(h11.Data(data=body))
            + connection.send(h11.EndOfMessage()),
            deadline,
        )
        received = 0
        while True:
            event = connection.next_event()
            if isinstance(event, h11.Response):
                return int(event.status_code)
            if isinstance(event, h11.ConnectionClosed):
                raise PostFailed("the receiver closed the connection without answering")
            if event is h11.NEED_DATA:
                if received >= max_response_bytes:
                    raise PostFailed(f"no status line in the first {max_response_bytes} bytes")
                chunk = _receive(sock, max_response_bytes - received, deadline)
                received += len(chunk)
                connection.receive_data(chunk)
    except (OSError, ssl.SSLError, h11.ProtocolError) as exc:
        raise PostFailed(f"{type(exc).__name__}: {exc}") from exc
    finally:
        sock.close()
