"""The local runtime answers unsigned requests (moto takes any key): it is single-tenant and
must be reachable from this machine only."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from audiofn_local.aws_server import LocalAws


def listening_addresses(port: int) -> set[str]:
    """Addresses with a socket listening on `port`, read from the kernel's tables."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if int(hex_port, 16) != port or fields[3] != "0A":  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address)
            if width == 8:
                found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
            else:
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


def outward_address() -> str | None:
    """This machine's address on its default route, if it has one (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def test_the_local_moto_listens_on_loopback_only() -> None:
    if not Path("/proc/net/tcp").exists():
        pytest.skip("no /proc/net/tcp to read listening sockets from")
    aws = LocalAws()
    aws.start()
    try:
        assert aws.endpoint_url.startswith("http://127.0.0.1:")
        assert listening_addresses(aws.port) == {"127.0.0.1"}
        outward = outward_address()
        if outward is not None:
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection((outward, aws.port), timeout=2).close()
    finally:
        aws.stop()
