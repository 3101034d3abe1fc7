#!/usr/bin/env python3
"""Independent golden logits for the Go Qwen2/Qwen3 stack (model/qwen), from PyTorch.

    python3 tools/torchgold/gold.py        (run by `just model-golden`, from the repository root)
    python3 tools/torchgold/gold.py --compare MODEL_DIR LOGITS.json [--max-rel TOL]
                                           (check `greason model logits --out LOGITS.json` on any
                                            Qwen2/Qwen3 checkpoint against this reference; with
                                            --max-rel, exit 1 when the largest difference exceeds
                                            TOL x the largest |logit| or the greedy tokens differ)
    python3 tools/torchgold/gold.py --verifier MODEL_DIR OUT.json
                                           (General-Verifier at its real shape: the last-position
                                            logits and 16 greedy tokens of the verification prompts
                                            of tools/torchgold/verifier_prompts.json; `just
                                            model-golden` checks ours against OUT.json)

Needs Debian's python3-torch (CPU; `apt-get install python3-torch`) and nothing else: no
transformers, no safetensors package. The model below is written from the Hugging Face
transformers architecture (modeling_qwen2.py / modeling_qwen3.py: RMSNorm, rotate_half RoPE,
grouped-query attention with repeat_kv, Qwen2 q/k/v biases, Qwen3 per-head q_norm/k_norm before
RoPE, Qwen3 attention_bias on q/k/v *and* o_proj, SwiGLU MLP, tied or untied lm_head) and runs in
float64. It shares no code with the Go implementation. Config defaults follow transformers'
Qwen2Config/Qwen3Config (see HF_DEFAULTS), and a checkpoint tensor the architecture does not use is
an error here too.

For every variant in VARIANTS it writes, under model/qwen/testdata/golden/<name>/:
  config.json                      a Hugging Face style config (some keys left to their defaults)
  model.safetensors[.gz] or shards model-0000i-of-0000n.safetensors + model.safetensors.index.json
  golden.json.gz                   {"prompts": [{"ids", "logits" [T][V or |vocab_ids|], "greedy",
                                    "greedy_margins"}], "vocab_ids", ...}
Weights are random (torch.Generator, fixed seeds), so the files are reproducible bit for bit with
the same torch version. Logits are float64 rounded to 9 significant digits. "greedy" is 12 tokens
of greedy decoding (argmax of the float64 logits, full recomputation each step, no EOS stop: the
Go test cuts at the first EOS of config.json); "greedy_margins" is the gap between the best and
second-best logit at each step (a step with a gap below 1e-4 would make argmax ill-defined in
float32: the script refuses to write such a golden).
"""

import gzip
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "model", "qwen", "testdata", "golden")
# Verification prompts (General-Verifier's template filled with the paper's examples), encoded by
# the Go tokenizer (this script has none); train/verifier's TestVerifierPromptIDs checks them.
VERIFIER_PROMPTS = os.path.join(ROOT, "tools", "torchgold", "verifier_prompts.json")
GREEDY_TOKENS = 12
MIN_MARGIN = 1e-4

# --- config.json as transformers reads it ------------------------------------------------------

# Keyword defaults of transformers' Qwen2Config / Qwen3Config (configuration_qwen2.py,
# configuration_qwen3.py) and the RoPE default theta (RotaryEmbeddingConfigMixin.default_theta).
HF_DEFAULTS = {
    "vocab_size": 151936,
    "hidden_size": 4096,
    "intermediate_size": 22016,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 32,
    "hidden_act": "silu",
    "max_position_embeddings": 32768,
    "rms_norm_eps": 1e-6,
    "tie_word_embeddings": False,
    "rope_theta": 10000.0,
    "use_sliding_window": False,
}
QWEN3_DEFAULTS = {"head_dim": 128, "attention_bias": False}


def resolve_config(raw):
    """The architecture parameters transformers derives from a config.json dict."""
    mt = raw["model_type"]
    if mt not in ("qwen2", "qwen3"):
        raise ValueError(f"model_type {mt}")
    c = dict(HF_DEFAULTS)
    if mt == "qwen3":
        c.update(QWEN3_DEFAULTS)
    c.update({k: v for k, v in raw.items() if k not in ("rope_parameters", "rope_scaling")})
    if c["num_key_value_heads"] is None:
        c["num_key_value_heads"] = c["num_attention_heads"]
    # modeling_qwen2: getattr(config, "head_dim", hidden_size // num_attention_heads)
    if c.get("head_dim") is None:
        c["head_dim"] = c["hidden_size"] // c["num_attention_heads"]
    # RoPE: v5 reads rope_parameters (or the legacy rope_scaling) and takes rope_theta from it,
    # else from the top-level key, else the default.
    rp = raw.get("rope_scaling") or raw.get("rope_parameters") or {}
    rope_type = rp.get("rope_type", rp.get("type", "default"))
    if rope_type != "default":
        raise ValueError(f"rope_type {rope_type}")
    if "rope_theta" in rp:
        c["rope_theta"] = rp["rope_theta"]
    if c["hidden_act"] != "silu" or c["use_sliding_window"]:
        raise ValueError("unsupported config")
    c["qkv_bias"] = True if mt == "qwen2" else bool(c["attention_bias"])
    c["o_bias"] = False if mt == "qwen2" else bool(c["attention_bias"])
    c["qk_norm"] = mt == "qwen3"
    return c


def expected_tensors(c):
    """name -> shape of every parameter of the HF module tree (Qwen2ForCausalLM/Qwen3ForCausalLM)."""
    D, H, KV, hd, FF, V = (c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"],
                          c["head_dim"], c["intermediate_size"], c["vocab_size"])
    t = {"model.embed_tokens.weight": (V, D), "model.norm.weight": (D,)}
    for l in range(c["num_hidden_layers"]):
        p = f"model.layers.{l}."
        t[p + "input_layernorm.weight"] = (D,)
        t[p + "post_attention_layernorm.weight"] = (D,)
        t[p + "self_attn.q_proj.weight"] = (H * hd, D)
        t[p + "self_attn.k_proj.weight"] = (KV * hd, D)
        t[p + "self_attn.v_proj.weight"] = (KV * hd, D)
        t[p + "self_attn.o_proj.weight"] = (D, H * hd)
        if c["qkv_bias"]:
            t[p + "self_attn.q_proj.bias"] = (H * hd,)
            t[p + "self_attn.k_proj.bias"] = (KV * hd,)
            t[p + "self_attn.v_proj.bias"] = (KV * hd,)
        if c["o_bias"]:
            t[p + "self_attn.o_proj.bias"] = (D,)
        if c["qk_norm"]:
            t[p + "self_attn.q_norm.weight"] = (hd,)
            t[p + "self_attn.k_norm.weight"] = (hd,)
        t[p + "mlp.gate_proj.weight"] = (FF, D)
        t[p + "mlp.up_proj.weight"] = (FF, D)
        t[p + "mlp.down_proj.weight"] = (D, FF)
    if not c["tie_word_embeddings"]:
        t["lm_head.weight"] = (V, D)
    return t


# --- safetensors, by hand ----------------------------------------------------------------------
# Format: u64 little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets},
# "__metadata__": {...}}, then the tensor bytes (offsets relative to the end of the header).

ST_DTYPES = {"F32": (torch.float32, 4), "BF16": (torch.bfloat16, 2), "F16": (torch.float16, 2),
             "F64": (torch.float64, 8)}


def tensor_bytes(t, dtype):
    tt = t.to(ST_DTYPES[dtype][0]).contiguous()
    if dtype == "BF16":  # numpy has no bfloat16: reinterpret the bits
        return tt.view(torch.int16).numpy().tobytes()
    return tt.numpy().tobytes()


def write_safetensors(path, tensors, dtype):
    names = sorted(tensors)
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for n in names:
        b = tensor_bytes(tensors[n], dtype)
        header[n] = {"dtype": dtype, "shape": list(tensors[n].shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    hj = json.dumps(header, separators=(",", ":")).encode()
    hj += b" " * ((8 - len(hj) % 8) % 8)
    data = struct.pack("<Q", len(hj)) + hj + b"".join(blobs)
    if path.endswith(".gz"):
        with gzip.GzipFile(path, "wb", mtime=0) as f:
            f.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)
    return off


def read_safetensors(path, as_float64=True):
    """name -> float64 tensor (or, with as_float64=False, the stored float32, bfloat16 widened to
    float32); tensors are read one at a time (large checkpoints fit in memory)."""
    opener = gzip.open if path.endswith(".gz") else open
    out = {}
    with opener(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        header.pop("__metadata__", None)
        for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
            a, b = info["data_offsets"]
            f.seek(8 + n + a)
            raw = bytearray(f.read(b - a))
            dt = info["dtype"]
            if dt == "BF16":
                t = torch.frombuffer(raw, dtype=torch.int16).view(torch.bfloat16)
            else:
                t = torch.frombuffer(raw, dtype=ST_DTYPES[dt][0])
            out[name] = t.reshape(info["shape"]).to(torch.float64 if as_float64 else torch.float32)
            del raw
    return out


def read_checkpoint(d, as_float64=True):
    idx = os.path.join(d, "model.safetensors.index.json")
    if os.path.exists(idx):
        with open(idx) as f:
            wm = json.load(f)["weight_map"]
        out = {}
        for shard in sorted(set(wm.values())):
            part = read_safetensors(os.path.join(d, shard), as_float64)
            if set(part) != {n for n, s in wm.items() if s == shard}:
                raise ValueError(f"{shard}: tensors differ from weight_map")
            out.update(part)
        return out
    for name in ("model.safetensors", "model.safetensors.gz"):
        if os.path.exists(os.path.join(d, name)):
            return read_safetensors(os.path.join(d, name), as_float64)
    raise FileNotFoundError(d)


# --- the model (float64) -----------------------------------------------------------------------

def rms_norm(x, w, eps):
    # Qwen2RMSNorm / Qwen3RMSNorm: x * rsqrt(mean(x^2) + eps), then * weight. transformers computes
    # it in float32 for half-precision inputs; here everything is float64.
    variance = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(variance + eps))


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rope(T, dim, theta):
    # Default RoPE: inv_freq = 1 / theta^(arange(0, dim, 2) / dim); emb = cat(freqs, freqs).
    inv_freq = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
    freqs = torch.outer(torch.arange(T, dtype=torch.float64), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()  # [T, dim]


def repeat_kv(x, n_rep):
    b, kv, t, hd = x.shape
    if n_rep == 1:
        return x
    return x[:, :, None, :, :].expand(b, kv, n_rep, t, hd).reshape(b, kv * n_rep, t, hd)


def forward(c, W, ids):
    """Logits [T, V] (float64) of one unpadded sequence at positions 0..T-1."""
    D, H, KV, hd = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
    eps, T = c["rms_norm_eps"], len(ids)
    x = W["model.embed_tokens.weight"][torch.tensor(ids)].unsqueeze(0)  # [1, T, D]
    cos, sin = rope(T, hd, float(c["rope_theta"]))
    causal = torch.full((T, T), float("-inf"), dtype=torch.float64).triu(1)
    for l in range(c["num_hidden_layers"]):
        p = f"model.layers.{l}.self_attn."
        residual = x
        h = rms_norm(x, W[f"model.layers.{l}.input_layernorm.weight"], eps)
        q = F.linear(h, W[p + "q_proj.weight"], W.get(p + "q_proj.bias")).view(1, T, H, hd)
        k = F.linear(h, W[p + "k_proj.weight"], W.get(p + "k_proj.bias")).view(1, T, KV, hd)
        v = F.linear(h, W[p + "v_proj.weight"], W.get(p + "v_proj.bias")).view(1, T, KV, hd)
        if c["qk_norm"]:  # Qwen3: per-head RMSNorm over head_dim, before RoPE
            q = rms_norm(q, W[p + "q_norm.weight"], eps)
            k = rms_norm(k, W[p + "k_norm.weight"], eps)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)  # [1, heads, T, hd]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k, v = repeat_kv(k, H // KV), repeat_kv(v, H // KV)
        scores = torch.matmul(q, k.transpose(2, 3)) * hd ** -0.5 + causal
        attn = torch.matmul(torch.softmax(scores, dim=-1), v)
        attn = attn.transpose(1, 2).reshape(1, T, H * hd)
        x = residual + F.linear(attn, W[p + "o_proj.weight"], W.get(p + "o_proj.bias"))
        residual = x
        h = rms_norm(x, W[f"model.layers.{l}.post_attention_layernorm.weight"], eps)
        m = f"model.layers.{l}.mlp."
        x = residual + F.linear(F.silu(F.linear(h, W[m + "gate_proj.weight"])) * F.linear(h, W[m + "up_proj.weight"]),
                                W[m + "down_proj.weight"])
    x = rms_norm(x, W["model.norm.weight"], eps)
    head = W["model.embed_tokens.weight"] if c["tie_word_embeddings"] else W["lm_head.weight"]
    return F.linear(x, head)[0]


def verifier_prompt_ids():
    with open(VERIFIER_PROMPTS) as f:
        return [case["ids"] for case in json.load(f)]


def greedy(c, W, ids, n):
    ids, out, margins = list(ids), [], []
    for _ in range(n):
        last = forward(c, W, ids)[-1]
        top = torch.topk(last, 2)
        out.append(int(top.indices[0]))
        margins.append(float(top.values[0] - top.values[1]))
        ids.append(out[-1])
    return out, margins


# --- the variants ------------------------------------------------------------------------------

def hf_config(**kw):
    base = {"architectures": ["Qwen2ForCausalLM" if kw["model_type"] == "qwen2" else "Qwen3ForCausalLM"],
            "attention_dropout": 0.0, "bos_token_id": 0, "hidden_act": "silu", "initializer_range": 0.02,
            "max_position_embeddings": 512, "transformers_version": "4.51.0", "use_cache": True,
            "use_sliding_window": False, "sliding_window": 4096, "max_window_layers": 28}
    base.update(kw)
    return {k: base[k] for k in sorted(base)}


VARIANTS = [
    # Qwen2 as published (Qwen2.5 keys incl. use_mrope and an unused sliding_window), unit norms,
    # zero-mean random q/k/v biases, tied head, float32, one file; head_dim absent -> 32/4 = 8.
    dict(name="qwen2-tiny", seed=1, dtype="F32", shards=None, stress=False,
         config=hf_config(model_type="qwen2", vocab_size=256, hidden_size=32, intermediate_size=64,
                          num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                          rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=True,
                          eos_token_id=255, torch_dtype="float32", use_mrope=False),
         prompts=[[5, 17, 3, 88, 41, 9, 60], [12, 7, 200], [33, 2, 90, 14, 71, 250, 128, 64, 1, 99, 180]]),
    # Qwen3 with head_dim absent: transformers' default is 128 (not 32/2 = 16), so q_proj is
    # [256, 32]; tied head, unit norms, float32, one file.
    dict(name="qwen3-tiny", seed=2, dtype="F32", shards=None, stress=False,
         config=hf_config(model_type="qwen3", vocab_size=256, hidden_size=32, intermediate_size=64,
                          num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
                          rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=True,
                          attention_bias=False, eos_token_id=[254, 255], torch_dtype="float32"),
         prompts=[[5, 17, 3, 88, 41, 9, 60], [12, 7, 200], [33, 2, 90, 14, 71, 250, 128, 64, 1, 99, 180]]),
    # Qwen2 stress: random norms and biases, untied head, bfloat16 weights, 3 shards, GQA 4:1,
    # legacy rope_scaling {"type": "default"} with a top-level rope_theta, rms_norm_eps 1e-5.
    dict(name="qwen2-stress", seed=3, dtype="BF16", shards=3, stress=True,
         config=hf_config(model_type="qwen2", vocab_size=320, hidden_size=48, intermediate_size=80,
                          num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=1,
                          rms_norm_eps=1e-5, rope_theta=500000.0, rope_scaling={"type": "default"},
                          tie_word_embeddings=False, eos_token_id=319, torch_dtype="bfloat16"),
         prompts=[[5, 17, 3, 88, 41, 9, 60, 301], [12, 7], [33, 2, 90, 14, 71, 250, 128, 64, 1, 99, 180, 310, 4]]),
    # Qwen3 stress: attention_bias true (q/k/v AND o_proj biases), random norms incl. q_norm/k_norm,
    # untied head, bfloat16 weights, 3 shards, head_dim 16 != 48/4, transformers v5 style config
    # (rope_parameters, no top-level rope_theta; "dtype" instead of torch_dtype).
    dict(name="qwen3-stress", seed=4, dtype="BF16", shards=3, stress=True,
         config={k: v for k, v in sorted(hf_config(
             model_type="qwen3", vocab_size=320, hidden_size=48, intermediate_size=80, num_hidden_layers=3,
             num_attention_heads=4, num_key_value_heads=2, head_dim=16, rms_norm_eps=1e-6,
             rope_parameters={"rope_type": "default", "rope_theta": 5000000.0}, tie_word_embeddings=False,
             attention_bias=True, eos_token_id=[318, 319], dtype="bfloat16",
             transformers_version="5.0.0").items()) if k != "use_sliding_window"},
         prompts=[[5, 17, 3, 88, 41, 9, 60, 301], [12, 7], [33, 2, 90, 14, 71, 250, 128, 64, 1, 99, 180, 310, 4]]),
    # General-Verifier's structure (TIGER-Lab/general-verifier = Qwen2.5-Math-1.5B's config: Qwen2,
    # tied embeddings, GQA 12:2, q/k/v biases, rope_theta 10000, 4096 positions, eos = bos =
    # <|endoftext|>, the real vocabulary) at a small size (hidden 8, head_dim 8 given explicitly as
    # Qwen2Attention reads it, 2 layers), random norms and biases, bfloat16, gzip'd. The prompts are
    # the verification prompts of VERIFIER_PROMPTS (the Qwen tokenizer's ids); 16 greedy tokens;
    # logits of the last 4 positions on a subset of ids.
    dict(name="qwen2-verifier", seed=6, dtype="BF16", shards=None, stress=True, gz=True, greedy=16, logits_last=4,
         config=hf_config(model_type="qwen2", vocab_size=151936, hidden_size=8, intermediate_size=24,
                          num_hidden_layers=2, num_attention_heads=12, num_key_value_heads=2, head_dim=8,
                          rms_norm_eps=1e-6, rope_theta=10000.0, tie_word_embeddings=True,
                          bos_token_id=151643, eos_token_id=151643, torch_dtype="bfloat16",
                          max_position_embeddings=4096, max_window_layers=21, use_mrope=False),
         prompts="verifier"),
    # The real Qwen vocabulary (151,936 rows) on a very small Qwen3 (hidden 8), bfloat16, tied, one
    # gzip'd file; logits are kept for a subset of ids (vocab_ids), greedy uses all of them.
    dict(name="qwen3-vocab", seed=5, dtype="BF16", shards=None, stress=True, gz=True,
         config=hf_config(model_type="qwen3", vocab_size=151936, hidden_size=8, intermediate_size=16,
                          num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1, head_dim=8,
                          rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=True,
                          attention_bias=False, bos_token_id=151643, eos_token_id=151645,
                          torch_dtype="bfloat16", max_position_embeddings=40960),
         prompts=[[151644, 872, 198, 3838, 374, 220, 17, 10, 17, 30, 151645, 198, 151644, 77091, 198],
                  [151935, 0, 151643, 75000]]),
]


def random_weights(c, seed, stress):
    g = torch.Generator().manual_seed(seed)
    W = {}
    for name, shape in expected_tensors(c).items():
        if name.endswith("norm.weight"):
            # unit norms (as initialised) or random scales in [0.5, 1.5)
            w = torch.rand(shape, generator=g, dtype=torch.float64) + 0.5 if stress else torch.ones(shape, dtype=torch.float64)
        elif name.endswith(".bias"):
            w = 0.3 * torch.randn(shape, generator=g, dtype=torch.float64)
        elif name in ("model.embed_tokens.weight", "lm_head.weight"):
            w = 0.5 * torch.randn(shape, generator=g, dtype=torch.float64)
        else:  # linear [out, in]: std 1/sqrt(in) keeps activations O(1)
            w = torch.randn(shape, generator=g, dtype=torch.float64) / math.sqrt(shape[1])
        W[name] = w
    return W


def fmt(v):
    return float(f"{v:.9g}")


def write_variant(v):
    d = os.path.join(OUT, v["name"])
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.remove(os.path.join(d, f))
    c = resolve_config(v["config"])
    W = random_weights(c, v["seed"], v["stress"])
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(v["config"], f, indent=2)
        f.write("\n")
    if v["shards"]:
        names = sorted(W)
        per = math.ceil(len(names) / v["shards"])
        wm, total = {}, 0
        for i in range(v["shards"]):
            part = names[i * per:(i + 1) * per]
            fn = f"model-{i + 1:05d}-of-{v['shards']:05d}.safetensors"
            total += write_safetensors(os.path.join(d, fn), {n: W[n] for n in part}, v["dtype"])
            wm.update({n: fn for n in part})
        with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": dict(sorted(wm.items()))}, f, indent=2)
            f.write("\n")
    else:
        fn = "model.safetensors.gz" if v.get("gz") else "model.safetensors"
        write_safetensors(os.path.join(d, fn), W, v["dtype"])

    # Read the files back (the weights as stored, e.g. rounded to bfloat16) and check that the
    # checkpoint holds exactly the tensors of the architecture.
    W = read_checkpoint(d)
    want = expected_tensors(c)
    if set(W) != set(want):
        raise ValueError(f"{v['name']}: unexpected {sorted(set(W) - set(want))}, missing {sorted(set(want) - set(W))}")
    for n, s in want.items():
        if tuple(W[n].shape) != s:
            raise ValueError(f"{n}: shape {tuple(W[n].shape)} != {s}")

    V = c["vocab_size"]
    vocab_ids = None
    if V > 4096:  # keep every 151st id plus the 32 best of each position (added below)
        vocab_ids = set(range(0, V, 151)) | {V - 1}
    prompts, max_abs, min_margin = [], 0.0, math.inf
    prompt_ids = verifier_prompt_ids() if v["prompts"] == "verifier" else v["prompts"]
    for ids in prompt_ids:
        logits = forward(c, W, ids)
        first = 0
        if v.get("logits_last"):  # long prompts: the logits of the last positions only
            first = len(ids) - v["logits_last"]
            logits = logits[first:]
        if vocab_ids is not None:
            for row in logits:
                vocab_ids |= set(torch.topk(row, 32).indices.tolist())
        g, margins = greedy(c, W, ids, v.get("greedy", GREEDY_TOKENS))
        min_margin = min(min_margin, min(margins), *(float(t[0] - t[1]) for t in (torch.topk(r, 2).values for r in logits)))
        max_abs = max(max_abs, float(logits.abs().max()))
        p = {"ids": ids, "logits": logits, "greedy": g, "greedy_margins": [fmt(m) for m in margins]}
        if first:
            p["logits_from"] = first
        prompts.append(p)
    if min_margin < MIN_MARGIN:
        raise ValueError(f"{v['name']}: an argmax margin is {min_margin:.3g} < {MIN_MARGIN}; change the seed or prompts")
    cols = sorted(vocab_ids) if vocab_ids is not None else None
    for p in prompts:
        L = p["logits"] if cols is None else p["logits"][:, cols]
        p["logits"] = [[fmt(x) for x in row] for row in L.tolist()]
    golden = {
        "name": v["name"],
        "generator": "tools/torchgold/gold.py (float64 PyTorch model written from the HF architecture)",
        "torch": torch.__version__,
        "vocab_ids": cols,
        "max_abs_logit": fmt(max_abs),
        "min_argmax_margin": fmt(min_margin),
        "prompts": prompts,
    }
    with gzip.GzipFile(os.path.join(d, "golden.json.gz"), "wb", mtime=0) as f:
        f.write(json.dumps(golden, separators=(",", ":")).encode())
    size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
    print(f"{v['name']}: {len(W)} tensors, {sum(t.numel() for t in W.values())} parameters, "
          f"max |logit| {max_abs:.3f}, min argmax margin {min_margin:.2e}, {size / 1024:.0f} KiB on disk")


def compare(model_dir, logits_json):
    """Check `greason model logits --out F.json` output against this reference on any checkpoint."""
    with open(os.path.join(model_dir, "config.json")) as f:
        c = resolve_config(json.load(f))
    W = read_checkpoint(model_dir)
    want = expected_tensors(c)
    if c["tie_word_embeddings"] and "lm_head.weight" in W and "lm_head.weight" not in want:
        if not torch.equal(W["lm_head.weight"], W["model.embed_tokens.weight"]):
            raise ValueError("tied config, but lm_head.weight differs from the embedding")
        del W["lm_head.weight"]
    if set(W) != set(want):
        raise ValueError(f"unexpected {sorted(set(W) - set(want))[:10]}, missing {sorted(set(want) - set(W))[:10]}")
    with open(logits_json) as f:
        got = json.load(f)
    ref = forward(c, W, got["ids"])[-len(got["logits"]):]
    diff = (torch.tensor(got["logits"], dtype=torch.float64) - ref).abs().max().item()
    greedy = ref.argmax(-1).tolist()
    rel = diff / max(ref.abs().max().item(), 1e-30)
    print(f"{model_dir}: {len(got['logits'])} position(s) x {ref.shape[1]} logits, max |logit| {ref.abs().max().item():.4g}, "
          f"max |greason - torch| {diff:.3g} ({rel:.3g} of the largest logit), "
          f"greedy {'equal' if greedy == got['greedy'] else f'differs: torch {greedy}'}")
    return rel, greedy == got["greedy"]


# --- General-Verifier at its real shape ----------------------------------------------------------
# 1.5 B parameters: float64 copies of every weight would take 12.4 GB. The weights stay as stored
# (float32) and are widened to float64 at each use, which changes no result (float32 -> float64 is
# exact): the arithmetic is float64 throughout, as in forward(). Greedy decoding uses a KV cache
# (prefill once, then one token at a time), and the head is applied at the last position only.

def forward_cached(c, W, ids, past):
    """Logits [V] (float64) of the last of ids, which follow the len(past[0][0]) cached positions;
    past (per layer: keys and values [1, KV, t, hd], after RoPE) is extended in place."""
    D, H, KV, hd = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
    eps, T = c["rms_norm_eps"], len(ids)
    start = past[0][0].shape[2] if past else 0

    def w(name):
        t = W.get(name)
        return None if t is None else t.to(torch.float64)

    x = W["model.embed_tokens.weight"][torch.tensor(ids)].to(torch.float64).unsqueeze(0)
    cos, sin = rope(start + T, hd, float(c["rope_theta"]))
    cos, sin = cos[start:], sin[start:]
    causal = torch.full((T, start + T), float("-inf"), dtype=torch.float64).triu(start + 1)
    for l in range(c["num_hidden_layers"]):
        p = f"model.layers.{l}.self_attn."
        residual = x
        h = rms_norm(x, w(f"model.layers.{l}.input_layernorm.weight"), eps)
        q = F.linear(h, w(p + "q_proj.weight"), w(p + "q_proj.bias")).view(1, T, H, hd)
        k = F.linear(h, w(p + "k_proj.weight"), w(p + "k_proj.bias")).view(1, T, KV, hd)
        v = F.linear(h, w(p + "v_proj.weight"), w(p + "v_proj.bias")).view(1, T, KV, hd)
        if c["qk_norm"]:
            q = rms_norm(q, w(p + "q_norm.weight"), eps)
            k = rms_norm(k, w(p + "k_norm.weight"), eps)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if len(past) <= l:
            past.append((k, v))
        else:
            past[l] = (torch.cat([past[l][0], k], dim=2), torch.cat([past[l][1], v], dim=2))
        kk, vv = repeat_kv(past[l][0], H // KV), repeat_kv(past[l][1], H // KV)
        scores = torch.matmul(q, kk.transpose(2, 3)) * hd ** -0.5 + causal
        attn = torch.matmul(torch.softmax(scores, dim=-1), vv).transpose(1, 2).reshape(1, T, H * hd)
        x = residual + F.linear(attn, w(p + "o_proj.weight"), w(p + "o_proj.bias"))
        residual = x
        h = rms_norm(x, w(f"model.layers.{l}.post_attention_layernorm.weight"), eps)
        m = f"model.layers.{l}.mlp."
        x = residual + F.linear(F.silu(F.linear(h, w(m + "gate_proj.weight"))) * F.linear(h, w(m + "up_proj.weight")),
                                w(m + "down_proj.weight"))
    x = rms_norm(x[:, -1:], w("model.norm.weight"), eps)
    head = W["model.embed_tokens.weight"] if c["tie_word_embeddings"] else W["lm_head.weight"]
    return F.linear(x, head.to(torch.float64))[0, 0]


def verifier_real(model_dir, out_path, n_greedy=16):
    """Last-position logits and n_greedy greedy tokens of every verification prompt on the
    checkpoint model_dir (e.g. `greason model init --config general-verifier-1.5b`)."""
    import time
    with open(os.path.join(model_dir, "config.json")) as f:
        c = resolve_config(json.load(f))
    t0 = time.time()
    W = read_checkpoint(model_dir, as_float64=False)
    want = expected_tensors(c)
    if c["tie_word_embeddings"] and "lm_head.weight" in W and "lm_head.weight" not in want:
        del W["lm_head.weight"]
    if set(W) != set(want):
        raise ValueError(f"unexpected {sorted(set(W) - set(want))[:10]}, missing {sorted(set(want) - set(W))[:10]}")
    n_params = sum(t.numel() for t in W.values())
    print(f"{model_dir}: {n_params} parameters read in {time.time() - t0:.0f} s", flush=True)
    prompts = []
    for ids in verifier_prompt_ids():
        t1 = time.time()
        past = []
        last = forward_cached(c, W, ids, past)
        logits, out, margins = last, [], []
        for _ in range(n_greedy):
            top = torch.topk(last, 2)
            out.append(int(top.indices[0]))
            margins.append(float(top.values[0] - top.values[1]))
            last = forward_cached(c, W, [out[-1]], past)
        prompts.append({"ids": ids, "logits_from": len(ids) - 1, "logits": [[fmt(x) for x in logits.tolist()]],
                        "greedy": out, "greedy_margins": [fmt(m) for m in margins]})
        print(f"prompt of {len(ids)} tokens: max |logit| {float(logits.abs().max()):.4g}, greedy {out}, "
              f"smallest margin {min(margins):.3g} ({time.time() - t1:.0f} s)", flush=True)
    golden = {"name": "general-verifier-real-shape", "torch": torch.__version__, "vocab_ids": None,
              "generator": "tools/torchgold/gold.py --verifier (float64 arithmetic; weights as stored, widened at each use)",
              "parameters": n_params, "prompts": prompts}
    with open(out_path, "w") as f:
        json.dump(golden, f, separators=(",", ":"))
    print(f"wrote {out_path} ({time.time() - t0:.0f} s in all)")


def main():
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    if sys.argv[1:2] == ["--verifier"]:
        if len(sys.argv) != 4:
            sys.exit("usage: gold.py --verifier MODEL_DIR OUT.json")
        verifier_real(sys.argv[2], sys.argv[3])
        return
    if sys.argv[1:2] == ["--compare"]:
        if len(sys.argv) not in (4, 6) or (len(sys.argv) == 6 and sys.argv[4] != "--max-rel"):
            sys.exit("usage: gold.py --compare MODEL_DIR LOGITS.json [--max-rel TOL]   (LOGITS.json from `greason model logits --out`;\n"
                     "       --max-rel: exit 1 unless max |greason - torch| <= TOL x the largest |logit| and the greedy tokens agree)")
        rel, same_greedy = compare(sys.argv[2], sys.argv[3])
        if len(sys.argv) == 6 and (rel > float(sys.argv[5]) or not same_greedy):
            sys.exit(f"FAIL: relative difference {rel:.3g} (tolerance {sys.argv[5]}), greedy {'equal' if same_greedy else 'differs'}")
        return
    only = set(sys.argv[1:])
    for v in VARIANTS:
        if not only or v["name"] in only:
            write_variant(v)


if __name__ == "__main__":
    main()
