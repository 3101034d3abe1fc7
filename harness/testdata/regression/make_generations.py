"""Writes the frozen generation files of the CI regression eval (run once; outputs committed).

Real responses: the 32 Qwen2.5-Math chain-of-thought responses of shared/verifier-dev/
qwen25_math_cot100_dev.jsonl whose questions are MATH-500 problems. Constructed responses: for
the other benchmarks, deterministic answer shapes that exercise every extraction and scoring
path (boxed letters, \\text, "Final Answer:", stop tokens, no answer, near-miss numbers).
Usage: python3 make_generations.py ../../../../shared ../../../benchmarks/data
"""
import gzip, json, random, sys, csv, io

shared, data = sys.argv[1], sys.argv[2]
rng = random.Random(20261125)

def rows(name):
    with gzip.open(f"{data}/{name}", "rt") as f:
        return [json.loads(l) for l in f if l.strip()]

def dump(name, recs):
    with gzip.open(name, "wt") as f:
        for r in recs:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")

L = "ABCDEFGHIJ"
def mc_shapes(gold, n_opts):
    wrong = rng.choice([c for c in L[:n_opts] if c != gold])
    return [
        f"Step by step... so the answer is \\boxed{{{gold}}}.",
        f"Reasoning.\n\\boxed{{{wrong}}}",
        f"\\boxed{{\\text{{{gold}}}}}",
        f"Final Answer: {gold}\n",
        f"The answer is ({gold}).",
        f"I considered \\boxed{{{wrong}}} but then \\boxed{{{gold}}}",
        f"\\boxed{{{gold}}}<|im_end|>\\boxed{{{wrong}}}",
        "I cannot decide.",
        f"Answer: {wrong}\nso",
        f"\\boxed{{({gold}) {'some option text'}}}",
    ]

out = []
mp = rows("mmlu_pro_test.jsonl.gz")
for i, r in enumerate(mp[::300][:40]):
    out.append({"question_id": r["question_id"], "model_outputs": mc_shapes(r["answer"], len(r["options"]))[i % 10]})
dump("mmlu-pro.jsonl.gz", out)

out = []
bb = rows("bbeh_all.jsonl.gz")
for i, r in enumerate(bb[::150][:30]):
    t = r["target"]
    shapes = [f"\\boxed{{{t}}}", f"The answer is: {t}\n", f"\\boxed{{{t.upper()}}}.", "\\boxed{zzz}", "no idea",
              f"The final answer is {t}.", f"$\\boxed{{{t}}}$"]
    out.append({"id": f"{r['task']}/{r['index']}", "response": shapes[i % len(shapes)]})
dump("bbeh.jsonl.gz", out)

out = []
with gzip.open(f"{data}/theoremqa_test.json.gz", "rt") as f:
    tq = json.load(f)
for i, r in enumerate(tq[::25][:32]):
    a, ty = r["Answer"], r["Answer_type"]
    if ty in ("integer", "float"):
        shapes = [f"\\boxed{{{a}}}", f"\\boxed{{{a*1.03:.6g}}}", f"\\boxed{{{a*1.07+0.5:.6g}}}", f"The answer is {a}"]
    elif ty.startswith("list"):
        shapes = [f"\\boxed{{{list(reversed(a))}}}", f"\\boxed{{{a[:-1]}}}", "\\boxed{[1, 2]}"]
    elif ty == "bool":
        shapes = [f"\\boxed{{{a}}}", "\\boxed{\\text{Yes}}", "\\boxed{False}"]
    else:
        shapes = [f"\\boxed{{{a}}}", "\\boxed{(d)}"]
    out.append({"id": r["id"], "response": shapes[i % len(shapes)]})
dump("theoremqa.jsonl.gz", out)

out = []
gs = rows("gsm8k_test.jsonl.gz")
for i, r in enumerate(gs[:24]):
    g = r["answer"].split("#### ")[-1]
    shapes = [f"\\boxed{{{g}}}", f"\\boxed{{{g}.00}}", f"\\boxed{{\\${g}}}", f"The answer is {g}.", f"\\boxed{{{g}}} dollars\n\\boxed{{0}}", f"\\boxed{{{int(g.replace(',',''))+1}}}"]
    out.append({"idx": r["idx"], "response": shapes[i % len(shapes)]})
dump("gsm8k.jsonl.gz", out)

m5 = {json.loads(l)["problem"].strip(): json.loads(l)["unique_id"] for l in gzip.open(f"{data}/math500_test.jsonl.gz", "rt")}
out = []
counter = {}
for l in open(f"{shared}/verifier-dev/qwen25_math_cot100_dev.jsonl"):
    r = json.loads(l)
    uid = m5.get(r["question"].strip())
    if uid is None:
        continue
    s = counter.get(uid, 0); counter[uid] = s + 1
    out.append({"id": uid, "sample": s, "response": r["response"]})
dump("math500.jsonl.gz", out)
print({k: len(v) for k, v in [("math500", out)]})
