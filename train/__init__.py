"""Training under CPython: MNIST loading, augmentation, SGD, evaluation, export.

    python -m train            train (see train/__main__.py for every option)
    python -m train.evaluate   accuracy of a weights file on the reported sets
    python -m train.export     evaluate a run's chosen epoch and write web/model/
    python -m train.bench      training throughput and inference latency
"""
import ctypes
import sys


def keep_freed_memory():
    """Ask glibc to keep freed blocks of up to 32 MB instead of returning them to the OS.

    Every training step allocates the same large im2col matrices; by default glibc
    unmaps them on free and the next step pays a page fault per 4 KB page again,
    a large share of every step. (No effect off Linux/glibc.)
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    libc.mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024)
    libc.mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024)
