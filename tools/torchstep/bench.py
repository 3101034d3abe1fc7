#!/usr/bin/env python3
"""Side-by-side GRPO step: greason against the eager PyTorch reference (step.py), one after the other.

    python3 tools/torchstep/bench.py --greason bin/greason [--torch-python /usr/bin/python3]
        [--preset qwen3-0.6b --batch 2 --n 2 --prompt-len 32 --gen-len 64 --steps 2]
        [--rollout-dtype bfloat16] [--out FILE.json]

`just bench-step` runs it under flock /tmp/greason-heavy.lock: each side needs ~15-16 GiB, so they
never run at the same time. greason runs `train plan --measure` (random weights, reference model,
AdamW, the memory options the 0.6B shape needs on 24 GiB: rollout weights as inputs, serial
update, and the fused AdamW update), which also measures the memory bandwidth and the generation bound it implies; the torch
side is step.py at its fastest setting (2 threads, the faster generation dtype). Both report the
last of --steps steps. The table gives each phase's seconds on both sides and the ratio
torch/greason (> 1: greason is faster), the peak RSS, the precision of each phase, and the load
average seen when each side started (other work on the machine slows either side).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PHASES = [("generate", "generate"), ("old_ref_logprobs", "old + reference log-probs"), ("update", "update")]


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def run(cmd, env=None):
    print("$ " + " ".join(cmd), file=sys.stderr, flush=True)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, env=env)
    if p.returncode != 0:
        sys.exit(f"bench-step: {cmd[0]} failed with exit status {p.returncode}")
    return p.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--greason", required=True, help="the greason binary (built with GOEXPERIMENT=simd)")
    ap.add_argument("--torch-python", default="/usr/bin/python3")
    ap.add_argument("--preset", default="qwen3-0.6b")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--n", type=int, default=2)
    ap.add_argument("--prompt-len", type=int, default=32)
    ap.add_argument("--gen-len", type=int, default=64)
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--rollout-dtype", default="bfloat16", help="greason's rollout dtype (float32: the graph decoder)")
    ap.add_argument("--torch-gen-dtype", default="auto")
    ap.add_argument("--greason-args", default="--fused-adamw",
                    help="more flags for greason's train plan (its fastest setting by default: the fused AdamW)")
    ap.add_argument("--out", help="also write both measurements as JSON here")
    a = ap.parse_args()
    shape = ["--batch", str(a.batch), "--n", str(a.n), "--prompt-len", str(a.prompt_len), "--gen-len", str(a.gen_len),
             "--steps", str(a.steps)]

    g_load = load_average()
    g_cmd = [a.greason, "train", "plan", "--config", a.preset, "--device", "cpu", "--rollout-weights-as-inputs",
             "--serial-update", "--measure", "--json", "--rollout-dtype", a.rollout_dtype] + shape + a.greason_args.split()
    g = json.loads(run(g_cmd))
    m = g["measurement"]

    t_load = load_average()
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "torch.json")
        run([a.torch_python, os.path.join(HERE, "step.py"), "--preset", a.preset, "--json", out,
             "--gen-dtype", a.torch_gen_dtype] + shape)
        with open(out) as f:
            t = json.load(f)

    gs = {p["name"]: p for p in m["phases"]}
    ts = {p["name"]: p for p in t["phases"]}
    gib = 2 ** 30
    print(f"\nbench-step: {a.preset} shape ({m['params'] / 1e6:.1f} M parameters), {a.batch} prompts x {a.n} rollouts, "
          f"{a.prompt_len} prompt + {a.gen_len} new tokens, AdamW, reference model; step {a.steps} of {a.steps}")
    print(f"load average at the start: greason {g_load}; torch {t_load}")
    print(f"\n{'phase':28s} {'greason (s)':>12s} {'torch (s)':>10s} {'torch/greason':>14s}   CPU s: greason, torch")
    gcpu = tcpu = 0.0
    for key, label in PHASES:
        gsec, tsec = gs[key]["seconds"], ts[key]["seconds"]
        gcpu += gs[key].get("cpu_s", 0)
        tcpu += ts[key].get("cpu_s", 0)
        print(f"{label:28s} {gsec:12.1f} {tsec:10.1f} {tsec / gsec:14.2f}   {gs[key].get('cpu_s', 0):6.1f} {ts[key].get('cpu_s', 0):6.1f}")
    print(f"{'step':28s} {m['step_s']:12.1f} {t['step_s']:10.1f} {t['step_s'] / m['step_s']:14.2f}   {gcpu:6.1f} {tcpu:6.1f}")
    print(f"{'peak RSS (GiB)':28s} {m['peak_rss'] / gib:12.2f} {t['peak_rss'] / gib:10.2f}")
    gdt = "bfloat16 weights (cast once per step) and KV cache, float32 activations" if a.rollout_dtype == "bfloat16" \
        else "float32 (graph decoder)"
    tdt = "bfloat16 weights, activations and KV cache" if t["gen_dtype"] == "bfloat16" else "float32"
    print(f"\nprecision: greason generate {gdt}; log-probs and update float32")
    print(f"           torch {t['torch']} ({t['threads']} threads, BLAS {', '.join(os.path.basename(x) for x in t['blas']) or 'unknown'}): "
          f"generate {tdt}; log-probs and update float32")
    if t.get("gen_trials_s"):
        print("           torch generation dtype chosen by an 8-token trial: " +
              ", ".join(f"{k} {v:.2f} s" for k, v in t["gen_trials_s"].items()))
    gbytes = 2 if a.rollout_dtype == "bfloat16" else 4
    tbytes = 2 if t["gen_dtype"] == "bfloat16" else 4
    for b in g.get("bandwidth", []):
        if b["workers"] != 2:
            continue
        ro = g["plans"][0]["rollout"]
        bound = ro["passes"] * ro["bytes_per_pass"] / (b["gb_per_s"] * 1e9)
        tbound = bound * tbytes / gbytes
        print(f"memory bandwidth ({b['kernel']}, 2 cores) {b['gb_per_s']:.1f} GB/s: generation reads the weights {ro['passes']} times; "
              f"bound {ro['bytes_per_pass'] / 1e9:.2f} GB each = {bound:.1f} s for greason ({ro['dtype']}), {tbound:.1f} s for torch "
              f"({t['gen_dtype']}); measured {gs['generate']['seconds'] / bound:.2f}x and {ts['generate']['seconds'] / tbound:.2f}x their bounds")
    if not any("openblas" in x for x in t.get("blas", [])):
        print("warning: torch is not using OpenBLAS (" + (", ".join(t.get("blas", [])) or "no BLAS library found") +
              "); Debian's reference libblas3 is far slower: apt-get install -y libopenblas0-pthread")
    print("greason: " + " ".join(g_cmd))
    if a.out:
        tmp = a.out + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"greason": g, "torch": t, "load": {"greason": g_load, "torch": t_load}, "command": g_cmd}, f, indent=2)
        os.replace(tmp, a.out)


if __name__ == "__main__":
    main()
