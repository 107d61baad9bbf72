"""The HTTPS side both panel simulators share: threaded servers on 127.0.0.1 whose certificate
is chosen per connection (faults.json "tls"), and a request handler that can answer, or fail
an answer, the way the READMEs' transport faults say (status, delay, truncated, drop_after).

A simulator subclasses Handler (route(), server_version, content_type) and Server (its API
object), and runs them with serve().
"""

import argparse
import os
import signal
import socket
import ssl
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CERT_NAMES = ("server", "other", "wrongname", "expired", "selfsigned")


class Dropped(Exception):
    """The handler closed the connection itself: nothing more is sent on it."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    sys_version = ""
    timeout = 300
    content_type = "application/octet-stream"

    def log_message(self, fmt, *args):
        pass  # the simulator's log is DIR/requests.log

    def route(self):
        raise NotImplementedError

    def dispatch(self):
        try:
            self.route()
        except Dropped:
            self.close_connection = True

    do_GET = do_POST = dispatch

    def send(self, code, body, ctype=None, reason=None, extra=()):
        self.send_response(code, reason)
        self.send_header("Content-Type", ctype or self.content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def drop(self, rst=True):
        """Close the connection without a TLS close_notify: with rst, by a TCP reset."""
        try:
            self.wfile.flush()
        except OSError:
            pass
        if rst:
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
            except OSError:
                pass
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass
        raise Dropped()

    # ---- transport faults (faults.json "api" entries' "fault") -------------------------------
    @staticmethod
    def delay(fault):
        time.sleep(min(float(fault.get("seconds", 5)), 600.0))

    def send_status_fault(self, entry, fault, body_format, ctype=None):
        """"status": HTTP `code` (default 500), Retry-After when the entry has retry_after; the
        request is not processed."""
        code = int(fault.get("code", 500))
        entry["status"] = code
        self.server.sim.log_request(entry)
        extra = ()
        if "retry_after" in fault:
            extra = (("Retry-After", str(fault["retry_after"])),)
        return self.send(code, body_format % code, ctype, extra=extra)

    def send_processed(self, entry, kind, code, body, ctype=None):
        """Log and send the answer of a processed request, unless fault kind loses it:
        drop_after resets the connection, truncated sends half the body under a Content-Length
        100 bytes too large and closes."""
        entry["status"] = code
        self.server.sim.log_request(entry)
        if kind == "drop_after":
            return self.drop()
        if kind == "truncated":
            self.send_response(code)
            self.send_header("Content-Type", ctype or self.content_type)
            self.send_header("Content-Length", str(len(body) + 100))
            self.end_headers()
            self.wfile.write(body[: max(1, len(body) // 2)])
            return self.drop(rst=False)
        return self.send(code, body, ctype)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, handler, sim, contexts):
        super().__init__(addr, handler)
        self.sim = sim
        self.contexts = contexts

    def get_request(self):
        # The certificate is chosen per connection: faults.json "tls" swaps it for TLS tests.
        sock, addr = self.socket.accept()
        ctx = self.contexts.get(self.sim.faults().get("tls") or "server", self.contexts["server"])
        return ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):
        pass


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--lifetime", type=float, default=4 * 3600)
    return ap.parse_args()


def load_contexts(simdir):
    """One server-side TLS context per certificate certs.sh made in DIR/tls."""
    contexts = {}
    for name in CERT_NAMES:
        crt = os.path.join(simdir, "tls", name + ".crt")
        if os.path.exists(crt):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(crt, os.path.join(simdir, "tls", name + ".key"))
            contexts[name] = ctx
    return contexts


def serve(servers, lifetime, ready):
    """Serve until SIGTERM, SIGINT or lifetime seconds; ready() runs once all serve."""
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    ready()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait(lifetime)
    for s in servers:
        s.shutdown()
