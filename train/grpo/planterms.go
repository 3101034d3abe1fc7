package grpo

import "github.com/greason/greason/model/qwen"

// The memory model's per-model terms, for plans of other jobs that share a device with a GRPO
// step (train/verifier's plan of a local verifier beside the policy).

// LayerActivations returns the floats per token that one decoder layer's graph holds (see
// layerDims) and the float32 attention values per token and key.
func LayerActivations(c *qwen.Config) (perToken, attnPerKey int64) { return layerDims(c) }

// WeightBytes returns the bytes of one copy of every weight at b bytes per value (bucketed on the
// Go backend) and the largest single weight's.
func WeightBytes(c *qwen.Config, b int64, goBackend bool) (total, largest int64) {
	return weightBytes(c, b, goBackend)
}

// MatmulParams is the number of weights used in matrix products per token (the LM head once).
func MatmulParams(c *qwen.Config) int64 { return matmulParams(c) }
