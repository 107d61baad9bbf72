"""The panel simulators' third listener: the sites they host, over HTTPS on 127.0.0.1 (README.md,
"The sites over HTTPS").  The Host header (its port stripped) picks the domain, as a web server's
virtual hosts do; the URL path leads into the domain's document root, where the deepest
directory on the way that holds an application is rendered by that application, and anything
else is a static file.

A panel's server.py builds Server(addr, sim, contexts, sites) with sites giving
`docroot(host)` (None: not a domain of this server) and `renderer(directory)` (None: no
application there; else a function (directory, url path inside it) -> (status, text)).
"""

import mimetypes
import os
import urllib.parse

from simlib import https

PAGE = "<!DOCTYPE html>\n<html><head><title>%s</title></head><body><h1>%s</h1></body></html>\n"


def page(status, title):
    return status, (PAGE % (title, title)).encode(), "text/html; charset=UTF-8"


def inside(root, path):
    """path, resolved, is root or below it (a link never leads a request out of the domain)."""
    root = os.path.realpath(root)
    real = os.path.realpath(path)
    return real == root or real.startswith(root + "/")


def static(root, path):
    """(status, body, content type) of a file below root: a directory answers its index.html."""
    if os.path.isdir(path):
        path = os.path.join(path, "index.html")
    if not os.path.isfile(path) or not inside(root, path) or path.endswith(".php"):
        return page(404, "Not Found")
    with open(path, "rb") as f:
        body = f.read()
    return 200, body, mimetypes.guess_type(path)[0] or "application/octet-stream"


def answer(sites, host, url_path):
    """(status, body bytes, content type) of GET url_path on the virtual host host."""
    root = sites.docroot(host)
    if root is None:
        return page(404, "Not Found")  # the default virtual host knows no such site
    segs = [s for s in url_path.split("/") if s]
    if any(s.startswith(".") for s in segs):
        return page(403, "Forbidden")  # .., .htaccess and the like
    target = os.path.join(root, *segs)
    if os.path.isfile(target) and not target.endswith(".php"):
        return static(root, target)  # an existing file is sent before any rewrite rule
    app = None
    d = root
    for n in range(len(segs) + 1):
        if n:
            d = os.path.join(d, segs[n - 1])
        if not os.path.isdir(d) or not inside(root, d):
            break
        render = sites.renderer(d)
        if render:
            app = (render, d, n)
    if app is None:
        return static(root, target)
    render, d, n = app
    rest = "/" + "/".join(segs[n:]) + ("/" if url_path.endswith("/") and segs[n:] else "")
    status, text = render(d, rest)
    return status, text.encode("utf-8"), "text/html; charset=UTF-8"


class Handler(https.Handler):
    server_version = "Apache"

    def route(self):
        host = (self.headers.get("Host") or "").strip().lower()
        host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        entry = {"transport": "web", "method": self.command, "host": host, "path": path}
        if self.command in ("GET", "HEAD"):
            code, body, ctype = answer(self.server.sites, host.rstrip("."), path)
        else:
            code, body, ctype = page(405, "Method Not Allowed")
        entry["status"] = code
        self.server.sim.log_request(entry)
        self.send(code, body, ctype)

    do_HEAD = https.Handler.dispatch


class Server(https.Server):
    def __init__(self, addr, sim, contexts, sites):
        super().__init__(addr, Handler, sim, contexts)
        self.sites = sites
