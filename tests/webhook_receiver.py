"""A real HTTP webhook receiver on loopback for delivery tests, with the ways a receiver can misbehave.

Paths: /ok answers 200; /fail answers 500; /flaky answers 500 until `recover()` then 200;
/slow waits for the test to end before answering; /trickle sends its status line then one
header byte every 0.2 s (never trips a socket timeout); /redirect answers 302 to `redirect_to`.
Every request is kept with its headers and body.
"""

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    received_at: float  # time.time() when it arrived (the tests' frozen clock)


class Receiver:
    def __init__(self):
        self.requests = []
        self.released = threading.Event()
        self.recovered = threading.Event()
        self.redirect_to = "http://127.0.0.1:9/"
        self.server = None

    def url(self, path):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def recover(self):
        self.recovered.set()

    def bodies(self):
        return [r.body for r in self.requests]


def _handler(receiver):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            length = min(int(self.headers.get("Content-Length", "0")), 1_000_000)
            body = self.rfile.read(length)
            receiver.requests.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time())
            )
            if self.path == "/slow":
                receiver.released.wait(30)
            if self.path == "/trickle":
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                for _tick in range(150):
                    if receiver.released.wait(0.2):
                        return
                    self.wfile.write(b"X")
                    self.wfile.flush()
                return
            status = 200
            if self.path == "/fail" or (self.path == "/flaky" and not receiver.recovered.is_set()):
                status = 500
            self.send_response(302 if self.path == "/redirect" else status)
            if self.path == "/redirect":
                self.send_header("Location", receiver.redirect_to)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    return Handler


@contextmanager
def running_receiver():
    receiver = Receiver()
    receiver.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    receiver.server.daemon_threads = True
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.released.set()
        receiver.server.shutdown()
        receiver.server.server_close()
