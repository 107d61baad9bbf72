#!/usr/bin/env python3
"""The Grafana dashboard and the Prometheus rules name only series the agent writes.

usage: check_series.py METRICS_C DASHBOARD_JSON RULES_YML

The series are the families agent/metrics.c writes (its string literals "jiku_agent_..."), so
a renamed or dropped series fails here, not in someone's Grafana.  The dashboard must load as
JSON and every PromQL expression in it (panel targets and template queries) must name at least
one series, each of them written by the agent.  The rules may name those and the series they
record themselves.
"""
import json
import re
import sys

NAME = re.compile(r"\bjiku_agent[a-zA-Z0-9_:]*")


def emitted(metrics_c):
    with open(metrics_c, encoding="utf-8") as f:
        names = set(re.findall(r'"(jiku_agent_[a-z0-9_]+)"', f.read()))
    if len(names) < 10:
        sys.exit(f"{metrics_c}: found only {sorted(names)}: not the metrics source?")
    return names


def expressions(node, path="$"):
    """(path, PromQL) of every target expr and template query in the dashboard."""
    if isinstance(node, dict):
        for key, value in node.items():
            sub = f"{path}.{key}"
            if key == "expr" and isinstance(value, str):
                yield sub, value
            elif key in ("query", "definition") and isinstance(value, str) and "jiku" in value:
                yield sub, value
            else:
                yield from expressions(value, sub)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from expressions(value, f"{path}[{i}]")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    series = emitted(sys.argv[1])
    errors = []
    with open(sys.argv[2], encoding="utf-8") as f:
        dashboard = json.load(f)
    if not dashboard.get("panels"):
        errors.append(f"{sys.argv[2]}: no panels")
    n = 0
    for where, expr in expressions(dashboard):
        n += 1
        names = NAME.findall(expr)
        if not names:
            errors.append(f"{where}: names no jiku_agent series: {expr}")
        errors += [f"{where}: '{x}' is not a series the agent writes" for x in names
                   if x not in series]
    if n == 0:
        errors.append(f"{sys.argv[2]}: no PromQL expression at all")

    with open(sys.argv[3], encoding="utf-8") as f:
        rules = f.read()
    recorded = set(re.findall(r"^\s*- record:\s*(\S+)", rules, re.M))
    for x in sorted(set(NAME.findall(rules)) - series - recorded):
        errors.append(f"{sys.argv[3]}: '{x}' is neither written by the agent nor recorded")
    if not re.search(r"^\s*- alert:", rules, re.M):
        errors.append(f"{sys.argv[3]}: no alert")

    for e in errors:
        print(f"FAIL: {e}")
    print(f"check_series: {n} dashboard expressions, {len(series)} series, {len(errors)} failures")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
