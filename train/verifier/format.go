package verifier

import (
	"context"
	"io"
	"strings"

	"github.com/greason/greason/train/grpo"
	"github.com/greason/greason/verify"
)

// Format is how a verifier reads a row and what it learns to write: the prompt, the target
// (rationale and decision) and how its output is read back as a verdict.
type Format struct {
	Name    string
	Prompt  func(question, gold, answer string) string
	Target  func(label bool, rationale string) string
	Verdict func(output string) bool
}

// GeneralVerifierTarget is General-Verifier's output for a row: the rationale when given, then
// the decision on its own line, "Final Decision: Yes" or "Final Decision: No"
// (../shared/paper/protocol.md §1.1: "a short rationale and then Final Decision: Yes|No"). It
// starts with a space, since the prompt ends with "Assistant:" and no space. The paper's exact
// spacing between rationale and decision is not published; the verdict (§1.3, a substring test
// on the stripped output) does not depend on it.
func GeneralVerifierTarget(label bool, rationale string) string {
	d := "Final Decision: No"
	if label {
		d = "Final Decision: Yes"
	}
	if r := strings.TrimSpace(rationale); r != "" {
		return " " + r + "\n\n" + d
	}
	return " " + d
}

// GeneralVerifier is the paper's format: the §1.2 prompt (verify.VerifierPrompt, byte for byte),
// GeneralVerifierTarget, and the §1.3 verdict (verify.VerifierPass on the stripped output).
var GeneralVerifier = Format{Name: "general-verifier", Prompt: verify.VerifierPrompt, Target: GeneralVerifierTarget,
	Verdict: func(out string) bool { return verify.VerifierPass(strings.TrimSpace(out)) }}

// Tokenizer encodes text without adding special tokens.
type Tokenizer interface {
	Encode(text string) []int
}

// Example turns a row into token ids: the prompt, and the target followed by the end-of-sequence
// token eos (the loss covers the target and eos only).
func Example(r Row, f Format, tok Tokenizer, eos int) grpo.SFTExample {
	return grpo.SFTExample{Prompt: tok.Encode(f.Prompt(r.Question, r.Gold, r.Answer)),
		Response: append(tok.Encode(f.Target(r.Label, r.Rationale)), eos)}
}

// Examples turns rows into SFT examples (Example).
func Examples(rows []Row, f Format, tok Tokenizer, eos int) []grpo.SFTExample {
	ex := make([]grpo.SFTExample, len(rows))
	for i, r := range rows {
		ex[i] = Example(r, f, tok, eos)
	}
	return ex
}

// Train fine-tunes pol on rows in format f (grpo.SFT on Examples: token-mean NLL of the targets).
func Train(ctx context.Context, sc grpo.SFTConfig, pol *grpo.Policy, rows []Row, f Format, tok Tokenizer, eos int,
	log io.Writer, run string, progress func(grpo.SFTRecord)) error {
	return TrainExamples(ctx, sc, pol, Examples(rows, f, tok, eos), log, run, progress)
}

// TrainExamples fine-tunes pol on examples already tokenized (Examples).
func TrainExamples(ctx context.Context, sc grpo.SFTConfig, pol *grpo.Policy, ex []grpo.SFTExample, log io.Writer, run string, progress func(grpo.SFTRecord)) error {
	return grpo.SFT(ctx, sc, pol, ex, log, run, progress)
}
