"""Feed an SQS-triggered handler the way an event source mapping does.

Each poller thread long-polls its queue, hands the handler a batch event, deletes the
messages that succeeded and makes the failed ones visible again. In AWS a failed message
stays hidden for the rest of the queue's VisibilityTimeout (1800 s for the speech queue, six
times the function timeout), so retries come half an hour apart. Locally that would hide a
failure for hours, so failed messages come back after `retry_seconds` instead; the receive
count still grows on every delivery and the queue's RedrivePolicy moves a message to its
dead-letter queue after maxReceiveCount, as in AWS (moto does the move on receive).

An idle poller costs nothing it need not: it waits in one long poll of `WAIT_SECONDS` (the
most SQS allows), which a message ends at once, instead of asking again every second (nine
pollers asking once a second, each answer passing through the state file, were most of the
4-11 % of a core the runtime used at rest). Stopping does not wait for such a poll to end: a thread
that holds no batch counts as stopped, and a batch its poll returns later is handed back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from audiofn_local.handlers import FunctionPool
from audiofn_local.logs import runtime_logger
from audiofn_local.resources import LocalQueue
from audiofn_local.sqs_events import InvalidBatchResponse, build_sqs_event, failed_message_ids
from audiofn_local.template_model import SqsEvent

LOG = runtime_logger(__name__)
SQS_MAX_RECEIVE = 10  # ReceiveMessage returns at most ten messages
WAIT_SECONDS = 20  # SQS's longest poll


class SqsPoller:
    """The event source mapping of one `SQS` event: `threads` pollers on one queue."""

    def __init__(
        self,
        function: FunctionPool,
        event: SqsEvent,
        *,
        queue: LocalQueue,
        client_factory: Callable[[], Any],
        region: str,
        retry_seconds: int = 5,
        threads: int = 1,
    ):
        self.function = function
        self.event = event
        self.queue = queue
        self.region = region
        self.retry_seconds = retry_seconds
        self._client_factory = client_factory
        self._stop = threading.Event()
        self._busy: set[str] = set()  # names of the threads that hold a batch
        self._busy_changed = threading.Condition()
        self._threads = [
            threading.Thread(
                target=self._run,
                name=f"sqs-{function.spec.logical_id}-{event.name}-{index}",
                daemon=True,
            )
            for index in range(max(1, threads))
        ]

    @property
    def name(self) -> str:
        return f"{self.function.spec.logical_id}.{self.event.name}"

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def request_stop(self) -> None:
        """Stop taking new batches; a batch being handled is finished."""
        self._stop.set()

    def join(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the batches in hand to finish; True when none is
        left. A thread still in its long poll holds nothing: it ends when the poll does."""
        with self._busy_changed:
            return self._busy_changed.wait_for(lambda: not self._busy, timeout)

    @property
    def idle(self) -> bool:
        """No thread holds a batch (each is waiting in a poll, or has ended)."""
        with self._busy_changed:
            return not self._busy

    def _set_busy(self, busy: bool) -> None:
        name = threading.current_thread().name
        with self._busy_changed:
            if busy:
                self._busy.add(name)
            else:
                self._busy.discard(name)
            self._busy_changed.notify_all()

    # ------------------------------------------------------------------ the loop

    def _run(self) -> None:
        sqs = self._client_factory()  # one client per thread
        while not self._stop.is_set():
            try:
                messages = self._receive(sqs)  # busy from the first message received
                if not messages:
                    continue
                if self._stop.is_set():
                    self._change_visibility(sqs, messages, 0)  # hand them back unprocessed
                    break
                self._process(sqs, messages)
            except Exception:
                if self._stop.is_set():
                    break  # the server stopped under a poll: its messages come back anyway
                LOG.exception("%s: polling %s failed", self.name, self.queue.name)
                self._stop.wait(1.0)
            finally:
                self._set_busy(False)

    def _receive(self, sqs: Any) -> list[dict[str, Any]]:
        """Up to BatchSize messages, gathering for at most MaximumBatchingWindowInSeconds."""
        messages: list[dict[str, Any]] = []
        deadline = time.monotonic() + self.event.batching_window_seconds
        wait = WAIT_SECONDS
        while not self._stop.is_set() and len(messages) < self.event.batch_size:
            response = sqs.receive_message(
                QueueUrl=self.queue.url,
                MaxNumberOfMessages=min(SQS_MAX_RECEIVE, self.event.batch_size - len(messages)),
                WaitTimeSeconds=wait,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            received = response.get("Messages", [])
            if received:
                self._set_busy(True)
            messages.extend(received)
            remaining = deadline - time.monotonic()
            if not messages or remaining <= 0:
                break
            if not received and wait == 0:
                break
            wait = min(WAIT_SECONDS, int(remaining))
        return messages

    def _process(self, sqs: Any, messages: list[dict[str, Any]]) -> None:
        ids = [message["MessageId"] for message in messages]
        event = build_sqs_event(messages, self.queue.arn, self.region)
        try:
            result = self.function.invoke(event)
            failed = failed_message_ids(result, ids, self.event.report_batch_item_failures)
        except InvalidBatchResponse as error:
            LOG.error("%s: invalid batch response, the whole batch fails: %s", self.name, error)
            failed = set(ids)
        except Exception:  # logged with its traceback by FunctionPool.invoke
            LOG.warning("%s: the handler raised; the whole batch of %d fails", self.name, len(ids))
            failed = set(ids)
        succeeded = [m for m in messages if m["MessageId"] not in failed]
        retried = [m for m in messages if m["MessageId"] in failed]
        self._delete(sqs, succeeded)
        if retried:
            counts = ", ".join(
                m.get("Attributes", {}).get("ApproximateReceiveCount", "?") for m in retried
            )
            LOG.warning(
                "%s: %d of %d messages failed (receive counts %s); retried in %d s",
                self.name,
                len(retried),
                len(messages),
                counts,
                self.retry_seconds,
            )
            self._change_visibility(sqs, retried, self.retry_seconds)

    def _delete(self, sqs: Any, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), SQS_MAX_RECEIVE):
            chunk = messages[start : start + SQS_MAX_RECEIVE]
            response = sqs.delete_message_batch(
                QueueUrl=self.queue.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)
                ],
            )
            for failure in response.get("Failed", []):
                LOG.error("%s: could not delete a message: %s", self.name, failure)

    def _change_visibility(self, sqs: Any, messages: list[dict[str, Any]], seconds: int) -> None:
        for start in range(0, len(messages), SQS_MAX_RECEIVE):
            chunk = messages[start : start + SQS_MAX_RECEIVE]
            sqs.change_message_visibility_batch(
                QueueUrl=self.queue.url,
                Entries=[
                    {
                        "Id": str(i),
                        "ReceiptHandle": m["ReceiptHandle"],
                        "VisibilityTimeout": seconds,
                    }
                    for i, m in enumerate(chunk)
                ],
            )
