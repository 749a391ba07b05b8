# SPDX-License-Identifier: MIT
"""Checks shared by the benchmark shape tests (test/bench/*_shape.sh).

They judge the SHAPE of `ringplane bench NAME --quick` output, never its
numbers: the benchmark's name, results present, every metric with
min <= median <= max over the repetitions it kept. Each test adds its own
expectations with need() and ends with done().
"""
import json
import sys


class Shape:
    def __init__(self, path, name):
        with open(path) as f:
            self.doc = json.load(f)
        self.name = name
        self.fails = []
        self.need(self.doc.get("benchmark") == name, f"benchmark is '{name}'")
        self.results = self.doc.get("results", [])
        self.need(self.results, "results non-empty")
        self.by_variant = {}
        for r in self.results:
            self.by_variant.setdefault(r["variant"], []).append(r)
            for metric, m in r["metrics"].items():
                where = f"{r['variant']} {metric}"
                self.need(m["min"] <= m["median"] <= m["max"], f"{where}: min <= median <= max")
                self.need(len(m["reps"]) >= 1, f"{where}: reps kept")

    def need(self, cond, what):
        if not cond:
            self.fails.append(what)

    def done(self):
        for f in self.fails:
            print("FAIL -", f)
        print(f"{self.name} JSON shape: {len(self.results)} results, {len(self.fails)} problems")
        sys.exit(1 if self.fails else 0)
