package grpo

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
)

// MemoryConfig selects the memory-lean training paths. The zero value is the plain path
// (except LogitChunk's automatic chunking of vocabularies over AutoChunkVocab entries, which
// micro-scale models never reach).
type MemoryConfig struct {
	// LogitChunk is the vocabulary chunk of the fused LM-head log-prob/entropy
	// (qwen.ChunkedHeadStats): at most batch × length × LogitChunk logits exist at a time, in
	// the forward and the backward pass, instead of batch × length × vocabulary logits and their
	// gradient. 0: automatic (AutoChunk when the vocabulary exceeds AutoChunkVocab, else none);
	// −1: never.
	LogitChunk int `json:"logit_chunk,omitempty"`
	// Recompute recomputes each decoder layer's activations in the backward pass from the
	// layer's input (activation checkpointing) instead of keeping them all from the forward pass.
	Recompute bool `json:"recompute,omitempty"`
	// ComputeDType "bfloat16" runs the training and log-prob graphs with bfloat16 weights and
	// activations (converted in the graph) while the stored weights (master weights), their
	// gradients and the AdamW state stay float32. "" or "float32": the stored dtype.
	ComputeDType string `json:"compute_dtype,omitempty"`
	// RolloutWeightsAsInputs makes the rollout (KV-cache decoding) graphs take the weights as
	// inputs instead of embedding them as constants, which on the Go backend costs two extra
	// copies of the weights during generation (qwen.GenerateOptions.WeightsAsInputs).
	RolloutWeightsAsInputs bool `json:"rollout_weights_as_inputs,omitempty"`
	// SerialUpdate applies the AdamW update one weight after another (scheduling barriers; the
	// same values), so the Go backend holds one weight's update temporaries at a time instead of
	// every weight's (about three weight-sized buffers each).
	SerialUpdate bool `json:"serial_update,omitempty"`
	// ResponseWindow runs the LM head (log-probs, entropies, their gradients) only on the last W
	// positions of each (micro-)batch, W = its longest response rounded up to the bucket
	// (MakeSeqsWindow): the prompt positions' logits are never computed, which with Qwen's
	// 151,936-entry vocabulary is most of a small model's log-prob and update time. Same losses.
	ResponseWindow bool `json:"response_window,omitempty"`
	// FusedAdamW applies the AdamW update after the graph in one pass per weight (read the weight,
	// its gradient and both moments, write the weight and the moments) instead of the graph's
	// ~18 elementwise passes with their weight-sized temporaries: the same values bit for bit
	// (fusedadam.go), far less memory traffic. Needs float32 weights.
	FusedAdamW bool `json:"fused_adamw,omitempty"`
}

// Automatic vocabulary chunking: vocabularies larger than AutoChunkVocab (Qwen's 151,936, not the
// micro runs' 97) are processed in chunks of AutoChunk rows.
const (
	AutoChunkVocab = 65536
	AutoChunk      = 16384
)

// Validate checks the fields.
func (m MemoryConfig) Validate() error {
	if m.LogitChunk < -1 {
		return fmt.Errorf("memory.logit_chunk must be −1 (never), 0 (automatic) or a chunk size > 0, got %d", m.LogitChunk)
	}
	switch m.ComputeDType {
	case "", "float32", "bfloat16":
	default:
		return fmt.Errorf("memory.compute_dtype %q is not supported (want float32 or bfloat16)", m.ComputeDType)
	}
	return nil
}

// chunkFor resolves LogitChunk for a vocabulary of V entries (0: no chunking).
func (m MemoryConfig) chunkFor(V int) int {
	switch {
	case m.LogitChunk > 0:
		return m.LogitChunk
	case m.LogitChunk == 0 && V > AutoChunkVocab:
		return AutoChunk
	}
	return 0
}

func (m MemoryConfig) computeDType() dtypes.DType {
	if m.ComputeDType == "bfloat16" {
		return dtypes.BFloat16
	}
	return dtypes.InvalidDType
}
