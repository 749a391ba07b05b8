#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Print README's table of benchmark parameters, from the benchmarks' own
tables: `ringplane bench NAME --help` for every NAME in `bench --list`.

usage: bench/tools/knobs_table.py [RINGPLANE]   (default: ./build/ringplane)
"""
import re
import subprocess
import sys

exe = sys.argv[1] if len(sys.argv) > 1 else "./build/ringplane"


def run(*args):
    return subprocess.run([exe, "bench", *args], check=True, capture_output=True, text=True).stdout


def knobs(name):
    """(key, default, quick) of the benchmark's own knobs, in table order."""
    text = run(name, "--help")
    own = text.split(f"Parameters of {name}", 1)[1].split("Parameters of every benchmark", 1)[0]
    out, key = [], None
    for line in own.splitlines():
        m = re.match(r"^  (\S+)\s", line)
        if m and not line.startswith("   "):
            key = m.group(1)
            continue
        m = re.match(r"^\s+default (.*?)(?:, --quick (.*))?$", line)
        if m and key:
            out.append((key, m.group(1), m.group(2)))
    return out


print("| benchmark | `--set` parameters: default (`--quick` where it differs) |")
print("|---|---|")
for line in run("--list").splitlines():
    name = line.split()[0]
    cells = [f"`{k}={d}`" + (f" ({q})" if q and q != d else "") for k, d, q in knobs(name)]
    print(f"| {name} | {', '.join(cells) if cells else '(cpus only)'} |")
