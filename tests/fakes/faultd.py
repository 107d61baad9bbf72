#!/usr/bin/env python3
"""A fault-injecting HTTPS server for the transport tests (Python 3 standard library only).

Listens on 127.0.0.1, port 0 unless --port is given, prints the chosen port on the first line
of stdout, then serves HTTP/1.1 with keep-alive.  Each request is logged to --log as one line
"METHOD PATH CLIENT_PORT", so a test can count requests and distinct connections.

The fault is chosen by the path, /fault/<name>/<anything>?<params>; any other path answers
200 with a small JSON document.  Faults:

  reset          read the request, then close with a TCP RST (SO_LINGER 0)
  close          read the request, then close without answering
  stall          read the request, never answer (bounded by ?secs=, default 60)
  trickle        200 with Content-Length ?len= (default 120), one byte per second
  truncate       Content-Length 100, send 5 bytes, close
  503-then-200   the first ?n= (default 1) requests to the same path get 503 with
                 Retry-After ?ra= (default 1), later ones 200
  status         answer ?code= (default 500) with a JSON body
  garbage        200, Content-Type application/json, a binary non-JSON body
  big            200 with a body of ?size= bytes (default 2 MiB); ?chunked=1 without a length
  echo           200 with the request's method, headers and body length as JSON
  redirect       302 to ?to= (default https://evil.example/stolen)
  cookie         200 setting "Set-Cookie: jikusess=?value= (default s3cr3t)"
  slow-ok        200 after ?secs= (default 2) seconds

With --handshakes FILE, each TLS handshake appends "full" or "resumed" to FILE, so a test can
tell a shared session cache at work; --no-resume makes every handshake a full one (no session
tickets, no session cache), so a test can tell what a client verified from what it resumed.

The server exits after --lifetime seconds (default 300) whatever happens, so a test that
crashes never leaves it behind for long.
"""

import argparse
import json
import os
import socket
import ssl
import struct
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_hits = {}
_hits_lock = threading.Lock()
_log_lock = threading.Lock()
_stop = threading.Event()


class Dropped(Exception):
    """The connection was closed on purpose; nothing more to send."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "faultd/1"
    sys_version = ""

    def log_message(self, fmt, *args):  # quiet: the request log is --log
        pass

    def _record(self):
        if self.server.log_path:
            with _log_lock, open(self.server.log_path, "a") as f:
                f.write("%s %s %d\n" % (self.command, self.path, self.client_address[1]))

    def _body_in(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _send(self, code, body, ctype="application/json", extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _drop(self, rst):
        sock = self.connection
        if rst:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # rfile holds a reference to the socket: without closing it first, close() would not
        # close the descriptor (and so would send neither the RST nor the FIN).
        self.rfile.close()
        sock.close()
        raise Dropped()

    def do_GET(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def _handle(self):
        self._record()
        body_in = self._body_in()
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        parts = url.path.split("/")
        fault = parts[2] if len(parts) > 2 and parts[1] == "fault" else None

        if fault is None:
            self._send(200, json.dumps({"ok": 1, "path": url.path}).encode())
        elif fault == "reset":
            self._drop(True)
        elif fault == "close":
            self._drop(False)
        elif fault == "stall":
            _stop.wait(float(q.get("secs", 60)))
            self._drop(False)
        elif fault == "trickle":
            n = int(q.get("len", 120))
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(n))
            self.end_headers()
            self.wfile.flush()
            for _ in range(n):
                if _stop.wait(1.0):
                    break
                self.wfile.write(b"x")
                self.wfile.flush()
        elif fault == "truncate":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b'{"ok"')
            self.wfile.flush()
            self._drop(False)
        elif fault == "503-then-200":
            with _hits_lock:
                seen = _hits.get(url.path, 0)
                _hits[url.path] = seen + 1
            if seen < int(q.get("n", 1)):
                self._send(503, b'{"error":"busy"}', extra=[("Retry-After", q.get("ra", "1"))])
            else:
                self._send(200, json.dumps({"ok": 1, "attempt": seen + 1}).encode())
        elif fault == "status":
            code = int(q.get("code", 500))
            self._send(code, json.dumps({"status": code}).encode())
        elif fault == "garbage":
            self._send(200, bytes(range(256)) * 4 + b"\x00\xff{[")
        elif fault == "big":
            size = int(q.get("size", 2 * 1024 * 1024))
            chunk = b"a" * 65536
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if q.get("chunked") == "1":
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(size))
            self.end_headers()
            left = size
            while left > 0:
                part = chunk[: min(left, len(chunk))]
                if q.get("chunked") == "1":
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                else:
                    self.wfile.write(part)
                left -= len(part)
            if q.get("chunked") == "1":
                self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        elif fault == "echo":
            doc = {
                "method": self.command,
                "path": self.path,
                "headers": [[k, v] for k, v in self.headers.items()],
                "body_len": len(body_in),
            }
            self._send(200, json.dumps(doc).encode())
        elif fault == "redirect":
            self._send(302, b"{}", extra=[("Location", q.get("to", "https://evil.example/stolen"))])
        elif fault == "cookie":
            cookie = "jikusess=%s; Path=/; Secure; HttpOnly" % q.get("value", "s3cr3t")
            self._send(200, b'{"ok":1}', extra=[("Set-Cookie", cookie)])
        elif fault == "slow-ok":
            _stop.wait(float(q.get("secs", 2)))
            self._send(200, b'{"ok":1}')
        else:
            self._send(404, b'{"error":"no such fault"}')


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, ctx, log_path, handshakes_path):
        super().__init__(addr, Handler)
        self.ctx = ctx
        self.log_path = log_path
        self.handshakes_path = handshakes_path

    def finish_request(self, request, client_address):
        # The handshake runs here, in the connection's thread, so a slow or failing client
        # never blocks accept().
        try:
            request.settimeout(90)
            tls = self.ctx.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        if self.handshakes_path:
            with _log_lock, open(self.handshakes_path, "a") as f:
                f.write("resumed\n" if tls.session_reused else "full\n")
        try:
            self.RequestHandlerClass(tls, client_address, self)
        except (Dropped, OSError, ssl.SSLError, ValueError):
            pass
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        pass


def main():
    ap = argparse.ArgumentParser(description="fault-injecting HTTPS server for tests")
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--log")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--lifetime", type=float, default=300)
    ap.add_argument("--handshakes")
    ap.add_argument("--no-resume", action="store_true")
    args = ap.parse_args()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    if args.no_resume:
        ctx.options |= ssl.OP_NO_TICKET
        ctx.num_tickets = 0
    for path in (args.log, args.handshakes):
        if path:
            open(path, "w").close()
    srv = Server(("127.0.0.1", args.port), ctx, args.log, args.handshakes)

    def expire():
        _stop.set()
        os._exit(0)

    timer = threading.Timer(args.lifetime, expire)
    timer.daemon = True
    timer.start()

    sys.stdout.write("%d\n" % srv.server_address[1])
    sys.stdout.flush()
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
