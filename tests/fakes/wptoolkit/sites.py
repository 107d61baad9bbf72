"""What a panel simulator's web listener (../simlib/web.py) serves: every domain of the panel
at its document root, with the applications the simulators install there -- WordPress (a
directory with wp-config.php) and Nextcloud (a directory with occ).  README.md, "The sites over
HTTPS".
"""

import os

import panels
import softaculous
import wordpress


def nextcloud_placeholder(site_dir, url_path):
    return 200, "<!DOCTYPE html>\n<html><head><title>Nextcloud</title></head></html>\n"


class Sites:
    def __init__(self, kind, simdir):
        self.panel = panels.open_panel(kind, simdir)

    def docroot(self, host):
        """The document root of the domain host (read at each request: domains come and go)."""
        info = self.panel.domains().get(host)
        return info["docroot"] if info else None

    def renderer(self, directory):
        if os.path.isfile(os.path.join(directory, "wp-config.php")):
            return wordpress.render_site
        if os.path.isfile(os.path.join(directory, "occ")):
            return getattr(softaculous, "render_site", nextcloud_placeholder)
        return None
