#!/usr/bin/env python3
"""Compare a `just micro` run in results/micro/ (or, with --e2e, a `just e2e` run in results/e2e/)
with the committed one (git HEAD).

Every number must be equal to the last digit; only wall-clock fields differ between runs and are
ignored: JSON keys named *seconds*, step_s, gen_s, tokens_per_s, date, wall_seconds, verl's
timing_s/*, timing_per_token_ms/*, perf/throughput, perf/time_per_step, perf/mfu/*, and the
`seconds` column of runs.csv. The tables and curves under tables/ and results/micro/ are compared
byte for byte. Exit status 0 when the run reproduces the commit, 1 otherwise (the differing files
and the first differing value are printed), 2 when there is nothing to compare.

    just micro && python3 scripts/micro-check.py
    just e2e && python3 scripts/micro-check.py --e2e
"""
import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMING = re.compile(r"seconds|^step_s$|^gen_s$|^tokens_per_s$|^date$|^timing_s/|^timing_per_token_ms/|^perf/(throughput|time_per_step|mfu)")


def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if not TIMING.search(k)}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x


def committed(path):
    r = subprocess.run(["git", "show", "HEAD:" + path], capture_output=True, cwd=ROOT)
    return r.stdout if r.returncode == 0 else None


def first_diff(a, b, where=""):
    if type(a) is not type(b):
        return f"{where}: {a!r} vs {b!r}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{where}.{k}: only on one side"
            d = first_diff(a[k], b[k], f"{where}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{where}: {len(a)} vs {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_diff(x, y, f"{where}[{i}]")
            if d:
                return d
        return None
    return None if a == b else f"{where}: {a!r} (committed) vs {b!r} (this run)"


def compare(path, old, new):
    if path.endswith(".json"):
        return first_diff(strip(json.loads(old)), strip(json.loads(new)))
    if path.endswith(".jsonl"):
        a = [strip(json.loads(l)) for l in old.decode().splitlines() if l.strip()]
        b = [strip(json.loads(l)) for l in new.decode().splitlines() if l.strip()]
        return first_diff(a, b, "line")
    if path.endswith("runs.csv"):
        def rows(b):
            rs = list(csv.DictReader(io.StringIO(b.decode())))
            return [{k: v for k, v in r.items() if k != "seconds"} for r in rs]
        return first_diff(rows(old), rows(new), "row")
    return None if old == new else "bytes differ"


def main():
    root = ROOT
    name, what, summary = "micro-check", ["results/micro", "tables"], "results/micro/summary.json"
    if sys.argv[1:] == ["--e2e"]:
        name, what, summary = "e2e-check", ["results/e2e", "tables/e2e.*"], "results/e2e/summary.json"
    elif sys.argv[1:]:
        print("usage: micro-check.py [--e2e]", file=sys.stderr)
        return 2
    files = subprocess.run(["git", "-C", str(root), "ls-files", *what], capture_output=True, text=True).stdout.split()
    if not files or not (root / summary).exists():
        print(f"{name}: no {summary} to compare (run `just {name.split('-')[0]}` first)", file=sys.stderr)
        return 2
    bad = 0
    for f in files:
        old = committed(f)
        p = root / f
        if not p.exists():
            print(f"{name}: {f}: missing in this run")
            bad += 1
            continue
        d = compare(f, old, p.read_bytes())
        if d:
            print(f"{name}: {f}: {d}")
            bad += 1
    if bad:
        print(f"{name}: {bad} of {len(files)} files differ from the commit")
        return 1
    print(f"{name}: {len(files)} files reproduce the commit (wall-clock fields ignored)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
