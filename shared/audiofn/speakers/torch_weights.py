"""Read a PyTorch checkpoint of the legacy (pre-1.6, non-zip) format into numpy, without torch.

The legacy format is a run of pickles: a magic number, the protocol version, system info, the
object itself (tensors refer to storages by persistent id), the list of storage keys in file
order, then each storage's bytes behind an 8-byte element count. The unpickler here knows only
the few classes a state dict uses (an ``OrderedDict`` of float tensors) and refuses any other,
so a checkpoint cannot run code.
"""

from __future__ import annotations

import collections
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001
_DTYPES: dict[str, np.dtype[Any]] = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
}


class CheckpointError(ValueError):
    """The file is not a legacy PyTorch checkpoint this reader understands."""


@dataclass(frozen=True)
class _StorageType:
    dtype: np.dtype[Any]


@dataclass
class _Storage:
    dtype: np.dtype[Any]
    data: np.ndarray | None = None


@dataclass(frozen=True)
class _TensorRef:
    storage: _Storage
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]

    def array(self) -> np.ndarray:
        if self.storage.data is None:
            raise CheckpointError("a tensor's storage was never read")
        item = self.storage.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(
            self.storage.data[self.offset :],
            shape=self.size,
            strides=tuple(step * item for step in self.stride),
        )
        return np.array(view)  # own the memory, contiguous


def _rebuild_tensor(
    storage: _Storage, offset: int, size: Any, stride: Any, *_unused: Any
) -> _TensorRef:
    return _TensorRef(storage, int(offset), tuple(size), tuple(stride))


class _Unpickler(pickle.Unpickler):
    def __init__(self, stream: BinaryIO, storages: dict[str, _Storage]) -> None:
        super().__init__(stream)
        self.storages = storages

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if module == "torch._utils" and name in ("_rebuild_tensor", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in _DTYPES:
            return _StorageType(_DTYPES[name])
        raise CheckpointError(f"the checkpoint names {module}.{name}, which is not a tensor type")

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise CheckpointError(f"unknown persistent id {pid!r}")
        storage_type, key = pid[1], str(pid[2])
        if not isinstance(storage_type, _StorageType):
            raise CheckpointError(f"unknown storage type {storage_type!r}")
        return self.storages.setdefault(key, _Storage(storage_type.dtype))


def _arrays(value: Any) -> Any:
    if isinstance(value, _TensorRef):
        return value.array()
    if isinstance(value, dict):
        return {key: _arrays(item) for key, item in value.items()}
    return value


def read_legacy_checkpoint(path: Path) -> dict[str, Any]:
    """The checkpoint's top-level dict, every tensor as a numpy array."""
    with path.open("rb") as stream:
        storages: dict[str, _Storage] = {}
        try:
            magic = _Unpickler(stream, storages).load()
            protocol = _Unpickler(stream, storages).load()
            _Unpickler(stream, storages).load()  # system info (endianness, type sizes)
        except (pickle.UnpicklingError, EOFError, CheckpointError) as error:
            raise CheckpointError(f"{path.name}: not a legacy PyTorch checkpoint") from error
        if magic != LEGACY_MAGIC or protocol != LEGACY_PROTOCOL:
            raise CheckpointError(f"{path.name}: not a legacy PyTorch checkpoint")
        result = _Unpickler(stream, storages).load()
        keys = _Unpickler(stream, storages).load()
        for key in keys:
            storage = storages[str(key)]
            count = int.from_bytes(stream.read(8), "little")
            raw = stream.read(count * storage.dtype.itemsize)
            if len(raw) != count * storage.dtype.itemsize:
                raise CheckpointError(f"{path.name}: storage {key} is truncated")
            storage.data = np.frombuffer(raw, dtype=storage.dtype)
    if not isinstance(result, dict):
        raise CheckpointError(f"{path.name}: the checkpoint is not a dict")
    return dict(_arrays(result))
