"""A throwaway redis-server on a free loopback port, to kill, hang and bring back in fault tests.

It writes every command to an append-only file in its own folder, so after `kill()` (SIGKILL)
`start()` brings it back on the same port with the entries it held: a stale cache.
`hang()` (SIGSTOP) leaves its port accepting connections that are never answered.
"""

import os
import signal
import socket
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from tests.smtp import closed_port

REDIS_SERVER = Path("/usr/bin/redis-server")


class ThrowawayRedis:
    def __init__(self, folder):
        self.folder = Path(folder)
        self.port = closed_port()
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                str(REDIS_SERVER),
                *("--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)),
                *("--appendonly", "yes", "--appendfsync", "always", "--save", ""),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)
        return self

    def _answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self):
        """SIGKILL: the port refuses connections until `start()`."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    @contextmanager
    def hung(self, *, at_most=30):
        """SIGSTOP for the block: connections are accepted and never answered.

        A watchdog resumes it after `at_most` seconds, so code that waits on it without a
        timeout makes a test fail slowly instead of hanging the suite.
        """
        os.kill(self.process.pid, signal.SIGSTOP)
        watchdog = threading.Timer(at_most, self._resume)
        watchdog.start()
        try:
            yield self
        finally:
            watchdog.cancel()
            self._resume()

    def _resume(self):
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)

    def stop(self):
        if self.process and self.process.poll() is None:
            self._resume()
            self.process.kill()
            self.process.wait(timeout=10)
