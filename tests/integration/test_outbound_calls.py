"""Outbound calls: the service never calls into its own network, and a receiver cannot hold it.

Webhook URLs and the speech upstream meet one rule (`audiofn.outbound`), at registration and
again at each call; a delivery has one overall deadline and reads a few KB of the answer.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator

import pytest

from audiofn.outbound import OutboundPolicy, OutboundRefused
from tests.conftest import PUBLIC_TEST_ADDRESS, call_api, load_function

SSRF_FORMS = [
    ("http://127.0.0.1:5000/", "loopback"),
    ("https://127.0.0.1:5000/", "loopback"),
    ("http://169.254.169.254/latest/meta-data/iam/", "metadata"),
    ("https://[::1]/hook", "loopback"),
    ("https://[::ffff:127.0.0.1]/hook", "loopback"),
    ("https://0x7f000001/hook", "loopback"),
    ("https://2130706433/hook", "loopback"),
    ("https://localhost/hook", "loopback"),
    ("https://user:pass@10.0.0.1/hook", "user name or password"),
    ("https://10.0.0.1/hook", "private"),
    ("https://192.168.1.20/hook", "private"),
    ("https://100.64.0.1/hook", "private"),
    ("https://169.254.10.10/hook", "link-local"),
    ("https://[fe80::1]/hook", "link-local"),
    ("https://[fd00:ec2::254]/hook", "metadata"),
    ("https://224.0.0.1/hook", "multicast"),
    ("https://0.0.0.0/hook", "unspecified"),
    ("ftp://receiver.test/hook", "https://"),
    ("http://receiver.test/hook", "https://"),
    ("https://no-such-host.invalid/hook", "does not resolve"),
]


@pytest.fixture
def api(aws):
    return load_function("api")


@pytest.mark.parametrize(("url", "rule"), SSRF_FORMS)
def test_each_internal_url_is_refused_at_registration_naming_the_rule(
    api, lambda_context, org, public_names, url, rule
):
    status, body = call_api(api, lambda_context, "PUT", "/org/webhook", org.api_key, {"url": url})
    assert status == 400, body
    assert body["field"] == "url" and rule in body["message"]


def test_a_public_https_url_is_accepted(api, lambda_context, org, public_names):
    status, body = call_api(
        api, lambda_context, "PUT", "/org/webhook", org.api_key, {"url": "https://r.test/hook"}
    )
    assert status == 200 and body["url"] == "https://r.test/hook"


def test_loopback_needs_the_local_setting_and_other_private_addresses_never_pass(
    api, lambda_context, org, loopback_allowed
):
    for url in ("http://127.0.0.1:5000/hook", "http://localhost:5000/hook"):
        status, _ = call_api(api, lambda_context, "PUT", "/org/webhook", org.api_key, {"url": url})
        assert status == 200
    for url in ("http://10.0.0.1/hook", "http://169.254.169.254/"):
        status, body = call_api(
            api, lambda_context, "PUT", "/org/webhook", org.api_key, {"url": url}
        )
        assert status == 400 and "public address" in body["message"]


def test_the_policy_pins_the_address_it_checked():
    policy = OutboundPolicy(resolve=lambda host, port: [PUBLIC_TEST_ADDRESS])
    target = policy.check("https://receiver.test:8443/hooks?x=1")
    assert (target.address, target.port, target.path) == (PUBLIC_TEST_ADDRESS, 8443, "/hooks?x=1")
    assert target.host_header == "receiver.test:8443"
    assert target.pinned_url == f"https://{PUBLIC_TEST_ADDRESS}:8443/hooks?x=1"
    # A name that resolves to a public and a private address is refused.
    mixed = OutboundPolicy(resolve=lambda host, port: [PUBLIC_TEST_ADDRESS, "10.1.2.3"])
    with pytest.raises(OutboundRefused, match=r"10\.1\.2\.3"):
        mixed.check("https://receiver.test/")


# --- delivery ------------------------------------------------------------------------------


class RawReceiver:
    """A TCP listener on loopback whose answer is scripted: what it sends and how slowly."""

    def __init__(self, answer: bytes, byte_interval: float = 0.0, chunk: int = 1) -> None:
        self.answer, self.byte_interval, self.chunk = answer, byte_interval, chunk
        self.connections = 0
        self.sent = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(5)
                try:
                    conn.recv(65536)
                    answer = memoryview(self.answer)  # slices without copies
                    for at in range(0, len(answer), self.chunk):
                        conn.sendall(answer[at : at + self.chunk])
                        self.sent += len(answer[at : at + self.chunk])
                        if self.byte_interval:
                            time.sleep(self.byte_interval)
                except OSError:
                    pass

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def raw_receiver() -> Iterator[list[RawReceiver]]:
    made: list[RawReceiver] = []
    yield made
    for receiver in made:
        receiver.close()


def test_a_receiver_trickling_its_answer_is_cut_off_at_the_deadline(
    loopback_allowed, raw_receiver, monkeypatch
):
    import audiofn.workers.webhook as delivery

    monkeypatch.setattr(delivery, "DEADLINE_SECONDS", 1.5)
    receiver = RawReceiver(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", byte_interval=0.3)
    raw_receiver.append(receiver)
    started = time.monotonic()
    with pytest.raises(delivery.DeliveryFailed, match="deadline"):
        delivery.http_post(receiver.url, "{}", {"Content-Type": "application/json"})
    assert time.monotonic() - started < 2.5


def test_a_huge_answer_is_not_read_past_a_few_kilobytes(loopback_allowed, raw_receiver):
    import audiofn.workers.webhook as delivery

    body = b"x" * (50 * 1024 * 1024)
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    receiver = RawReceiver(answer, chunk=1024 * 1024)
    raw_receiver.append(receiver)
    tracemalloc.start()
    try:
        status = delivery.http_post(receiver.url, "{}", {"Content-Type": "application/json"})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert status == 200
    assert peak < 1_000_000, f"peak {peak} bytes while reading the answer"


def test_a_receiver_that_never_answers_with_http_fails_the_delivery(loopback_allowed, raw_receiver):
    import audiofn.workers.webhook as delivery

    receiver = RawReceiver(b"x" * 20_000, chunk=20_000)
    raw_receiver.append(receiver)
    with pytest.raises(delivery.DeliveryFailed):
        delivery.http_post(receiver.url, "{}", {})


def test_delivery_checks_the_url_again_and_never_calls_an_address_that_turned_internal(
    aws, org, raw_receiver, monkeypatch
):
    """A name that was public at registration and resolves to loopback now (rebinding)."""
    import audiofn.outbound
    import audiofn.workers.webhook as delivery
    from audiofn.models.messages import WebhookEvent
    from audiofn.models.records import WebhookRecord, utc_now
    from audiofn.storage.webhooks_table import WebhooksTable

    receiver = RawReceiver(b"HTTP/1.1 204 No Content\r\n\r\n")
    raw_receiver.append(receiver)
    port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
    table = WebhooksTable(os.environ["AUDIOFN_TABLE"])
    table.put_webhook(org.org_id, WebhookRecord(url=f"https://rebind.test:{port}/hook", secret="s"))
    monkeypatch.setattr(audiofn.outbound, "resolve_host", lambda host, port: ["127.0.0.1"])
    event = WebhookEvent(
        org_id=org.org_id, event_id="e1", type="speech.done", created=utc_now(), data={}
    )
    with pytest.raises(delivery.DeliveryFailed, match="loopback"):
        delivery.WebhookDeliverer(table).deliver(event)
    assert receiver.connections == 0


def test_the_webhook_function_takes_one_event_per_invocation():
    from audiofn_local.template_model import load_template
    from tests.conftest import ROOT

    template = load_template(ROOT / "template.yaml")
    [source] = template.functions["WebhookFunction"].sqs_events
    assert source.batch_size == 1


# --- the speech upstream -------------------------------------------------------------------


def test_the_speech_upstream_meets_the_same_rule():
    from audiofn.tts.base import SynthesisError
    from audiofn.tts.catalogue import resolve_voice
    from audiofn.tts.openai_engine import OpenAICompatibleEngine

    voice = resolve_voice("alloy", polly_enabled=False, upstream_enabled=True)
    for url in ("http://169.254.169.254/", "http://127.0.0.1:9", "https://10.0.0.5/v1"):
        engine = OpenAICompatibleEngine(url, policy=OutboundPolicy())
        with pytest.raises(SynthesisError, match="public address"):
            engine.synthesize("Hello", voice)
        engine.close()


# --- TLS to the pinned address ---------------------------------------------------------------


@pytest.fixture
def tls_receiver(tmp_path) -> Iterator[tuple[int, object]]:
    """An https receiver on loopback with a certificate for `receiver.test` only."""
    import http.server
    import ssl
    import subprocess

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=receiver.test", "-addext", "subjectAltName=DNS:receiver.test",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(204 if self.headers["Host"].startswith("receiver.test:") else 400)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client_context = ssl.create_default_context(cafile=str(cert))
    yield server.server_address[1], client_context
    server.shutdown()


def test_https_goes_to_the_checked_address_and_verifies_the_name(tls_receiver):
    from audiofn.bounded_post import PostFailed, post_with_deadline
    from audiofn.outbound import Target

    port, context = tls_receiver
    target = Target("https", "receiver.test", port, "127.0.0.1", "/hook")
    assert post_with_deadline(target, b"{}", {}, 5.0, context=context) == 204
    impostor = Target("https", "other.test", port, "127.0.0.1", "/hook")
    with pytest.raises(PostFailed, match=r"certificate|hostname"):
        post_with_deadline(impostor, b"{}", {}, 5.0, context=context)
