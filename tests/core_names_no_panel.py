#!/usr/bin/env python3
"""The core must not know the panels: outside comments, no file of agent/ names cPanel, Plesk,
Softaculous, WP Toolkit or cPanel's session segment.  A panel's quirks belong in its plugin's
descriptor (include/jiku/plugin.h, struct jiku_panel_facts); docs/ARCHITECTURE.md, "Adding a
panel".  The one exception is the target kind "softaculous" of the action vocabulary: the
kind's enum constant, which include/jiku/plugin.h declares, and its name in agent/vocab.c."""
import pathlib
import re
import sys

WORDS = re.compile(r"cpanel|plesk|softaculous|wp-?toolkit|cpsess", re.IGNORECASE)
# C comments, and string or character literals kept whole so that "/*" inside them is text.
TOKENS = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.DOTALL)


def code_of(text):
    """TEXT with every comment blanked (newlines kept, so line numbers hold)."""
    def blank(m):
        s = m.group(0)
        if s.startswith("/*") or s.startswith("//"):
            return re.sub(r"[^\n]", " ", s)
        return s
    return TOKENS.sub(blank, text)


def allowed(path, line):
    line = line.replace("JIKU_KIND_SOFTACULOUS", "")
    if path.name == "vocab.c":
        line = line.replace('"softaculous"', "")
    return WORDS.search(line) is None


def main(agent_dir):
    bad = []
    for path in sorted(pathlib.Path(agent_dir).glob("*.[ch]*")):
        for n, line in enumerate(code_of(path.read_text()).splitlines(), 1):
            if WORDS.search(line) and not allowed(path, line):
                bad.append(f"{path}:{n}: {line.strip()}")
    for b in bad:
        print(b)
    if bad:
        print(f"{len(bad)} line(s) of agent/ name a panel; move the fact into the plugin")
        return 1
    # The check must be able to fail: a line that names a panel is caught.
    assert not allowed(pathlib.Path("x.c"), 'if (strcmp(panel, "plesk") == 0)')
    assert allowed(pathlib.Path("x.c"), code_of("/* cPanel's port */ int port;"))
    print("agent/ names no panel")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
