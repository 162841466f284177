"""Freed memory goes back to the system, so a burst does not leave the runtime large.

glibc's malloc serves a large block (a request body, an object's bytes, a rendered section)
from a memory map and unmaps it when it is freed, but only up to a threshold that it raises
each time such a block is freed: after the first few megabyte-sized buffers, the next ones
come from the heap, and freed heap memory mostly stays with the process. Storing 1 GB of
4 MB objects left the runtime's main process 430 MB larger with the adjustable threshold and
1 MB larger with a fixed one (`make bench SECTIONS=footprint`). Setting it once fixes it.
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)
MAP_LARGER_THAN = 256 * 1024  # blocks from this size up are mapped, and unmapped when freed


def return_large_blocks_to_the_system() -> bool:
    """Fix malloc's map threshold (glibc only; elsewhere nothing changes). True if set."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # not glibc (macOS, musl without mallopt)
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MAP_LARGER_THAN))
