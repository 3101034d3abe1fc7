"""Rewards per second through greason_reward.py against a running `greason reward serve`
(scripts/bench-reward.sh starts one; `just bench-reward`).

The rows are real responses shipped in the repository: the published MMLU-Pro (Mistral-7B, 5-shot)
and TheoremQA (Mistral-7B, InternLM2-20B) generations in benchmarks/data/published, MATH-500's
reference solutions (long derivations ending in \\boxed{}) with their answers, and the micro
reproduction's policy samples (results/micro/logs/*_samples.jsonl). They are shuffled with a
fixed seed and sent as verl would: compute_score_batch on steps of --rows rows (verl's paper
step: 1024 prompts x 8 rollouts = 8192), and compute_score one response at a time.
"""

import argparse
import glob
import gzip
import io
import json
import os
import random
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import greason_reward as g  # noqa: E402

LETTERS = "ABCDEFGHIJ"


def load_rows():
    rows = []
    pub = os.path.join(ROOT, "benchmarks", "data", "published")
    with zipfile.ZipFile(os.path.join(pub, "model_outputs_Mistral-7B-v0.1_5shots.zip")) as z:
        recs = json.loads(z.read("model_outputs_Mistral-7B-v0.1_5shots.json"))
    for r in recs:
        q = r["question"] + "\n" + "\n".join("%s. %s" % (LETTERS[i], o) for i, o in enumerate(r["options"]))
        rows.append(("mmlu-pro", q, r["answer"], r["generated_text"]))
    for name in ("Mistral_7B_v0.1_5shots_mistral.jsonl.gz", "internlm2_20b_5shots_short.jsonl.gz"):
        with gzip.open(os.path.join(pub, name), "rt", encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                rows.append(("theoremqa", r["question"], str(r["correct"][0]), r["solution"]))
    with gzip.open(os.path.join(ROOT, "benchmarks", "data", "math500_test.jsonl.gz"), "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            rows.append(("math500", r["problem"], r["answer"], r["solution"]))
    for path in sorted(glob.glob(os.path.join(ROOT, "results", "micro", "logs", "*_samples.jsonl"))):
        with io.open(path, encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                rows.append(("micro", r["question"], r["gold"], r["response"]))
    random.Random(1).shuffle(rows)
    return rows


def batches(rows, size):
    i = 0
    while True:
        b = [rows[(i + k) % len(rows)] for k in range(size)]
        i = (i + size) % len(rows)
        yield b


def server_cpu():
    """CPU seconds the server process has used (GREASON_BENCH_SERVER_PID, Linux /proc), or None."""
    pid = os.environ.get("GREASON_BENCH_SERVER_PID")
    if not pid:
        return None
    with open("/proc/%s/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def call_batch(b):
    return g.compute_score_batch([r[0] for r in b], [r[3] for r in b], [r[2] for r in b], [{"question": r[1]} for r in b])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=8192, help="rows per compute_score_batch call (a verl step)")
    ap.add_argument("--seconds", type=float, default=20, help="how long to run the batched calls")
    ap.add_argument("--single", type=int, default=3000, help="rows scored with compute_score, one call each")
    ap.add_argument("--single-threads", type=int, default=8, help="threads calling compute_score (verl's reward loop runs them in an executor)")
    ap.add_argument("--out", help="write the summary JSON here too")
    a = ap.parse_args()

    rows = load_rows()
    by_source = {}
    for r in rows:
        by_source[r[0]] = by_source.get(r[0], 0) + 1
    mean_bytes = sum(len(r[3].encode()) for r in rows) / len(rows)
    client = g._get_client()
    h0 = client.health()
    print("server %s: judge %s, tokenizer %s, %d workers" % (client.url, h0["judge"], h0["tokenizer"], h0["workers"]))
    print("rows: %d (%s), response mean %.0f bytes" % (len(rows), ", ".join("%s %d" % kv for kv in sorted(by_source.items())), mean_bytes))

    gen = batches(rows, a.rows)
    call_batch(next(gen))  # warm-up: connections, server caches
    n, calls, scores = 0, 0, []
    scpu0 = server_cpu()
    cpu0, t0 = time.process_time(), time.perf_counter()
    while True:
        res = call_batch(next(gen))
        n += len(res)
        calls += 1
        scores.extend(r["score"] for r in res)
        if time.perf_counter() - t0 >= a.seconds:
            break
    el = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    scpu = None if scpu0 is None else server_cpu() - scpu0
    batched = n / el
    dist = {"-0.5": sum(1 for s in scores if s == -0.5), "0": sum(1 for s in scores if s == 0),
            "pass": sum(1 for s in scores if s > 0)}
    print("compute_score_batch: %d rows in %d calls of %d, %.2f s: %.0f rewards/s (client CPU %.2f s, server CPU %s; "
          "mean reward %.4f; -0.5/0/pass %d/%d/%d)" % (n, calls, a.rows, el, batched, cpu,
                                                      "?" if scpu is None else "%.2f s: %.0f rewards per server CPU-second" % (scpu, n / scpu),
                                                      sum(scores) / len(scores), dist["-0.5"], dist["0"], dist["pass"]))

    single_rows = rows[:a.single]
    t0 = time.perf_counter()
    for r in single_rows:
        g.compute_score(r[0], r[3], r[2], {"question": r[1]})
    el1 = time.perf_counter() - t0
    single = len(single_rows) / el1
    print("compute_score, one thread: %d calls in %.2f s: %.0f rewards/s" % (len(single_rows), el1, single))
    t0 = time.perf_counter()
    with ThreadPoolExecutor(a.single_threads) as ex:
        list(ex.map(lambda r: g.compute_score(r[0], r[3], r[2], {"question": r[1]}), single_rows))
    el2 = time.perf_counter() - t0
    threaded = len(single_rows) / el2
    print("compute_score, %d threads: %d calls in %.2f s: %.0f rewards/s" % (a.single_threads, len(single_rows), el2, threaded))

    h1 = client.health()
    summary = {
        "batched_rewards_per_s": round(batched), "batched_rows": n, "batched_seconds": round(el, 3), "rows_per_call": a.rows,
        "single_rewards_per_s": round(single), "single_threaded_rewards_per_s": round(threaded),
        "single_threads": a.single_threads, "client_cpu_seconds_batched": round(cpu, 2),
        "server_cpu_seconds_batched": None if scpu is None else round(scpu, 2),
        "mean_reward": sum(scores) / len(scores), "reward_kinds": dist, "rows_pool": len(rows), "sources": by_source,
        "response_mean_bytes": round(mean_bytes), "judge": h0["judge"], "tokenizer": h0["tokenizer"],
        "server_workers": h0["workers"], "server_rows": h1["stats"]["rows"] - h0["stats"]["rows"],
        "server_requests": h1["stats"]["requests"] - h0["stats"]["requests"],
    }
    print(json.dumps(summary, sort_keys=True))
    if a.out:
        tmp = a.out + ".tmp"
        with open(tmp, "w") as f:
            json.dump(summary, f, indent=1, sort_keys=True)
            f.write("\n")
        os.replace(tmp, a.out)
    client.close()


if __name__ == "__main__":
    main()
