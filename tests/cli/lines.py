"""Reading a child process's standard error line by line as it writes, with a deadline instead of sleeps."""
import os
import selectors
import subprocess
import time


class Lines:
    """The lines a process wrote to its (binary, piped) standard error so far."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.lines: list[str] = []
        self._partial = b""

    def until(self, needle: str, timeout: float = 60) -> str:
        """The first line containing `needle`, reading more as it comes; fails when the process ends or at the
        timeout without one."""
        deadline = time.monotonic() + timeout
        fd = self.process.stderr.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while True:
                found = next((line for line in self.lines if needle in line), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                assert left > 0, (needle, self.lines)
                if not selector.select(left):
                    continue
                chunk = os.read(fd, 65536)
                assert chunk, ("ended before", needle, self.lines, self.process.wait(timeout=30))
                *complete, self._partial = (self._partial + chunk).split(b"\n")
                self.lines += [line.decode() for line in complete]

    def rest(self, timeout: float = 30) -> list[str]:
        """Every line, once the process has ended."""
        tail = self.process.communicate(timeout=timeout)[1] or b""
        self.lines += [line.decode() for line in (self._partial + tail).split(b"\n") if line]
        self._partial = b""
        return self.lines
