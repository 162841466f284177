"""Drop a file, get a master: a local folder mirrored into the inbox bucket, outputs mirrored out.

Files in the inbox folder (default `./inbox`) are uploaded to the first organisation's inbox
prefix once they have stopped changing (same size and mtime on two scans, so a file still
being written is not sent half-way); the outbox prefix is downloaded into the outbox folder
(default `./outbox`) whenever an object is new or changed. Downloads are written to a temporary
name and renamed, so a reader never sees half a file. What was sent and fetched is remembered
in the data directory, so a restart neither re-sends nor re-fetches.

The inbox folder is scanned every second (a local directory listing). The outbox is listed
through S3 once at start; after that the runtime tells the mirror which keys were written
(`object_changed`), and only those are looked at: listing an outbox of 10,000 outputs costs
2.5 CPU-s, so listing it every few seconds would keep half a core busy at rest. Without
those notices (`watched=False`) the outbox is listed every second while files move, and less
often the longer nothing does (up to every `OUTBOX_IDLE_SECONDS`).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from audiofn.inbox_files import inbox_prefix, outbox_prefix
from audiofn_local.logs import runtime_logger

LOG = runtime_logger(__name__)
SCAN_SECONDS = 1.0
OUTBOX_IDLE_SECONDS = 5.0


@dataclass
class FolderMirror:
    inbox_dir: Path
    outbox_dir: Path
    bucket: str
    org_id: str
    state_path: Path
    s3_factory: Callable[[], Any]
    watched: bool = False  # object_changed() hears of every write to the bucket
    _seen: dict[str, tuple[int, int]] = field(default_factory=dict)  # path -> (size, mtime_ns)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _changed_lock: threading.Lock = field(default_factory=threading.Lock)
    _changed: set[str | None] = field(default_factory=set)  # outbox keys (None: list it all)

    def start(self) -> None:
        self.inbox_dir.mkdir(parents=True, exist_ok=True)
        self.outbox_dir.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._loop, name="folder-mirror", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def object_changed(self, bucket: str, key: str | None) -> None:
        """A write to `bucket` was answered (`key` None: any of its keys may have changed)."""
        if bucket != self.bucket:
            return
        if key is None or key.startswith(outbox_prefix(self.org_id)):
            with self._changed_lock:
                self._changed.add(key)

    def _loop(self) -> None:
        s3 = self.s3_factory()
        if self.watched:
            self.object_changed(self.bucket, None)  # one listing at start: what came meanwhile
        interval, due = SCAN_SECONDS, 0.0  # of the outbox listing (when not watched)
        while not self._stop.wait(SCAN_SECONDS):
            now = time.monotonic()
            outbox = now >= due
            try:
                if self.watched:
                    moved = self.sync_once(s3, outbox=False)
                    moved |= self._fetch_changed(s3)
                else:
                    moved = self.sync_once(s3, outbox=outbox)
            except Exception:  # a bad scan must not stop the next one
                LOG.exception("folder mirror: scan failed")
                moved = False
            if moved:
                interval = SCAN_SECONDS
            elif outbox:
                interval = min(OUTBOX_IDLE_SECONDS, interval * 2)
            if moved or outbox:
                due = now + interval

    def _fetch_changed(self, s3: Any) -> bool:
        """Fetch the outbox keys written since the last round (or list it all when asked)."""
        with self._changed_lock:
            changed, self._changed = self._changed, set()
        if not changed:
            return False
        state = self._load_state()
        try:
            if None in changed:
                moved = self._download_new(s3, state["got"])
            else:
                moved = self._download_keys(s3, sorted(k for k in changed if k), state["got"])
        except BaseException:
            with self._changed_lock:
                self._changed |= changed  # tried again next round
            raise
        if moved:
            self._save_state(state)
        return moved

    # ------------------------------------------------------------ one round
    def sync_once(self, s3: Any, outbox: bool = True) -> bool:
        """Send settled inbox files and (with `outbox`) fetch new outputs; True if any moved."""
        state = self._load_state()
        changed = self._upload_settled(s3, state["sent"])
        if outbox:
            changed |= self._download_new(s3, state["got"])
        if changed:
            self._save_state(state)
        return changed

    def _upload_settled(self, s3: Any, sent: dict[str, list[int]]) -> bool:
        changed = False
        current: dict[str, tuple[int, int]] = {}
        for path in sorted(self.inbox_dir.rglob("*")):
            if not path.is_file() or _is_temporary(path):
                continue
            relative = path.relative_to(self.inbox_dir).as_posix()
            stat = path.stat()
            current[relative] = (stat.st_size, stat.st_mtime_ns)
            settled = self._seen.get(relative) == current[relative]
            if not settled or sent.get(relative) == list(current[relative]):
                continue
            s3.put_object(
                Bucket=self.bucket,
                Key=inbox_prefix(self.org_id) + relative,
                Body=path.read_bytes(),
            )
            sent[relative] = list(current[relative])
            changed = True
            LOG.info("inbox: sent %s", relative)
        self._seen = current
        return changed

    def _download_new(self, s3: Any, got: dict[str, str]) -> bool:
        changed = False
        prefix = outbox_prefix(self.org_id)
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                if got.get(item["Key"][len(prefix) :]) != item["ETag"]:
                    changed |= self._download(s3, item["Key"], got)
        return changed

    def _download_keys(self, s3: Any, keys: list[str], got: dict[str, str]) -> bool:
        changed = False
        for key in keys:
            try:
                changed |= self._download(s3, key, got)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") not in {"NoSuchKey", "404"}:
                    raise  # (a key deleted since it was written is simply not fetched)
        return changed

    def _download(self, s3: Any, key: str, got: dict[str, str]) -> bool:
        """Write the object into the outbox folder unless it is there already (same ETag)."""
        relative = key[len(outbox_prefix(self.org_id)) :]
        target = self.outbox_dir / relative
        if not relative or not target.resolve().is_relative_to(self.outbox_dir.resolve()):
            return False  # a key with '..' must not write outside the folder
        response = s3.get_object(Bucket=self.bucket, Key=key)
        if got.get(relative) == response["ETag"]:
            response["Body"].close()
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.part")
        partial.write_bytes(response["Body"].read())
        os.replace(partial, target)
        got[relative] = response["ETag"]
        return True

    # ------------------------------------------------------------ memory
    def _load_state(self) -> dict[str, dict[str, Any]]:
        try:
            state = json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            state = {}
        state.setdefault("sent", {})
        state.setdefault("got", {})
        return state

    def _save_state(self, state: dict[str, Any]) -> None:
        partial = self.state_path.with_name(self.state_path.name + ".part")
        partial.write_text(json.dumps(state))
        os.replace(partial, self.state_path)


def _is_temporary(path: Path) -> bool:
    name = path.name
    return name.startswith(".") or name.endswith(("~", ".part", ".tmp", ".swp"))
