package verify

import (
	"context"
	"fmt"
	"strings"

	"github.com/greason/greason/llm"
)

// VerifierPrompt builds the General-Verifier completion prompt of protocol §1.2 exactly
// (`verifier.py` VERIFIER_PROMPT_TEMPLATE; no chat template). When extraction failed the
// caller passes NoneAnswer, reproducing Python's formatting of None.
func VerifierPrompt(question, groundTruth, studentAnswer string) string {
	return "User: ### Question: " + question + "\n\n### Ground Truth Answer: " + groundTruth +
		"\n\n### Student Answer: " + studentAnswer +
		"\n\nFor the above question, please verify if the student's answer is equivalent to the ground truth answer.\n" +
		"Do not solve the question by yourself; just check if the student's answer is equivalent to the ground truth answer.\n" +
		"If the student's answer is correct, output \"Final Decision: Yes\". If the student's answer is incorrect, output \"Final Decision: No\". Assistant:"
}

// NoneAnswer is what Python formats into a prompt for a failed extraction.
const NoneAnswer = "None"

// VerifierPass is the verdict rule of protocol §1.3: a case-sensitive substring test on the
// whole generated text.
func VerifierPass(output string) bool { return strings.Contains(output, "Final Decision: Yes") }

// Completer generates a completion for a plain prompt (an OpenAI-compatible endpoint via
// llm.Client, or a local model).
type Completer interface {
	Complete(ctx context.Context, prompt string, p llm.Params) (llm.Response, error)
}

// Chatter answers a chat conversation.
type Chatter interface {
	Chat(ctx context.Context, msgs []llm.Message, p llm.Params) (llm.Response, error)
}

// GeneralVerifier is the paper's model-based verifier (TIGER-Lab/general-verifier) behind a
// completions endpoint: temperature 0, max_tokens 2048, output stripped, "Final Decision: Yes".
type GeneralVerifier struct {
	Model     Completer
	MaxTokens int // 0 means 2048 (training); the model card uses 1024
}

// NewGeneralVerifier talks to an OpenAI-compatible server (e.g. vLLM serving
// TIGER-Lab/general-verifier at baseURL such as http://localhost:8000/v1).
func NewGeneralVerifier(baseURL, model string) *GeneralVerifier {
	return &GeneralVerifier{Model: llm.New(baseURL, model)}
}

func (*GeneralVerifier) Name() string { return "general-verifier" }

// Judge asks the verifier with the answer as given (pass NoneAnswer for a failed extraction,
// as the training code does).
func (g *GeneralVerifier) Judge(ctx context.Context, question, gold, answer string) (Verdict, error) {
	out, err := g.Verify(ctx, question, gold, answer)
	if err != nil {
		return Verdict{Layer: "model"}, err
	}
	return verifierVerdict(out), nil
}

// verifierVerdict reads General-Verifier's stripped output (§1.3).
func verifierVerdict(out string) Verdict {
	v := Verdict{Correct: VerifierPass(out), Layer: "model"}
	if v.Correct {
		v.Reason = "General-Verifier: Final Decision: Yes"
	} else {
		v.Reason = "General-Verifier: no \"Final Decision: Yes\" (" + tail(out, 80) + ")"
	}
	return v
}

// params are the decoding settings of §1.3: greedy, MaxTokens new tokens (2048 by default).
func (g *GeneralVerifier) params() llm.Params {
	mt := g.MaxTokens
	if mt == 0 {
		mt = 2048
	}
	return llm.Params{Temperature: llm.F64(0), MaxTokens: mt}
}

// Verify returns the verifier's stripped output text for one prompt.
func (g *GeneralVerifier) Verify(ctx context.Context, question, gold, answer string) (string, error) {
	resp, err := g.Model.Complete(ctx, VerifierPrompt(question, gold, answer), g.params())
	if err != nil {
		return "", fmt.Errorf("general-verifier: %w", err)
	}
	return pyStrip(resp.Text), nil
}

func tail(s string, n int) string {
	s = strings.ReplaceAll(strings.TrimSpace(s), "\n", " ")
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// EqualityTemplate is simple-evals' EQUALITY_TEMPLATE (common.py) after .strip(); the two
// %(expressionN)s slots are filled by EqualityPrompt.
const EqualityTemplate = `Look at the following two expressions (answers to a math problem) and judge whether they are equivalent. Only perform trivial simplifications

Examples:

    Expression 1: $2x+3$
    Expression 2: $3+2x$

Yes

    Expression 1: 3/2
    Expression 2: 1.5

Yes

    Expression 1: $x^2+2x+1$
    Expression 2: $y^2+2y+1$

No

    Expression 1: $x^2+2x+1$
    Expression 2: $(x+1)^2$

Yes

    Expression 1: 3245/5
    Expression 2: 649

No
(these are actually equal, don't mark them equivalent if you need to do nontrivial simplifications)

    Expression 1: 2/(-3)
    Expression 2: -2/3

Yes
(trivial simplifications are allowed)

    Expression 1: 72 degrees
    Expression 2: 72

Yes
(give benefit of the doubt to units)

    Expression 1: 64
    Expression 2: 64 square feet

Yes
(give benefit of the doubt to units)

---

YOUR TASK


Respond with only "Yes" or "No" (without quotes). Do not include a rationale.

    Expression 1: %(expression1)s
    Expression 2: %(expression2)s`

// EqualityPrompt fills the template: expression 1 is the gold, expression 2 the extracted
// answer ("None" when nothing was extracted).
func EqualityPrompt(gold, answer string) string {
	return strings.Replace(strings.Replace(EqualityTemplate, "%(expression1)s", gold, 1), "%(expression2)s", answer, 1)
}

// EqualityJudge is the paper's GPT-4o judge over chat completions (simple-evals
// check_equality): one user message, correct iff response.lower().strip() == "yes".
type EqualityJudge struct {
	Model  Chatter
	Params llm.Params // zero value: temperature 0.5, max_tokens 1024 (ChatCompletionSampler defaults)
}

// NewEqualityJudge talks to an OpenAI-compatible chat endpoint.
func NewEqualityJudge(baseURL, model string) *EqualityJudge {
	return &EqualityJudge{Model: llm.New(baseURL, model)}
}

func (*EqualityJudge) Name() string { return "llm-judge" }

func (e *EqualityJudge) Judge(ctx context.Context, _, gold, answer string) (Verdict, error) {
	if answer == "" {
		answer = NoneAnswer
	}
	p := e.Params
	if p.Temperature == nil && p.MaxTokens == 0 {
		p = llm.Params{Temperature: llm.F64(0.5), MaxTokens: 1024}
	}
	resp, err := e.Model.Chat(ctx, []llm.Message{{Role: "user", Content: EqualityPrompt(gold, answer)}}, p)
	if err != nil {
		return Verdict{Layer: "llm-judge"}, fmt.Errorf("equality judge: %w", err)
	}
	ok := strings.TrimSpace(strings.ToLower(resp.Text)) == "yes"
	return Verdict{Correct: ok, Layer: "llm-judge", Reason: "judge said " + tail(resp.Text, 40)}, nil
}

// Cascade runs the rule verifier first; only its "no"/"unknown" go to Model (when set), and not
// its final rejections (empty or content-free answers, hedges naming several candidates,
// negated mentions of the gold), which a model must not overturn. Every verdict records the
// deciding layer and why.
type Cascade struct {
	Rules RuleVerifier
	Model Judge // nil: rules only
}

func (c *Cascade) Name() string { return "cascade" }

func (c *Cascade) Judge(ctx context.Context, question, gold, answer string) (Verdict, error) {
	res, v, decided := c.rulesFirst(question, gold, answer)
	if decided {
		return v, nil
	}
	v, err := c.Model.Judge(ctx, question, gold, answer)
	if err != nil {
		return v, err
	}
	return cascadeModelVerdict(res, v), nil
}

// rulesFirst is the rule layer's part of a cascade verdict: decided (the verdict) when the rules
// accept or finally reject the answer, or when there is no model layer.
func (c *Cascade) rulesFirst(question, gold, answer string) (Result, Verdict, bool) {
	res := c.Rules.Check(question, gold, answer)
	if res.Outcome == Yes {
		return res, Verdict{Correct: true, Layer: "rule", Reason: res.Type + ": " + res.Reason}, true
	}
	if c.Model == nil || res.Final {
		// a final rejection (empty answer, hedge, negated gold) is not put to the model
		return res, Verdict{Correct: false, Layer: "rule", Reason: res.Outcome.String() + ": " + res.Type + ": " + res.Reason}, true
	}
	return res, Verdict{}, false
}

func cascadeModelVerdict(res Result, v Verdict) Verdict {
	v.Reason = "rules said " + res.Outcome.String() + " (" + res.Reason + "); " + v.Reason
	return v
}
