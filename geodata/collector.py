"""Python's cycle collector paused around bulk work.

Ingesting a batch of 500 assessments or building the map of 50,000 sites makes hundreds of
thousands of small objects (rows, tuples, dicts) that are not in any cycle. Each
allocation burst triggers collector passes over every young object, which took 30-40% of
that work's CPU time. Pausing the collector for the duration (and letting it run as usual
after) removes that cost; the few cycles made meanwhile (SQLAlchemy's session objects)
are collected at its next pass.
"""

import gc
from contextlib import contextmanager


@contextmanager
def collector_paused():
    """Pause the cycle collector for the `with` block (or a decorated function)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
