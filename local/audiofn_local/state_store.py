"""The local runtime's durable state: one SQLite file in the data directory.

S3, SQS and DynamoDB keep their data durably in AWS; moto keeps it in memory. This file is
what makes the local stand-in durable. It holds two kinds of rows:

- containers: a bucket, a queue or a table, as the AWS API describes it (its settings);
- entries: what a container holds: an object, a message, an item;
- bodies: an entry's bytes kept beside it (an S3 object's body), read only when asked for, so
  the entries can be read, as a start does, without reading a gigabyte of masters.

`moto_state` converts between these rows and moto's models, and `durable_moto` writes the
rows of whatever a request changed *before* moto's answer goes back to the caller. So a
write that was answered is on disk; a request cut off by a crash was never answered, which
is what "work in progress" means to an AWS client (it retries, or redoes the work).

Why SQLite rather than snapshot files: a snapshot rewrites the whole state, so its cost grows
with the state. Measured with 10,000 objects of 32 kB: pickling moto's S3 state takes 0.7 s
and writes 330 MB (0.9 s with temp file, fsync and rename), all of it under a lock that
stalls every request, so a snapshot every second would leave moto stalled most of the time;
and whatever was written since the last snapshot is lost by a kill -9 (moto's SQS queues do
not even pickle: they hold a `threading.Condition`). SQLite commits one request's rows in
well under a millisecond whatever the size of the rest, and its write-ahead log makes each
commit atomic: an interrupted write (kill -9, power cut) leaves the previous state intact,
never a torn file. The connection runs in WAL mode with `synchronous=FULL`, so a commit is
fsynced before the request is answered; on close the log is checkpointed into the main
file, so a clean stop has nothing else to flush.

Values are pickled, but only builtins (dict, list, str, bytes, numbers, ...): `encode`
refuses any other object and `decode` refuses to load one, so a stored file never depends
on moto's classes (an upgraded moto still reads it) and loading it runs no foreign code.
"""

from __future__ import annotations

import io
import os
import pickle
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STATE_FILE = "aws-state.sqlite3"
FORMAT_VERSION = 2  # 2: object bodies in their own table (1 kept them inside the entries)
_PICKLE_PROTOCOL = 5

_SCHEMA = """
CREATE TABLE IF NOT EXISTS info (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS containers (
    service TEXT NOT NULL,
    name TEXT NOT NULL,
    spec BLOB NOT NULL,
    PRIMARY KEY (service, name)
);
CREATE TABLE IF NOT EXISTS entries (
    service TEXT NOT NULL,
    container TEXT NOT NULL,
    key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (service, container, key)
);
CREATE INDEX IF NOT EXISTS entries_in_order ON entries (service, container, seq);
CREATE TABLE IF NOT EXISTS bodies (
    service TEXT NOT NULL,
    container TEXT NOT NULL,
    key TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (service, container, key)
);
"""


class StateFormatError(RuntimeError):
    """The state file was written by a newer audiofn, or holds something it cannot read."""


# ---------------------------------------------------------------------- values


class _BuiltinsPickler(pickle.Pickler):
    """Pickles builtins only; anything that needs a class reference is an error."""

    def reducer_override(self, obj: Any) -> Any:
        # Called for every object but None, bools and exact int/float/bytes/str/dict/set/
        # frozenset/list/tuple, which pickle writes with their own opcodes.
        raise TypeError(f"not a builtin value: {type(obj).__qualname__}")


class _BuiltinsUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise StateFormatError(f"the state holds a {module}.{name}; only builtins are allowed")


def encode(value: Any) -> bytes:
    buffer = io.BytesIO()
    _BuiltinsPickler(buffer, protocol=_PICKLE_PROTOCOL).dump(value)
    return buffer.getvalue()


def decode(blob: bytes) -> Any:
    return _BuiltinsUnpickler(io.BytesIO(blob)).load()


# ---------------------------------------------------------------------- the store


@dataclass(frozen=True)
class StoreCounts:
    containers: int
    entries: int
    bytes: int


class StateStore:
    """The rows of one data directory. Thread-safe; writes go inside `transaction()`."""

    def __init__(self, path: Path, connection: sqlite3.Connection):
        self.path = path
        self._db = connection
        self._lock = threading.RLock()
        self._in_transaction = False
        self._next_seq = 1 + (self._db.execute("SELECT MAX(seq) FROM entries").fetchone()[0] or 0)

    @classmethod
    def open(cls, path: Path) -> StateStore:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            connection.executescript(_SCHEMA)
            row = connection.execute("SELECT value FROM info WHERE name = 'format'").fetchone()
            if row is None:
                connection.execute(
                    "INSERT INTO info (name, value) VALUES ('format', ?)", (str(FORMAT_VERSION),)
                )
            elif int(row[0]) > FORMAT_VERSION:
                raise StateFormatError(
                    f"{path} was written by a newer audiofn (format {row[0]}, this one reads "
                    f"{FORMAT_VERSION}); update audiofn, or reset the local data"
                )
            elif int(row[0]) < FORMAT_VERSION:
                _move_bodies_out_of_entries(connection)
        except sqlite3.DatabaseError as error:
            connection.close()
            raise StateFormatError(f"{path} is not a readable state file: {error}") from error
        except BaseException:
            connection.close()
            raise
        return cls(path, connection)

    @property
    def closed(self) -> bool:
        return self._db is None

    def close(self) -> None:
        """Checkpoint the write-ahead log into the main file, then close."""
        with self._lock:
            if self._db is None:
                return
            try:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                self._db.close()
                self._db = None  # type: ignore[assignment]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic commit (nested calls join the outer one)."""
        with self._lock:
            if self._in_transaction:
                yield
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._in_transaction = True
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._in_transaction = False

    # ------------------------------------------------------------------ writes

    def put_container(self, service: str, name: str, spec: Any) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT INTO containers (service, name, spec) VALUES (?, ?, ?) "
                "ON CONFLICT (service, name) DO UPDATE SET spec = excluded.spec",
                (service, name, encode(spec)),
            )

    def delete_container(self, service: str, name: str) -> None:
        """Forget a container and everything in it."""
        with self.transaction():
            self._db.execute(
                "DELETE FROM containers WHERE service = ? AND name = ?", (service, name)
            )
            self.delete_entries(service, name)

    def put_entry(
        self, service: str, container: str, key: str, value: Any, body: bytes | None = None
    ) -> None:
        """Insert or replace, with its `body` kept beside it (or none); a replaced entry keeps
        its place in the container's order."""
        blob = encode(value)
        with self.transaction():
            self._db.execute(
                "INSERT INTO entries (service, container, key, seq, value) "
                "VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (service, container, key) DO UPDATE SET value = excluded.value",
                (service, container, key, self._next_seq, blob),
            )
            self._next_seq += 1
            if body is None:
                self._db.execute(
                    "DELETE FROM bodies WHERE service = ? AND container = ? AND key = ?",
                    (service, container, key),
                )
            else:
                self._db.execute(
                    "INSERT INTO bodies (service, container, key, body) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (service, container, key) DO UPDATE SET body = excluded.body",
                    (service, container, key, body),
                )

    def delete_entry(self, service: str, container: str, key: str) -> None:
        with self.transaction():
            for table in ("entries", "bodies"):
                self._db.execute(
                    f"DELETE FROM {table} WHERE service = ? AND container = ? AND key = ?",  # noqa: S608 (a fixed name)
                    (service, container, key),
                )

    def delete_entries(self, service: str, container: str) -> None:
        with self.transaction():
            for table in ("entries", "bodies"):
                self._db.execute(
                    f"DELETE FROM {table} WHERE service = ? AND container = ?",  # noqa: S608 (a fixed name)
                    (service, container),
                )

    def clear(self) -> None:
        with self.transaction():
            for table in ("containers", "entries", "bodies"):
                self._db.execute(f"DELETE FROM {table}")  # noqa: S608 (a fixed name)

    # ------------------------------------------------------------------ reads

    def containers(self, service: str) -> list[tuple[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT name, spec FROM containers WHERE service = ? ORDER BY name", (service,)
            ).fetchall()
        return [(name, decode(spec)) for name, spec in rows]

    def entries(self, service: str, container: str) -> Iterator[tuple[str, Any]]:
        """A container's entries in the order they were first written, without their bodies.

        Rows are read as the iteration goes; the store is locked until the iteration ends.
        """
        with self._lock:
            cursor = self._db.execute(
                "SELECT key, value FROM entries WHERE service = ? AND container = ? ORDER BY seq",
                (service, container),
            )
            try:
                for key, value in cursor:
                    yield key, decode(value)
            finally:
                cursor.close()

    def entry(self, service: str, container: str, key: str) -> Any | None:
        with self._lock:
            row = self._db.execute(
                "SELECT value FROM entries WHERE service = ? AND container = ? AND key = ?",
                (service, container, key),
            ).fetchone()
        return None if row is None else decode(row[0])

    def body(self, service: str, container: str, key: str) -> bytes | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM bodies WHERE service = ? AND container = ? AND key = ?",
                (service, container, key),
            ).fetchone()
        return None if row is None else bytes(row[0])

    def counts(self, service: str) -> StoreCounts:
        with self._lock:
            containers = self._db.execute(
                "SELECT COUNT(*) FROM containers WHERE service = ?", (service,)
            ).fetchone()[0]
            entries, size = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(value)), 0) FROM entries WHERE service = ?",
                (service,),
            ).fetchone()
            size += self._db.execute(
                "SELECT COALESCE(SUM(LENGTH(body)), 0) FROM bodies WHERE service = ?", (service,)
            ).fetchone()[0]
        return StoreCounts(containers=containers, entries=entries, bytes=size)


def _move_bodies_out_of_entries(connection: sqlite3.Connection) -> None:
    """Format 1 to 2, once: an entry's `body` bytes (an S3 object's) move to `bodies`, and its
    value records their `size` instead."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        # One row at a time: the bodies of a large state do not fit in memory together.
        names = connection.execute("SELECT service, container, key FROM entries").fetchall()
        for service, container, key in names:
            (blob,) = connection.execute(
                "SELECT value FROM entries WHERE service = ? AND container = ? AND key = ?",
                (service, container, key),
            ).fetchone()
            value = decode(blob)
            if not isinstance(value, dict) or not isinstance(value.get("body"), bytes):
                continue
            body = value.pop("body")
            value["size"] = len(body)
            connection.execute(
                "UPDATE entries SET value = ? WHERE service = ? AND container = ? AND key = ?",
                (encode(value), service, container, key),
            )
            connection.execute(
                "INSERT OR REPLACE INTO bodies (service, container, key, body) VALUES (?, ?, ?, ?)",
                (service, container, key, body),
            )
        connection.execute(
            "UPDATE info SET value = ? WHERE name = 'format'", (str(FORMAT_VERSION),)
        )
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


class EntryReader:
    """Reads entries on a connection of its own, so a read neither waits for nor holds the
    writers' lock (only committed rows are seen: SQLite's write-ahead log lets readers in
    while a write is under way)."""

    def __init__(self, path: Path):
        self._db: sqlite3.Connection | None = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
        )
        self._lock = threading.Lock()

    def entry_with_body(
        self, service: str, container: str, key: str
    ) -> tuple[Any, bytes | None] | None:
        """(the entry, its body or None), read together (one snapshot); None if no entry."""
        with self._lock:
            if self._db is None:
                raise ValueError("the state file is closed")
            row = self._db.execute(
                "SELECT e.value, b.body FROM entries AS e LEFT JOIN bodies AS b "
                "ON b.service = e.service AND b.container = e.container AND b.key = e.key "
                "WHERE e.service = ? AND e.container = ? AND e.key = ?",
                (service, container, key),
            ).fetchone()
        if row is None:
            return None
        return decode(row[0]), None if row[1] is None else bytes(row[1])

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


def state_files(data_dir: Path) -> list[Path]:
    """The state file and SQLite's companions (write-ahead log, shared memory), if present."""
    base = data_dir / STATE_FILE
    return [p for p in (base, Path(f"{base}-wal"), Path(f"{base}-shm")) if p.exists()]


def remove_state(data_dir: Path) -> list[Path]:
    """Delete the state file(s); returns what was removed."""
    removed = []
    for path in state_files(data_dir):
        os.remove(path)
        removed.append(path)
    return removed


# ---------------------------------------------------------------------- one runtime per dir

LOCK_FILE = "runtime.lock"


class DataDirBusy(OSError):
    """Another runtime (a live process) holds the data directory."""


class DataDirLock:
    """An exclusive lock on a data directory while a runtime uses it.

    Two runtimes on one directory would each restore the same state and then overwrite each
    other's rows. The lock is an `flock`, so the kernel releases it when the process ends,
    even by kill -9: a crash never leaves a stale lock behind.
    """

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.path = data_dir / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        import fcntl

        self.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise DataDirBusy(
                f"{self.data_dir} is in use by another audiofn runtime (pid {holder}); stop "
                "it, or give this one its own AUDIOFN_DATA_DIR"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            import fcntl

            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def data_dir_holder(data_dir: Path) -> str | None:
    """The pid of the runtime using `data_dir`, or None if none does."""
    import fcntl

    path = data_dir / LOCK_FILE
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return os.read(fd, 32).decode(errors="replace").strip() or "?"
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
