"""The process's long-lived objects kept out of the garbage collector's way."""

import gc


def freeze():
    """Move every object alive now (Django, the apps, what start-up loaded) to the collector's permanent
    generation, so that its full collections walk only what requests leave behind. Walking the whole heap, they
    paused a request for ~90 ms every few hundred: the slowest answers of benchmarks/bench_pages.py (p50 14 ms,
    p95 103 ms on one list at 3 M manifests; p95 45 ms for the slowest list with the collector out of the way)."""
    gc.collect()
    gc.freeze()
