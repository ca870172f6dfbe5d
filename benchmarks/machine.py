"""How fast this machine runs plain Python right now, to compare figures across machines.

Sessions do not always get the same machine (and a shared one slows down under load), so
an absolute rate means little alone. Each benchmark prints this reference next to its
figures: the median time of a fixed pure-Python loop, and the rate that loop reaches. A
figure measured where the reference is twice as slow can be read as about twice as good.
"""

import statistics
import time

LOOP = 5_000_000


def python_reference_ms(repeat: int = 5) -> float:
    """Median milliseconds for a fixed pure-Python loop (sum of squares up to LOOP)."""
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        sum(i * i for i in range(LOOP))
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def describe() -> str:
    return f"machine reference: {python_reference_ms():,.0f} ms for a fixed pure-Python loop"


if __name__ == "__main__":
    print(describe())
