#!/usr/bin/env python3
"""One GRPO step of a Qwen3-shaped model in eager PyTorch: the reference side of `just bench-step`.

    python3 tools/torchstep/step.py [--preset qwen3-0.6b] [--batch 2 --n 2 --prompt-len 32
        --gen-len 64 --steps 2 --threads 2 --gen-dtype auto|float32|bfloat16] [--json OUT]

Needs Debian's python3-torch (and, for its float32 matrix products, an optimised BLAS such as
libopenblas0-pthread: Debian's torch calls the system BLAS, and the reference libblas3 is ~50x
slower). Nothing is shared with the Go implementation: the model is written from the Hugging Face
Qwen3 architecture (modeling_qwen3.py: RMSNorm computed in float32, q_norm/k_norm per head before
rotate_half RoPE, grouped-query attention, SwiGLU MLP, tied LM head) and the step follows verl's
GRPO as protocol.md §3 states it: rollouts sampled at temperature 1 with a KV cache, old and
reference log-probs, then one AdamW update of the clipped PPO loss with dual-clip, k3 KL to the
frozen reference (coefficient 1e-4) and an entropy bonus (1e-3), token-mean over the response
tokens, global-norm clipping 1.0.

The setting is the one greason's `train plan --measure` runs: random weights (normal, std 0.02;
norms 1), a frozen reference copy, P prompts x N rollouts of a prompt of L tokens and exactly G new
tokens (no early stop), one mini-batch, the rewards alternating 0/1 so every group has non-zero
advantages. Each phase is timed (wall clock) and its peak RSS read from /proc/self/status (VmHWM,
reset through /proc/self/clear_refs at each phase start). --steps 2 reports the second step (the
first warms up the allocator and the threads).

Precision: the log-probs and the update are float32. Generation runs in float32, or in bfloat16
(a bfloat16 copy of the policy, weights cast once per step, bfloat16 activations and KV cache,
float32 logits and sampling) with --gen-dtype bfloat16; --gen-dtype auto (the default) times 8
generated tokens in each dtype (twice, the second run counts) before the first step and uses the
faster one, so the reference runs at its fastest honest setting. Prompts shared by the N rollouts are prefilled once (their KV caches
repeated), as greason's decoder does.
"""

import argparse
import copy
import json
import math
import os
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PRESETS = {
    # Qwen/Qwen3-0.6B config.json
    "qwen3-0.6b": dict(vocab=151936, hidden=1024, ff=3072, layers=28, heads=16, kv=8, head_dim=128,
                       eps=1e-6, theta=1000000.0),
    # greason's micro-qwen3 preset (Qwen vocabulary, 4 small layers): a quick check of the bench itself
    "micro-qwen3": dict(vocab=151936, hidden=128, ff=384, layers=4, heads=4, kv=2, head_dim=32, eps=1e-6, theta=1000000.0),
    "tiny": dict(vocab=512, hidden=64, ff=128, layers=2, heads=4, kv=2, head_dim=16, eps=1e-6, theta=10000.0),
}


# --- the model (Hugging Face Qwen3 architecture) ------------------------------------------------

class RMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        dt = x.dtype
        h = x.float()
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * h.to(dt)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        D, H, KV, hd, FF = c["hidden"], c["heads"], c["kv"], c["head_dim"], c["ff"]
        self.H, self.KV, self.hd = H, KV, hd
        self.input_layernorm = RMSNorm(D, c["eps"])
        self.post_attention_layernorm = RMSNorm(D, c["eps"])
        self.q_proj = nn.Linear(D, H * hd, bias=False)
        self.k_proj = nn.Linear(D, KV * hd, bias=False)
        self.v_proj = nn.Linear(D, KV * hd, bias=False)
        self.o_proj = nn.Linear(H * hd, D, bias=False)
        self.q_norm = RMSNorm(hd, c["eps"])
        self.k_norm = RMSNorm(hd, c["eps"])
        self.gate_proj = nn.Linear(D, FF, bias=False)
        self.up_proj = nn.Linear(D, FF, bias=False)
        self.down_proj = nn.Linear(FF, D, bias=False)

    def forward(self, x, cos, sin, cache=None, start=0):
        B, T, _ = x.shape
        H, KV, hd = self.H, self.KV, self.hd
        h = self.input_layernorm(x)
        q = self.q_norm(self.q_proj(h).view(B, T, H, hd)).transpose(1, 2)    # [B,H,T,hd]
        k = self.k_norm(self.k_proj(h).view(B, T, KV, hd)).transpose(1, 2)   # [B,KV,T,hd]
        v = self.v_proj(h).view(B, T, KV, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if cache is not None:  # write the new keys/values, attend to slots [0, start+T)
            kc, vc = cache
            kc[:, :, start:start + T] = k
            vc[:, :, start:start + T] = v
            k, v = kc[:, :, :start + T], vc[:, :, :start + T]
        S = k.shape[2]
        # grouped-query attention: the G = H/KV query heads of a KV head share its keys
        # (the same products as HF's repeat_kv, without copying the keys)
        G = H // KV
        qg = q.reshape(B, KV, G * T, hd)
        scores = torch.matmul(qg, k.transpose(-1, -2)) / math.sqrt(hd)          # [B,KV,G*T,S]
        scores = scores.view(B, KV, G, T, S)
        if T > 1:  # causal within the new tokens (query t at slot start+t sees slots <= start+t)
            allowed = torch.arange(S).view(1, S) <= (start + torch.arange(T)).view(T, 1)
            scores = scores.masked_fill(~allowed, float("-inf"))
        probs = torch.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
        attn = torch.matmul(probs.view(B, KV, G * T, S), v).view(B, H, T, hd)
        x = x + self.o_proj(attn.transpose(1, 2).reshape(B, T, H * hd))
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Qwen3(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c["vocab"], c["hidden"])
        self.layers = nn.ModuleList([Layer(c) for _ in range(c["layers"])])
        self.norm = RMSNorm(c["hidden"], c["eps"])
        hd = c["head_dim"]
        self.register_buffer("inv_freq", 1.0 / (c["theta"] ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd)),
                             persistent=False)

    def hidden(self, tokens, positions, caches=None, start=0):
        x = self.embed_tokens(tokens)
        freqs = positions.float()[..., None] * self.inv_freq                     # [B,T,hd/2]
        emb = torch.cat((freqs, freqs), dim=-1)[:, None]                          # [B,1,T,hd]
        cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
        for i, layer in enumerate(self.layers):
            x = layer(x, cos, sin, None if caches is None else caches[i], start)
        return self.norm(x)

    def logits(self, h):  # tied LM head, float32 logits
        return F.linear(h, self.embed_tokens.weight).float()


def init_random(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.fill_(1.0)
            else:
                p.normal_(0.0, 0.02, generator=g)


# --- GRPO pieces (verl core_algos as protocol.md §3) ----------------------------------------------

def group_advantages(rewards, n, eps=1e-6):
    r = torch.tensor(rewards, dtype=torch.float32).view(-1, n)
    if n == 1:
        return r.flatten()
    return ((r - r.mean(-1, keepdim=True)) / (r.std(-1, keepdim=True) + eps)).flatten()


def target_stats(model, seqs, with_entropy):
    """log p(seqs[:, t+1] | seqs[:, :t+1]) and the entropy, float32 [B, T-1]."""
    B, T = seqs.shape
    pos = torch.arange(T).expand(B, T)
    logits = model.logits(model.hidden(seqs, pos))[:, :-1]
    lsm = torch.log_softmax(logits, dim=-1)
    logp = lsm.gather(-1, seqs[:, 1:, None]).squeeze(-1)
    ent = -(lsm.exp() * lsm).sum(-1) if with_entropy else None
    return logp, ent


def grpo_loss(logp, old, ref, ent, adv, mask, clip=0.2, clip_c=10.0, kl_coef=1e-4, kl_clamp=10.0, ent_coef=1e-3):
    def tmean(x):
        return (x * mask).sum() / mask.sum().clamp_min(1e-8)
    a = adv[:, None].expand_as(logp)
    ratio = torch.exp((logp - old).clamp(-20, 20))
    l1, l2 = -a * ratio, -a * ratio.clamp(1 - clip, 1 + clip)
    clip1 = torch.maximum(l1, l2)
    pg = torch.where(a < 0, torch.minimum(-a * clip_c, clip1), clip1)
    kl = ref - logp
    k3 = (kl.exp() - kl - 1).clamp(-kl_clamp, kl_clamp)
    return tmean(pg) - ent_coef * tmean(ent) + kl_coef * tmean(k3)


# --- measurement ------------------------------------------------------------------------------

def vm(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def reset_peak():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def cpu_seconds():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


class Phases:
    """Wall time, peak RSS and process CPU time (all threads) of each phase."""

    def __init__(self):
        self.out = []
        reset_peak()
        self.t, self.cpu = time.perf_counter(), cpu_seconds()

    def end(self, name, **extra):
        now, cpu = time.perf_counter(), cpu_seconds() - self.cpu
        self.out.append(dict(name=name, seconds=now - self.t, peak_rss=vm("VmHWM"), cpu_s=cpu, **extra))
        print(f"  {name:18s} {now - self.t:7.1f} s  peak RSS {vm('VmHWM') / 2**30:6.2f} GiB  (CPU {cpu:.1f} s)",
              file=sys.stderr, flush=True)
        reset_peak()
        self.t, self.cpu = time.perf_counter(), cpu_seconds()


@torch.inference_mode()
def generate(gen_model, prompts, n, gen_len, gen):
    """Sample n rollouts of gen_len tokens for each prompt (temperature 1), one KV cache for all."""
    c = gen_model.c
    P, L = prompts.shape
    B, S = P * n, L + gen_len
    dt = gen_model.embed_tokens.weight.dtype
    caches = [(torch.zeros(P, c["kv"], S, c["head_dim"], dtype=dt), torch.zeros(P, c["kv"], S, c["head_dim"], dtype=dt))
              for _ in range(c["layers"])]
    h = gen_model.hidden(prompts, torch.arange(L).expand(P, L), caches, 0)   # each prompt prefilled once
    caches = [(k.repeat_interleave(n, 0), v.repeat_interleave(n, 0)) for k, v in caches]
    logits = gen_model.logits(h[:, -1]).repeat_interleave(n, 0)
    out = torch.empty(B, gen_len, dtype=torch.long)
    for t in range(gen_len):
        tok = torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=gen)     # [B,1]
        out[:, t] = tok[:, 0]
        if t + 1 == gen_len:
            break
        pos = torch.full((B, 1), L + t)
        logits = gen_model.logits(gen_model.hidden(tok, pos, caches, L + t)[:, -1])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", default="qwen3-0.6b", choices=sorted(PRESETS))
    ap.add_argument("--batch", type=int, default=2, help="prompts per step")
    ap.add_argument("--n", type=int, default=2, help="rollouts per prompt")
    ap.add_argument("--prompt-len", type=int, default=32)
    ap.add_argument("--gen-len", type=int, default=64)
    ap.add_argument("--steps", type=int, default=2, help="steps run; the last is reported")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    ap.add_argument("--gen-dtype", default="auto", choices=["auto", "float32", "bfloat16"])
    ap.add_argument("--lr", type=float, default=5e-7)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", help="write the measurement here")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    c = PRESETS[a.preset]
    t0 = time.perf_counter()
    torch.manual_seed(a.seed)
    model = Qwen3(c)
    init_random(model, a.seed)
    ref = copy.deepcopy(model).requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    # AdamW's moments exist (zero) before the first step, as greason's, so the resident memory
    # before a step is the same kind of thing on both sides.
    for p in model.parameters():
        st = opt.state[p]
        st["step"] = torch.tensor(0.0)
        st["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        st["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
    bf16 = []

    def gen_model(dt):
        """The model generation runs: the policy, or its bfloat16 copy with the weights cast now."""
        if dt == "float32":
            return model
        if not bf16:  # built directly in bfloat16 (no float32 copy on the way)
            torch.set_default_dtype(torch.bfloat16)
            bf16.append(Qwen3(c).requires_grad_(False))
            torch.set_default_dtype(torch.float32)
        with torch.no_grad():  # weights cast once per step
            for pb, p in zip(bf16[0].parameters(), model.parameters()):
                pb.copy_(p)
        return bf16[0]

    params = sum(p.numel() for p in model.parameters())
    init_s = time.perf_counter() - t0
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {params} parameters; init {init_s:.1f} s",
          file=sys.stderr, flush=True)
    V = c["vocab"]
    prompts = torch.tensor([[(i * 7919 + j * 104729 + 13) % V for j in range(a.prompt_len)] for i in range(a.batch)])
    gen = torch.Generator().manual_seed(a.seed)
    gen_dtype = a.gen_dtype
    trials = {}
    res = dict(torch=torch.__version__, threads=torch.get_num_threads(), params=params, init_s=init_s,
               blas=blas_library(), steps=a.steps, preset=a.preset,
               shape=dict(prompts=a.batch, n=a.n, prompt_len=a.prompt_len, gen_len=a.gen_len))
    for step in range(a.steps):
        res["base_rss"] = vm("VmRSS")
        print(f"step {step + 1} (resident {res['base_rss'] / 2**30:.2f} GiB)", file=sys.stderr, flush=True)
        ph = Phases()
        if gen_dtype == "auto":
            # Trial: each dtype generates 8 tokens twice (the first call warms up its kernels);
            # the second run's time decides.
            for dt in ["float32", "bfloat16"]:
                for _ in range(2):
                    t = time.perf_counter()
                    generate(gen_model(dt), prompts, a.n, 8, gen)
                    trials[dt] = time.perf_counter() - t
            gen_dtype = min(trials, key=trials.get)
            print(f"  generation trial (8 tokens): float32 {trials['float32']:.2f} s, bfloat16 {trials['bfloat16']:.2f} s: "
                  f"{gen_dtype}", file=sys.stderr, flush=True)
            ph = Phases()
        rollouts = generate(gen_model(gen_dtype), prompts, a.n, a.gen_len, gen)
        ph.end("generate", dtype=gen_dtype)
        B = a.batch * a.n
        seqs = torch.cat([prompts.repeat_interleave(a.n, 0), rollouts], dim=1)            # [B, L+G]
        mask = torch.zeros(B, seqs.shape[1] - 1)
        mask[:, a.prompt_len - 1:] = 1.0                                                   # targets that are response tokens
        rewards = [float(i % 2) for i in range(B)]
        adv = group_advantages(rewards, a.n)
        with torch.inference_mode():
            old, _ = target_stats(model, seqs, False)
            rlp, _ = target_stats(ref, seqs, False)
        old, rlp = old.clone(), rlp.clone()
        ph.end("old_ref_logprobs")
        logp, ent = target_stats(model, seqs, True)
        loss = grpo_loss(logp, old, rlp, ent, adv, mask)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        del logp, ent
        ph.end("update", loss=float(loss), grad_norm=float(norm))
        res["phases"] = ph.out
    res["gen_dtype"] = gen_dtype
    res["gen_trials_s"] = trials
    res["step_s"] = sum(p["seconds"] for p in res["phases"])
    res["peak_rss"] = max(p["peak_rss"] for p in res["phases"])
    out = json.dumps(res, indent=2)
    if a.json:
        tmp = a.json + ".tmp"
        with open(tmp, "w") as f:
            f.write(out + "\n")
        os.replace(tmp, a.json)
    else:
        print(out)


def blas_library():
    """The BLAS torch's float32 products go through (Debian's torch uses the system libblas.so.3)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower() and line.split()[-1].startswith("/")}
        return sorted(os.path.realpath(x) for x in libs)
    except OSError:
        return []


if __name__ == "__main__":
    main()
