"""Shared by every test folder: one BLAS thread.

The arrays in these tests are small; OpenBLAS's worker threads only spin against
each other (and against anything else running), which made the suite several
times slower on a busy machine. Set before any test module imports NumPy.
"""
import os

for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")
