#!/usr/bin/env python3
"""Golden strftime renderings for model/chat's strftime_now: Python's datetime.strftime (what
transformers' strftime_now calls, on a naive datetime.now()) at fixed naive datetimes.

    python3 tools/chatgold/strftime_gold.py     (run by `just chat-golden`)

Writes model/chat/testdata/strftime_golden.json: [{"time": ISO, "format": F, "text": T}].
"""
import json
import os
from datetime import datetime

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "model", "chat", "testdata", "strftime_golden.json")

TIMES = ["2025-01-05T09:03:07.000123", "2024-02-29T00:00:00", "2023-12-31T23:59:59.999999",
         "2026-07-13T12:30:00", "2021-01-01T13:05:09.5"]
FORMATS = ["%d %b %Y", "%Y-%m-%d", "%A, %B %d, %Y", "%a %b %e %H:%M:%S %Y", "%I:%M %p", "%H:%M:%S.%f",
           "%j %U %W %w %u", "%c|%x|%X", "%F %T %D %R", "%y %m %d %h", "Today is 1 Mon 2006 MST PM: %d",
           "100%% %%d [%z][%Z]", "%n%t"]

rows = [{"time": t, "format": f, "text": datetime.fromisoformat(t).strftime(f)} for t in TIMES for f in FORMATS]
with open(OUT, "w", encoding="utf-8") as fh:
    json.dump(rows, fh, ensure_ascii=False, indent=1)
    fh.write("\n")
print(f"strftime golden: {len(rows)} renderings")
