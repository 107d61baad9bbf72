#!/usr/bin/env python3
"""The Plesk simulator's HTTPS side: the XML API at /enterprise/control/agent.php.
Python 3 standard library only; see README.md for the contract.

    server.py --dir DIR [--lifetime SECONDS]

Binds 127.0.0.1 on config.json's api_port (0 = any free port), writes the chosen port to
DIR/ports.json, serves until SIGTERM or --lifetime.
"""

import argparse
import json
import os
import signal
import socket
import ssl
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import psim  # noqa: E402
import xmlapi  # noqa: E402

AGENT_PATH = "/enterprise/control/agent.php"
NOT_FOUND = (b"<!DOCTYPE html><html><head><title>404 Not Found</title></head>"
             b"<body><h1>Not Found</h1></body></html>\n")


class Dropped(Exception):
    pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sw-cp-server"
    sys_version = ""
    timeout = 300

    def log_message(self, fmt, *args):
        pass

    def send(self, code, body, ctype="text/xml", extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
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

    def do_POST(self):
        try:
            self.route()
        except Dropped:
            self.close_connection = True

    do_GET = do_POST
    do_PUT = do_POST

    def route(self):
        sim = self.server.sim
        path = self.path.split("?", 1)[0]
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(n, xmlapi.MAX_BODY + 1)) if n > 0 else b""
        entry = {"transport": "https", "method": self.command, "path": path}
        if path != AGENT_PATH:
            entry.update(status=404, operations=[])
            sim.log_request(entry)
            return self.send(404, NOT_FOUND, "text/html")
        code, ctype, out, fields, fault = self.server.api.handle(body, self.headers,
                                                                 self.command)
        entry.update(fields)
        kind = fault.get("fault") if fault else None
        entry["fault"] = kind
        if kind == "drop":
            entry["status"] = None
            sim.log_request(entry)
            return self.drop()
        if kind == "status":
            code = int(fault.get("code", 500))
            entry["status"] = code
            sim.log_request(entry)
            extra = ()
            if "retry_after" in fault:
                extra = (("Retry-After", str(fault["retry_after"])),)
            return self.send(code, b"<html><body>Simulated HTTP %d</body></html>\n" % code,
                             "text/html", extra)
        if kind == "delay":
            time.sleep(min(float(fault.get("seconds", 5)), 600.0))
        entry["status"] = code
        sim.log_request(entry)
        if kind == "drop_after":
            return self.drop()
        if kind == "truncated":
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(out) + 100))
            self.end_headers()
            self.wfile.write(out[: max(1, len(out) // 2)])
            return self.drop(rst=False)
        return self.send(code, out, ctype)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, sim, contexts):
        super().__init__(addr, Handler)
        self.sim = sim
        self.api = xmlapi.Api(sim)
        self.contexts = contexts

    def get_request(self):
        # faults.json "tls" picks the certificate of each new connection, for TLS tests
        sock, addr = self.socket.accept()
        ctx = self.contexts.get(self.sim.faults().get("tls") or "server", self.contexts["server"])
        return ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--lifetime", type=float, default=4 * 3600)
    a = ap.parse_args()
    sim = psim.Sim(a.dir)
    contexts = {}
    for name in ("server", "other", "wrongname", "expired", "selfsigned"):
        crt = os.path.join(sim.dir, "tls", name + ".crt")
        if os.path.exists(crt):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(crt, os.path.join(sim.dir, "tls", name + ".key"))
            contexts[name] = ctx
    srv = Server(("127.0.0.1", int(sim.cfg.get("api_port", 0))), sim, contexts)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    psim.atomic_write(os.path.join(sim.dir, "ports.json"),
                      json.dumps({"api_port": srv.server_address[1]}), 0o644)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait(a.lifetime)
    srv.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
