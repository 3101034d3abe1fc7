// Package grpo trains Qwen policies in GoMLX: GRPO exactly as the General-Reasoner authors ran
// it in verl (protocol.md §3: group-normalised advantages, PPO clip with dual-clip, k3 KL to a
// frozen reference, entropy bonus, token-mean loss, AdamW with global-norm clipping, several
// mini-batches per step) and supervised fine-tuning (SFT) on prompt/response pairs, with
// checkpoint/resume and a JSONL metrics log.
package grpo

import (
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
)

// GroupAdvantages is verl's GRPO outcome advantage: rewards are split into consecutive groups of
// n (the rollouts of one prompt) and each becomes (r − mean)/(std + eps) with the unbiased
// (n−1) standard deviation; a group of size 1 uses mean 0 and std 1 (core_algos.py).
func GroupAdvantages(rewards []float64, n int, eps float64) []float64 {
	out := make([]float64, len(rewards))
	for start := 0; start < len(rewards); start += n {
		g := rewards[start:min(start+n, len(rewards))]
		mean, std := 0.0, 1.0
		if len(g) > 1 {
			mean, std = meanStd(g, 1)
		}
		for i, r := range g {
			out[start+i] = (r - mean) / (std + eps)
		}
	}
	return out
}

// meanStd returns the mean and the standard deviation with ddof degrees of freedom removed
// (0: population, 1: unbiased like torch.std).
func meanStd(x []float64, ddof int) (float64, float64) {
	if len(x) <= ddof {
		return 0, 0
	}
	m := 0.0
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	ss := 0.0
	for _, v := range x {
		ss += (v - m) * (v - m)
	}
	return m, math.Sqrt(ss / float64(len(x)-ddof))
}

// LossConfig holds the coefficients of the GRPO actor loss (verl names in comments).
type LossConfig struct {
	ClipLow     float64 `json:"clip_low"`     // clip_ratio_low: 0.2
	ClipHigh    float64 `json:"clip_high"`    // clip_ratio_high: 0.2
	ClipC       float64 `json:"clip_c"`       // clip_ratio_c (dual-clip for A < 0): 10
	KLCoef      float64 `json:"kl_coef"`      // kl_loss_coef: 1e-4 (0 disables the KL term)
	KLClamp     float64 `json:"kl_clamp"`     // low_var_kl clamp: 10
	EntropyCoef float64 `json:"entropy_coef"` // entropy_coeff: 1e-3
}

// DefaultLoss is protocol.md §3.
func DefaultLoss() LossConfig {
	return LossConfig{ClipLow: 0.2, ClipHigh: 0.2, ClipC: 10, KLCoef: 1e-4, KLClamp: 10, EntropyCoef: 1e-3}
}

// LossTerms are the scalar outputs of PolicyLoss (all token-means over the mask).
type LossTerms struct {
	Loss     *Node // pg − entropy_coef·entropy + kl_coef·kl (what is minimised)
	PG       *Node // clipped policy-gradient loss
	KL       *Node // k3 ("low_var_kl") estimate of KL(π‖π_ref)
	Entropy  *Node // mean token entropy
	ClipFrac *Node // fraction of tokens where the clipped branch was taken (pg_clipfrac)
	PPOKL    *Node // mean of old − current log-prob over the tokens (verl's actor/ppo_kl)
}

// TokenMean is verl's "token-mean" aggregation: Σ(x·mask)/Σmask (mask float, 0/1).
func TokenMean(x, mask *Node) *Node {
	return Div(ReduceAllSum(Mul(x, mask)), MaxScalar(ReduceAllSum(mask), 1e-8))
}

// Entropy returns the per-position entropy −Σ p·log p of float32 logits [..., V].
func Entropy(logits *Node) *Node {
	lp := LogSoftmax(logits, -1)
	return Neg(ReduceSum(Mul(Exp(lp), lp), -1))
}

// LowVarKL is verl's k3 estimator per token: r − log r − 1 with log r = ref − logp, clamped to
// [−clamp, clamp].
func LowVarKL(logp, refLogp *Node, clamp float64) *Node {
	kl := Sub(refLogp, logp)
	k3 := Sub(Sub(Exp(kl), kl), OnesLike(kl))
	return ClipScalar(k3, -clamp, clamp)
}

// PGLosses returns the per-token dual-clipped PPO losses and a 0/1 "clipped" indicator
// (verl compute_policy_loss): ratio = exp(clamp(logp − old, ±20)); l = max(−A·ratio,
// −A·clip(ratio, 1−εl, 1+εh)); for A < 0, l = min(l, −A·c).
func PGLosses(c LossConfig, logp, oldLogp, adv *Node) (loss, clipped *Node) {
	ratio := Exp(ClipScalar(Sub(logp, oldLogp), -20, 20))
	negA := Neg(adv)
	l1 := Mul(negA, ratio)
	l2 := Mul(negA, ClipScalar(ratio, 1-c.ClipLow, 1+c.ClipHigh))
	clip1 := Max(l1, l2)
	l3 := MulScalar(negA, c.ClipC)
	clip2 := Min(l3, clip1)
	loss = Where(LessThan(adv, ZerosLike(adv)), clip2, clip1)
	clipped = ConvertDType(GreaterThan(l2, l1), dtypes.Float32)
	return loss, clipped
}

// PolicyLoss combines the GRPO actor loss terms. All token tensors are float32 [B, T]; adv is
// [B] (one advantage per response, broadcast to its tokens) or [B, T]; mask marks response
// tokens; entropy is the per-token entropy (see Entropy).
func PolicyLoss(c LossConfig, logp, oldLogp, refLogp, entropy, adv, mask *Node) LossTerms {
	if adv.Rank() == 1 {
		adv = BroadcastToShape(InsertAxes(adv, -1), logp.Shape())
	}
	pg, clipped := PGLosses(c, logp, oldLogp, adv)
	t := LossTerms{
		PG:       TokenMean(pg, mask),
		Entropy:  TokenMean(entropy, mask),
		ClipFrac: TokenMean(clipped, mask),
		PPOKL:    TokenMean(Sub(oldLogp, logp), mask),
	}
	t.Loss = Sub(t.PG, MulScalar(t.Entropy, c.EntropyCoef))
	if c.KLCoef != 0 {
		t.KL = TokenMean(LowVarKL(logp, refLogp, c.KLClamp), mask)
		t.Loss = Add(t.Loss, MulScalar(t.KL, c.KLCoef))
	} else {
		t.KL = ScalarZero(logp.Graph(), dtypes.Float32)
	}
	return t
}

// lossSums are the token sums of the GRPO actor loss terms over a micro-batch (see
// Policy.GRPOAccumulate): Objective = PG − entropy_coef·Entropy + kl_coef·KL.
type lossSums struct {
	Objective, PG, KL, Entropy, ClipFrac, PPOKL, Count *Node
}

// policyLossSums is PolicyLoss with sums over the masked tokens instead of token-means, so that
// micro-batches can be combined with any normalisation.
func policyLossSums(c LossConfig, logp, oldLogp, refLogp, entropy, adv, mask *Node) lossSums {
	if adv.Rank() == 1 {
		adv = BroadcastToShape(InsertAxes(adv, -1), logp.Shape())
	}
	sum := func(x *Node) *Node { return ReduceAllSum(Mul(x, mask)) }
	pg, clipped := PGLosses(c, logp, oldLogp, adv)
	s := lossSums{PG: sum(pg), Entropy: sum(entropy), ClipFrac: sum(clipped), PPOKL: sum(Sub(oldLogp, logp)), Count: ReduceAllSum(mask)}
	s.Objective = Sub(s.PG, MulScalar(s.Entropy, c.EntropyCoef))
	if c.KLCoef != 0 {
		s.KL = sum(LowVarKL(logp, refLogp, c.KLClamp))
		s.Objective = Add(s.Objective, MulScalar(s.KL, c.KLCoef))
	} else {
		s.KL = ScalarZero(logp.Graph(), dtypes.Float32)
	}
	return s
}
