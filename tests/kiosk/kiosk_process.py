"""`hallq kiosk` as a real process on the dummy SDL video driver, its log read line by line.

The sound driver is left as the machine has it (these machines have no sound card), as on a
kiosk PC: what the kiosk prints there is what a technician reads.
"""
from __future__ import annotations

import os
import signal
import subprocess
import threading

from tests.hub_process import HALLQ

LIVENESS_S = 60.0  # a bound for a process that hangs, not a speed claim


class KioskProcess:
    """One `hallq kiosk` run; ``wait_for`` a log line, ``stop`` it, ``output`` all of it."""

    def __init__(self, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("SDL_AUDIODRIVER", "HALLQ_KIOSK_TOKEN")}
        env["SDL_VIDEODRIVER"] = "dummy"
        self.process = subprocess.Popen([HALLQ, "kiosk", "--windowed", "--size", "800x600", *args], env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def output(self) -> str:
        with self._changed:
            return "".join(self.lines)

    def wait_for(self, text: str) -> str:
        """The first log line containing ``text``; fails if the kiosk exits or hangs first."""
        with self._changed:
            found = self._changed.wait_for(
                lambda: any(text in line for line in self.lines) or not self._reader.is_alive(), timeout=LIVENESS_S)
            hits = [line for line in self.lines if text in line]
        assert found and hits, f"no {text!r} in the kiosk's log:\n{self.output[-3000:]}"
        return hits[0]

    def exit_code(self) -> int:
        """For a kiosk that stops by itself (a refused command line); killed if it does not."""
        try:
            code = self.process.wait(timeout=LIVENESS_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"the kiosk did not stop:\n{self.output[-3000:]}") from None
        self._reader.join(timeout=5)
        return code

    def stop(self) -> int:
        """A service stop (SIGTERM, which SDL turns into a quit event); the exit code. Not Ctrl+C:
        a test run started in the background ignores SIGINT, and so would the kiosk."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.exit_code()
