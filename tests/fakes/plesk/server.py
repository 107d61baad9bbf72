#!/usr/bin/env python3
"""The Plesk simulator's HTTPS side: the XML API at /enterprise/control/agent.php, and the
subscriptions' sites on a second port (../simlib/web.py).  Python 3 standard library only; see
README.md for the contract.

    server.py --dir DIR [--lifetime SECONDS]

Binds 127.0.0.1 on config.json's api_port and web_port (0 = any free port), writes the chosen
ports to DIR/ports.json, serves until SIGTERM or --lifetime.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # tests/fakes: simlib
sys.path.insert(0, HERE)
import psim  # noqa: E402
import xmlapi  # noqa: E402
from simlib import https, web  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(HERE), "wptoolkit"))
import sites  # noqa: E402

AGENT_PATH = "/enterprise/control/agent.php"
NOT_FOUND = (b"<!DOCTYPE html><html><head><title>404 Not Found</title></head>"
             b"<body><h1>Not Found</h1></body></html>\n")


class Handler(https.Handler):
    server_version = "sw-cp-server"
    content_type = "text/xml"
    do_PUT = https.Handler.dispatch

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
            return self.send_status_fault(
                entry, fault, b"<html><body>Simulated HTTP %d</body></html>\n", "text/html")
        if kind == "delay":
            self.delay(fault)
        return self.send_processed(entry, kind, code, out, ctype)


class Server(https.Server):
    def __init__(self, addr, sim, contexts):
        super().__init__(addr, Handler, sim, contexts)
        self.api = xmlapi.Api(sim)


def main():
    a = https.parse_args()
    sim = psim.Sim(a.dir)
    contexts = https.load_contexts(sim.dir)
    srv = Server(("127.0.0.1", int(sim.cfg.get("api_port", 0))), sim, contexts)
    www = web.Server(("127.0.0.1", int(sim.cfg.get("web_port", 0))), sim, contexts,
                     sites.Sites("plesk", sim.dir))
    ports = {"api_port": srv.server_address[1], "web_port": www.server_address[1]}
    https.serve((srv, www), a.lifetime, lambda: psim.atomic_write(
        os.path.join(sim.dir, "ports.json"), json.dumps(ports), 0o644))
    return 0


if __name__ == "__main__":
    sys.exit(main())
