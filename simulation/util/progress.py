"""Progress a person can see: a bar in a terminal, plain timestamped lines anywhere else.

tqdm turns its bar off when the output is not a terminal (a CI log, `| tee`, a file), which
left long runs silent for minutes. Here, in a terminal the bar is tqdm's; elsewhere a line
such as `12:04:31 comparison: 40/80 runs (50%), 2.1 runs/s, about 19 s left` is printed
every 10% or every 10 seconds, whichever comes first, and at the end; work that ends within
two seconds prints nothing. `step()` announces a
phase (compiling, analysing, drawing) the same way in both cases.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from tqdm.auto import tqdm


def _stream() -> TextIO:
    return sys.stderr


def is_terminal(stream: TextIO | None = None) -> bool:
    stream = stream or _stream()
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _clock() -> str:
    return time.strftime("%H:%M:%S")


def step(message: str, enabled: bool = True) -> None:
    """One line saying what happens now (a phase of the work)."""
    if enabled:
        stream = _stream()
        text = f"{_clock()} {message}" if not is_terminal(stream) else message
        tqdm.write(text, file=stream)


class Progress:
    """Counts units of work: `update(n)`, then `close()` (or use it as a context manager)."""

    def __init__(self, total: int, desc: str, unit: str = "run", initial: int = 0, enabled: bool = True,
                 every_seconds: float = 10.0, every_share: float = 0.1, delay: float = 2.0) -> None:
        self.total, self.desc, self.unit = total, desc, unit
        self.n = self.start_n = initial
        self.enabled = enabled and total > 0
        self.every_seconds, self.every_share = every_seconds, every_share
        self.t0 = self.last_t = time.perf_counter()
        self.last_n = initial
        self.bar = None
        self.delay = delay  # work that ends sooner shows nothing
        self.shown = False
        self._lock = threading.Lock()
        self._done = threading.Event()
        if self.enabled and is_terminal():
            self.bar = tqdm(total=total, initial=initial, desc=desc, unit=unit, file=_stream(), delay=delay)
        elif self.enabled:
            # a line every `every_seconds` even while no unit finishes (long runs)
            threading.Thread(target=self._tick, name="careersim-progress", daemon=True).start()

    def _tick(self) -> None:
        while not self._done.wait(1.0):
            with self._lock:
                if time.perf_counter() - self.last_t >= self.every_seconds:
                    self._line()

    def _line(self) -> None:
        now = time.perf_counter()
        elapsed = now - self.t0
        if elapsed < self.delay and not self.shown:
            return
        self.shown = True
        done = self.n - self.start_n
        share = self.n / self.total if self.total else 1.0
        text = f"{self.desc}: {self.n}/{self.total} {self.unit}s ({100 * share:.0f}%)"
        if done > 0 and elapsed > 0:
            # the recent rate (since the last line) when there is one: a slow start (compiling)
            # should not inflate the time left
            recent = self.n - self.last_n
            rate = recent / (now - self.last_t) if recent > 0 and now > self.last_t else done / elapsed
            if rate >= 1:
                text += f", {rate:.0f} {self.unit}s/s" if rate >= 10 else f", {rate:.1f} {self.unit}s/s"
            else:
                text += f", {1 / rate:.1f} s/{self.unit}"
            if self.n < self.total:
                text += f", about {(self.total - self.n) / rate:.0f} s left"
            else:
                text += f", {elapsed:.0f} s"
        print(f"{_clock()} {text}", file=_stream(), flush=True)
        self.last_t, self.last_n = time.perf_counter(), self.n

    def update(self, n: int = 1) -> None:
        self.n += n
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(n)
            return
        due_share = (self.n - self.last_n) >= max(1, self.every_share * self.total)
        due_time = time.perf_counter() - self.last_t >= self.every_seconds
        if self.n >= self.total or due_share or due_time:
            with self._lock:
                self._line()

    def close(self) -> None:
        self._done.set()
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
