"""One BLAS thread for the engine's linear algebra.

The engine's matrix products are small (a few hundred text units against a few references); on a
busy 2-core machine waking BLAS's thread pool costs more than the product itself: a (400 x 256)
by (256 x 6) product took 7-18 ms instead of 0.02 ms. The limit is process-wide (BLAS has one
pool per process), so it also applies to a notebook's own numpy in the embedded offline mode.
"""

from __future__ import annotations


def use_one_thread() -> None:
    """Limit the BLAS libraries loaded in this process to one thread (idempotent)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
