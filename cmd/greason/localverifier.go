package main

import (
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/greason/greason/model/complete"
	"github.com/greason/greason/train/verifier"
	"github.com/greason/greason/verify"
)

// localVerifierFlags configure General-Verifier run in-process from a checkpoint folder
// (--verifier-model DIR without --verifier-url).
type localVerifierFlags struct {
	rows      int
	dtype     string
	maxTokens int
	overlong  string
}

const verifierModelHelp = "General-Verifier: the model name at --verifier-url, or without a URL a local checkpoint folder run in-process (e.g. models/TIGER-Lab/general-verifier from `greason model pull`)"

func (l *localVerifierFlags) add(f *pflag.FlagSet) {
	f.IntVar(&l.rows, "verifier-batch", 16, "local General-Verifier: prompts decoded together in one sampler run (every run has this many rows)")
	f.StringVar(&l.dtype, "verifier-dtype", "float32", "local General-Verifier: weights in memory, float32 or bfloat16")
	f.IntVar(&l.maxTokens, "verifier-max-tokens", 0, "General-Verifier's output limit (0: 2048, the paper's training setting; the model card uses 1024)")
	f.StringVar(&l.overlong, "verifier-overlong", "error", "local General-Verifier: a prompt that fills the context is an error, or with fail judged not correct (counted)")
}

func (l *localVerifierFlags) options() complete.Options {
	return complete.Options{Rows: l.rows, DType: l.dtype, Overlong: l.overlong}
}

// openJudge builds the named judge, loading the local General-Verifier when jc names a folder
// without a URL (verifier.NewJudge). close releases it.
func (l *localVerifierFlags) openJudge(name string, jc verify.JudgeConfig) (verify.Judge, *complete.Completer, error) {
	jc.VerifierMaxTokens = l.maxTokens
	j, local, err := verifier.NewJudge(name, jc, l.options())
	if err != nil {
		return nil, nil, asUserError(err)
	}
	return j, local, nil
}

// report prints what the local verifier did (nothing without one).
func reportLocal(w io.Writer, local *complete.Completer) {
	if local == nil {
		return
	}
	s := local.Stats()
	fmt.Fprintf(w, "local General-Verifier: %d prompts (%d prompt tokens) in %d runs of %d rows, %d new tokens; %d max_tokens cut to the %d-token context, %d prompts over it\n",
		s.Prompts, s.PromptTokens, s.Runs, local.Options().Rows, s.NewTokens, s.Capped, local.Context(), s.Overlong)
}
