#!/usr/bin/env bash
# GPU check for a machine with one NVIDIA GPU and no internet whose image has CUDA and JAX's CUDA
# PJRT plugin (jax_plugins/xla_cuda*/xla_cuda_plugin.so in a Python site-packages):
#   1. build greason and the model/qwen test binary with the XLA backend (default build tags), or
#      take them from --bin-dir when this machine has no Go toolchain;
#   2. find the plugin, the CUDA libraries, ptxas and libdevice of the pip nvidia-* wheels;
#   3. compare GPU and CPU logits of the tiny Qwen2/Qwen3 presets (TestBackendParity);
#   4. time a GRPO step of the GPU config's model (configs/models/gpu-policy.json, the 512-wide 8-layer
#      policy of configs/gpu-grpo.json: 64 prompts × 8 rollouts) and of a Qwen3-0.6B-shaped model
#      (greason train plan --measure, random weights), printing tokens/s, estimated MFU and the
#      GPU memory peak (nvidia-smi);
#   5. time the local General-Verifier judge at its real shape (greason model init --config
#      general-verifier-1.5b, random bfloat16 weights): greason verify --batch on 128 rows of
#      verify/testdata/qwen25_math_cot100_dev with --verifier-batch 64 and 256 new tokens per
#      verification (random weights never stop early), printing verifications/s;
#   6. run 3 steps of the paper's GRPO job (greason train grpo, "job": "grpo") at the Qwen3-0.6B
#      shape (random weights, the embedded Qwen3 tokenizer and chat template) on the e2e data
#      (greason train e2e data: the micro generator's questions as a WebInstruct-schema file),
#      8 prompts × 8 rollouts, up to 256 new tokens, rules reward, printing each step's tokens/s
#      and MFU (metrics.jsonl: perf/throughput, perf/mfu/actor) and the GPU memory peak.
# Meant to finish in under 8 minutes. --dry-run does everything but the GPU (CI runs it): the
# same builds, plugin discovery on a fake site-packages tree, argument checks, the parity test with
# the CPU backend on both sides, the reference tests and a tiny GRPO step on the CPU.
#
# Usage: scripts/gpu-check.sh [--dry-run] [--build-only] [--bin-dir DIR] [--site DIR] [--python PY]
#                             [--peak-tflops X] [--out DIR] [--skip-0.6b] [--skip-verifier] [--skip-job]
set -euo pipefail

usage() {
	sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
}

die() {
	echo "gpu-check: $*" >&2
	exit 2
}

DRY=0 BUILD_ONLY=0 BIN_DIR="" SITE="" PY="" PEAK="" OUT="" SKIP06=0 SKIPV=0 SKIPJOB=0
parse_args() {
	while [[ $# -gt 0 ]]; do
		case "$1" in
		--dry-run) DRY=1 ;;
		--build-only) BUILD_ONLY=1 ;;
		--skip-0.6b) SKIP06=1 ;;
		--skip-verifier) SKIPV=1 ;;
		--skip-job) SKIPJOB=1 ;;
		--bin-dir | --site | --python | --peak-tflops | --out)
			[[ $# -ge 2 && -n "$2" && "$2" != --* ]] || die "$1 needs a value"
			case "$1" in
			--bin-dir) BIN_DIR=$2 ;;
			--site) SITE=$2 ;;
			--python) PY=$2 ;;
			--peak-tflops)
				[[ "$2" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--peak-tflops wants a number, got '$2'"
				PEAK=$2
				;;
			--out) OUT=$2 ;;
			esac
			shift
			;;
		-h | --help)
			usage
			exit 0
			;;
		*) die "unknown argument '$1' (see --help)" ;;
		esac
		shift
	done
}

# site_dirs prints the Python site-packages directories of $PY (or python3), one per line.
site_dirs() {
	local py=${PY:-python3}
	command -v "$py" >/dev/null 2>&1 || return 0
	"$py" - <<'EOF' 2>/dev/null || true
import site, sysconfig
seen = []
for d in [sysconfig.get_paths().get("purelib"), sysconfig.get_paths().get("platlib")] + list(getattr(site, "getsitepackages", lambda: [])()) + [site.getusersitepackages()]:
    if d and d not in seen:
        seen.append(d); print(d)
EOF
}

# find_plugin SITE...: the first jax_plugins/*/xla_cuda*plugin*.so under the given site-packages
# directories (newest CUDA first: xla_cuda13 before xla_cuda12).
find_plugin() {
	local d f
	for d in "$@"; do
		[[ -d "$d/jax_plugins" ]] || continue
		f=$(find "$d/jax_plugins" -maxdepth 2 -name 'xla_cuda*plugin*.so' 2>/dev/null | sort -r | head -1)
		if [[ -n "$f" ]]; then
			echo "$f"
			return 0
		fi
	done
	return 1
}

# cuda_env SITE: prints export lines for the pip nvidia-* wheels under SITE/nvidia: their lib
# folders on LD_LIBRARY_PATH, ptxas on PATH and XLA's CUDA data dir (the folder holding
# nvvm/libdevice).
cuda_env() {
	local site=$1 libs ptxas libdevice
	[[ -d "$site/nvidia" ]] || {
		echo "# no $site/nvidia: using the system CUDA"
		return 0
	}
	libs=$(find "$site/nvidia" -maxdepth 3 -type d -name lib 2>/dev/null | sort | paste -sd: -)
	[[ -n "$libs" ]] && echo "export LD_LIBRARY_PATH=$libs\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
	ptxas=$(find "$site/nvidia" -maxdepth 4 -type f -name ptxas 2>/dev/null | sort -r | head -1)
	[[ -n "$ptxas" ]] && echo "export PATH=$(dirname "$ptxas"):\$PATH"
	libdevice=$(find "$site/nvidia" -maxdepth 5 -type f -name 'libdevice*.bc' 2>/dev/null | sort -r | head -1)
	[[ -n "$libdevice" ]] && echo "export XLA_FLAGS=\"--xla_gpu_cuda_data_dir=$(dirname "$(dirname "$(dirname "$libdevice")")")\${XLA_FLAGS:+ \$XLA_FLAGS}\""
	return 0
}

# peak_tflops NAME DTYPE: dense peak TFLOP/s of a known GPU (bf16, or TF32 for float32), "" if unknown.
peak_tflops() {
	local name=$1 dt=$2
	case "$name" in
	*H100* | *H200* | *GH200*) [[ $dt == bfloat16 ]] && echo 989 || echo 494 ;;
	*A100*) [[ $dt == bfloat16 ]] && echo 312 || echo 156 ;;
	*L40S*) [[ $dt == bfloat16 ]] && echo 362 || echo 183 ;;
	*) echo "" ;;
	esac
}

# self_test: plugin discovery, CUDA environment and argument parsing against a fake tree.
self_test() {
	local tmp got want
	tmp=$(mktemp -d)
	mkdir -p "$tmp/a" "$tmp/b/jax_plugins/xla_cuda12" "$tmp/b/jax_plugins/xla_cuda13" \
		"$tmp/b/nvidia/cu13/lib" "$tmp/b/nvidia/cu13/bin" "$tmp/b/nvidia/cu13/nvvm/libdevice" "$tmp/b/nvidia/cudnn/lib"
	touch "$tmp/b/jax_plugins/xla_cuda12/xla_cuda_plugin.so" "$tmp/b/jax_plugins/xla_cuda13/xla_cuda_plugin.so" \
		"$tmp/b/nvidia/cu13/nvvm/libdevice/libdevice.10.bc"
	printf '#!/bin/sh\n' >"$tmp/b/nvidia/cu13/bin/ptxas"
	chmod +x "$tmp/b/nvidia/cu13/bin/ptxas"
	got=$(find_plugin "$tmp/a" "$tmp/b")
	want="$tmp/b/jax_plugins/xla_cuda13/xla_cuda_plugin.so"
	[[ "$got" == "$want" ]] || die "self-test: plugin '$got', want '$want'"
	if find_plugin "$tmp/a" >/dev/null; then die "self-test: found a plugin in an empty tree"; fi
	got=$(cuda_env "$tmp/b")
	grep -q "LD_LIBRARY_PATH=$tmp/b/nvidia/cu13/lib:$tmp/b/nvidia/cudnn/lib" <<<"$got" || die "self-test: LD_LIBRARY_PATH in: $got"
	grep -q "PATH=$tmp/b/nvidia/cu13/bin:" <<<"$got" || die "self-test: ptxas PATH in: $got"
	grep -q "xla_gpu_cuda_data_dir=$tmp/b/nvidia/cu13" <<<"$got" || die "self-test: XLA_FLAGS in: $got"
	[[ "$(peak_tflops 'NVIDIA H100 80GB HBM3' bfloat16)" == 989 && "$(peak_tflops 'NVIDIA H200' float32)" == 494 ]] || die "self-test: peak TFLOP/s table"
	local bad
	for bad in "--no-such-flag" "--peak-tflops abc" "--bin-dir" "--site --dry-run"; do
		# shellcheck disable=SC2086
		if bash "$0" $bad >/dev/null 2>&1; then die "self-test: arguments '$bad' were accepted"; fi
	done
	bash "$0" --help | grep -q -- "--dry-run" || die "self-test: --help"
	rm -rf "$tmp"
	echo "self-test: plugin discovery, CUDA environment, peak table and argument checks pass"
}

main() {
	parse_args "$@"
	cd "$(dirname "$0")/.."
	export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3} GOMLX_NO_AUTO_INSTALL=1 GOPJRT_CUDA_CHECKS=0
	local start=$SECONDS out=${OUT:-$(mktemp -d)}
	mkdir -p "$out"
	[[ $DRY == 1 ]] && self_test

	# 1. Build with the XLA backend (default tags), or use prebuilt binaries.
	local bin=${BIN_DIR:-bin/gpu-check}
	if command -v go >/dev/null 2>&1; then
		mkdir -p "$bin"
		echo "building greason and the model/qwen tests with the XLA backend into $bin ..."
		go build -o "$bin/greason" ./cmd/greason
		go test -c -o "$bin/qwen.test" ./model/qwen
	fi
	[[ -x "$bin/greason" && -x "$bin/qwen.test" ]] || die "no Go toolchain and no $bin/greason, $bin/qwen.test: build them with --build-only on a machine with Go and pass --bin-dir"
	if [[ $BUILD_ONLY == 1 ]]; then
		echo "built $bin/greason and $bin/qwen.test ($((SECONDS - start)) s)"
		return 0
	fi

	# 2. Backend: the CUDA plugin (real run) or the Go CPU backend (dry run).
	local backend plugin="" gpu="" site
	if [[ $DRY == 1 ]]; then
		backend=go:ops_sequential
		echo "dry run: the device backend is the CPU ($backend)"
	else
		command -v nvidia-smi >/dev/null 2>&1 || die "nvidia-smi not found: no NVIDIA driver here (use --dry-run on a CPU machine)"
		gpu=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -1)
		echo "GPU: $gpu"
		local sites=()
		if [[ -n "$SITE" ]]; then sites=("$SITE"); else mapfile -t sites < <(site_dirs); fi
		plugin=$(find_plugin "${sites[@]}") || die "no jax_plugins/xla_cuda*/xla_cuda_plugin.so in: ${sites[*]:-<no python>} (use --site)"
		site=$(dirname "$(dirname "$(dirname "$plugin")")")
		echo "plugin: $plugin"
		eval "$(cuda_env "$site")"
		backend="xla:$plugin"
	fi

	# 3. GPU vs CPU logits of the tiny presets; the float64 reference tests on the device backend.
	echo "== logits: $backend vs CPU"
	GREASON_PARITY_BACKEND=$backend "$bin/qwen.test" -test.run 'TestBackendParity' -test.v >"$out/parity.txt" 2>&1 || true
	grep -E '^(--- |\s+parity_test)' "$out/parity.txt" || true
	grep -q -- '--- PASS: TestBackendParity' "$out/parity.txt" || die "logits parity failed (see $out/parity.txt)"
	if [[ $DRY == 1 ]]; then
		GOMLX_BACKEND=$backend "$bin/qwen.test" -test.run 'TestForwardParityWithReference|TestChunkedHeadMatchesFullLogits' >"$out/reference.txt" 2>&1 || die "reference tests failed (see $out/reference.txt)"
		echo "reference and chunked-head tests pass on the CPU"
	fi

	# 4. GRPO steps: tokens/s, MFU, memory.
	if [[ $DRY == 0 ]]; then
		nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 500 >"$out/gpu-mem.txt" 2>/dev/null &
		SMI_PID=$!
		trap 'kill "$SMI_PID" 2>/dev/null || true' EXIT
	fi
	step() { # name dtype args...
		local name=$1 dt=$2 peak=$PEAK
		shift 2
		[[ -n "$peak" || -z "$gpu" ]] || peak=$(peak_tflops "$gpu" "$dt")
		echo "== GRPO step: $name"
		if ! GOMLX_BACKEND=$backend "$bin/greason" train plan "$@" --measure ${peak:+--peak-tflops $peak} >"$out/step-$name.txt" 2>&1; then
			tail -5 "$out/step-$name.txt" >&2
			die "GRPO step $name failed (see $out/step-$name.txt)"
		fi
		grep -E '^(qwen|step:|FLOPs|measured|  (phase|generate|old_ref_logprobs|update|step) |tokens/s)' "$out/step-$name.txt"
	}
	if [[ $DRY == 1 ]]; then
		step tiny float32 --config configs/models/gpu-policy.json --device cpu --batch 2 --n 2 --prompt-len 8 --gen-len 8
	else
		step gpu-config float32 --config configs/models/gpu-policy.json --device gpu:80 --batch 64 --n 8 --prompt-len 24 --gen-len 24 --mini-batches 4 --gogc -1 --steps 2
		if [[ $SKIP06 == 0 ]]; then
			step qwen3-0.6b bfloat16 --config qwen3-0.6b --device gpu:80 --batch 8 --n 8 --prompt-len 128 --gen-len 256 \
				--micro-batch 16 --compute-dtype bfloat16 --rollout-weights-as-inputs --gogc -1 --steps 2
		fi
	fi

	# 5. The local General-Verifier judge: verifications/s.
	verifier() { # preset dtype rows batch max-tokens
		local preset=$1 dt=$2 rows=$3 batch=$4 maxtok=$5
		echo "== local General-Verifier: $preset ($dt), $rows rows, runs of $batch, $maxtok new tokens each"
		"$bin/greason" model init --config "$preset" --dtype "$dt" --tokenizer embedded --seed 1 --out "$out/verifier-$preset" >/dev/null
		# head closes the pipe early: gzip's SIGPIPE is expected, so the row count is checked instead
		{ gzip -dc verify/testdata/qwen25_math_cot100_dev.jsonl.gz || true; } | head -n "$rows" >"$out/verifier-rows.jsonl"
		[[ $(wc -l <"$out/verifier-rows.jsonl") -eq $rows ]] || die "could not read $rows rows of verify/testdata/qwen25_math_cot100_dev.jsonl.gz"
		if ! GOMLX_BACKEND=$backend "$bin/greason" verify --batch "$out/verifier-rows.jsonl" --out "$out/verifier-out.jsonl" \
			--judge general-verifier --verifier-model "$out/verifier-$preset" --verifier-dtype "$dt" --verifier-batch "$batch" \
			--verifier-max-tokens "$maxtok" >"$out/verifier-$preset.txt" 2>&1; then
			tail -5 "$out/verifier-$preset.txt" >&2
			die "local verifier $preset failed (see $out/verifier-$preset.txt)"
		fi
		grep -E 'rows judged|local General-Verifier' "$out/verifier-$preset.txt"
		rm -rf "$out/verifier-$preset"
	}
	if [[ $DRY == 1 ]]; then
		verifier tiny-qwen2 float32 8 4 4
	elif [[ $SKIPV == 0 ]]; then
		verifier general-verifier-1.5b bfloat16 128 64 256
	fi

	# 6. The paper's job: 3 GRPO steps at the Qwen3-0.6B shape on the e2e data.
	job() { # name policy-json steps prompts n max-new-tokens compute-dtype
		local preset=$1 policy=$2 steps=$3 prompts=$4 n=$5 gen=$6 cdt=$7 peak=$PEAK
		[[ -n "$peak" || -z "$gpu" ]] || peak=$(peak_tflops "$gpu" "$cdt")
		echo "== GRPO job: $preset, $steps steps of $prompts prompts × $n rollouts, up to $gen new tokens, e2e data"
		"$bin/greason" train e2e data --out "$out/e2e-data" --train 400 --held-out 16 --teacher 0 >/dev/null
		rm -rf "$out/job-$preset"
		local mem='"response_window": true' tr=""
		[[ -z "$cdt" ]] || mem+=", \"compute_dtype\": \"$cdt\""
		[[ -z "$peak" ]] || tr=", \"peak_tflops\": $peak"
		cat >"$out/job-$preset.json" <<JSON
{
  "job": "grpo", "name": "gpu-check-$preset", "out": "$out/job-$preset",
  "policy": {$policy, "init_seed": 1},
  "data": {"train": ["$out/e2e-data/train.jsonl"], "val": ["$out/e2e-data/test.jsonl"], "val_rows": 8,
           "max_prompt_length": 128, "filter_overlong_prompts": true},
  "reward": {"judge": "rules", "workers": 8, "val_judge": "rules"},
  "grpo": {"prompts_per_step": $prompts, "n": $n, "mini_batches": 1, "max_new_tokens": $gen, "temperature": 1.0, "seed": 1,
           "loss_agg": "micro-token-mean", "micro_batch": 16, "bucket": 64,
           "memory": {$mem}},
  "trainer": {"total_training_steps": $steps, "test_freq": 0, "save_freq": $steps$tr}
}
JSON
		if ! GOMLX_BACKEND=$backend "$bin/greason" train grpo --config "$out/job-$preset.json" >"$out/job-$preset.txt" 2>&1; then
			tail -5 "$out/job-$preset.txt" >&2
			die "GRPO job $preset failed (see $out/job-$preset.txt)"
		fi
		local m="$out/job-$preset/metrics.jsonl"
		[[ -s "$m" ]] || die "GRPO job $preset wrote no $m"
		local line
		while IFS= read -r line; do # one line per step: the step, its seconds, tokens/s and MFU
			[[ $line == *'"timing_s/step"'* ]] || continue
			echo "  step $(grep -o '"step":[0-9]*' <<<"$line" | cut -d: -f2): $(grep -o '"timing_s/step":[0-9.e+-]*' <<<"$line" | cut -d: -f2) s," \
				"$(grep -o '"perf/throughput":[0-9.e+-]*' <<<"$line" | cut -d: -f2) tokens/s, MFU $(grep -o '"perf/mfu/actor":[0-9.e+-]*' <<<"$line" | cut -d: -f2 || true)"
		done <"$m"
	}
	if [[ $DRY == 1 ]]; then
		job e2e-policy '"config": "configs/models/e2e-policy.json"' 1 2 2 8 ""
	elif [[ $SKIPJOB == 0 ]]; then
		job qwen3-0.6b '"preset": "qwen3-0.6b"' 3 8 8 256 bfloat16
	fi
	if [[ $DRY == 0 ]]; then
		kill "$SMI_PID" 2>/dev/null || true
		echo "GPU memory peak (nvidia-smi, MiB): $(sort -n "$out/gpu-mem.txt" | tail -1)"
	fi
	echo "gpu-check: done in $((SECONDS - start)) s; logs in $out"
}

main "$@"
