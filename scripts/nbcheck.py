"""Fails (exit 1) if an executed notebook holds an error output, a Go panic or a non-zero exit."""
import json, re, sys

bad = 0
for path in sys.argv[1:]:
    cells = json.load(open(path))["cells"]
    for i, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            text = "".join(out.get("text", "")) if kind == "stream" else ""
            if kind == "error" or (out.get("name") == "stderr" and re.search(r"^(exit status \d+|panic: )", text, re.M)):
                bad += 1
                print(f"{path}: cell {i}: {out.get('ename') or text.strip()[:400]}")
sys.exit(1 if bad else 0)
