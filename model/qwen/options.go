package qwen

import (
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// GraphOptions are per-graph options of the forward pass, for trainers: they are set on the
// graph being built (SetGraphOptions) and read by [Forward] and [Hidden]; graphs that do not set
// them (inference, generation) are unaffected.
type GraphOptions struct {
	// Recompute marks every decoder layer as a rematerialisation block: the backward pass
	// recomputes a layer's activations from its input instead of keeping them from the forward
	// pass (activation checkpointing; GoMLX Node.Checkpoint).
	Recompute bool
	// ComputeDType, when set (bfloat16), converts the weights to it inside the graph, so matrix
	// products and activations use it while the variables (master weights), their gradients and
	// the optimizer state stay float32. InvalidDType: compute in the variables' dtype.
	ComputeDType dtypes.DType
}

const graphOptionsKey = "qwen_graph_options"

// SetGraphOptions sets the forward-pass options for graph g built over scope.
func SetGraphOptions(scope *model.Scope, g *Graph, o GraphOptions) {
	scope.SetGraphParam(g, graphOptionsKey, o)
}

func graphOptions(scope *model.Scope, g *Graph) GraphOptions {
	return model.GetGraphParamOr(scope, g, graphOptionsKey, GraphOptions{})
}

// castWeight converts a float weight to the graph's compute dtype, when one is set.
func castWeight(scope *model.Scope, g *Graph, w *Node) *Node {
	dt := graphOptions(scope, g).ComputeDType
	if dt == dtypes.InvalidDType || w.DType() == dt || !w.DType().IsFloat() {
		return w
	}
	return ConvertDType(w, dt)
}

// layerStart marks the start of a decoder layer: with Recompute, x becomes a checkpoint whose
// downstream activations the backward pass recomputes.
func layerStart(scope *model.Scope, g *Graph, x *Node) *Node {
	if graphOptions(scope, g).Recompute {
		return x.Checkpoint()
	}
	return x
}

// layersEnd closes the last rematerialisation block.
func layersEnd(scope *model.Scope, g *Graph, x *Node) *Node {
	if graphOptions(scope, g).Recompute {
		return x.StopCheckpoint()
	}
	return x
}
