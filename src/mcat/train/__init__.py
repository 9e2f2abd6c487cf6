"""Training (``mcat train``): class weights, clip-consistent augmentation, the seeded, resumable loop, and
data-parallel training across processes."""

import os

if "WORLD_SIZE" in os.environ:
    # torch's C++ store logs every rendezvous retry with a C++ stack trace before the error that mcat names in one
    # line; set TORCH_CPP_LOG_LEVEL=INFO to see them. Read once, when torch loads: hence here, before any import.
    os.environ.setdefault("TORCH_CPP_LOG_LEVEL", "FATAL")
