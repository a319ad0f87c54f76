"""Compiled numerical kernels (numba, one thread per rank).  Shapes, dtypes and units are
documented on each kernel; every kernel runs a whole tick (or a whole packet list) per call."""
