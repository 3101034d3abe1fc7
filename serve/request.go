package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"

	"github.com/greason/greason/model/chat"
	"github.com/greason/greason/model/qwen"
)

// apiError is an OpenAI-style error response.
type apiError struct {
	status  int
	message string
	param   string
}

func (e *apiError) Error() string { return e.message }

func badRequest(param, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, message: fmt.Sprintf(format, args...), param: param}
}

// Request fields. Each endpoint accepts the fields it implements; a field it lists as neutral
// is accepted only with a value that changes nothing (its default), anything else is a 400
// naming the field, so a client never gets silently different behaviour.
var (
	commonFields = []string{"model", "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k", "n",
		"seed", "stop", "stop_token_ids", "stream", "stream_options", "logprobs"}
	completionFields = []string{"prompt"}
	chatFields       = []string{"messages", "top_logprobs", "chat_template_kwargs"}
	// neutral fields: accepted with their default value only.
	neutral = map[string]struct {
		ok   func(json.RawMessage) bool
		want string
	}{
		"user":                {func(json.RawMessage) bool { return true }, ""}, // an end-user id: changes nothing
		"presence_penalty":    {isZero, "0"},
		"frequency_penalty":   {isZero, "0"},
		"repetition_penalty":  {isOne, "1"},
		"logit_bias":          {isEmptyObject, "{}"},
		"best_of":             {isOne, "1"},
		"echo":                {isFalse, "false"},
		"suffix":              {isEmptyString, `""`},
		"tools":               {isEmptyList, "[]"},
		"tool_choice":         {isNone, `"none"`},
		"parallel_tool_calls": {func(json.RawMessage) bool { return true }, ""}, // only matters with tools
		"response_format":     {isTextFormat, `{"type":"text"}`},
	}
)

func isNull(v json.RawMessage) bool { return len(v) == 0 || string(v) == "null" }
func isZero(v json.RawMessage) bool {
	var f float64
	return isNull(v) || (json.Unmarshal(v, &f) == nil && f == 0)
}
func isOne(v json.RawMessage) bool {
	var f float64
	return isNull(v) || (json.Unmarshal(v, &f) == nil && f == 1)
}
func isFalse(v json.RawMessage) bool { return isNull(v) || string(v) == "false" }
func isEmptyString(v json.RawMessage) bool {
	return isNull(v) || string(v) == `""`
}
func isEmptyObject(v json.RawMessage) bool {
	var m map[string]any
	return isNull(v) || (json.Unmarshal(v, &m) == nil && len(m) == 0)
}
func isEmptyList(v json.RawMessage) bool {
	var l []any
	return isNull(v) || (json.Unmarshal(v, &l) == nil && len(l) == 0)
}
func isNone(v json.RawMessage) bool { return isNull(v) || string(v) == `"none"` }
func isTextFormat(v json.RawMessage) bool {
	var f struct {
		Type string `json:"type"`
	}
	return isNull(v) || (json.Unmarshal(v, &f) == nil && f.Type == "text")
}

// decodeBody reads a JSON object, checks its fields against the endpoint's, decodes it into v
// and returns the body.
func (s *Server) decodeBody(w http.ResponseWriter, r *http.Request, v any, fields ...[]string) (json.RawMessage, error) {
	if r.Method != http.MethodPost {
		return nil, &apiError{status: http.StatusMethodNotAllowed, message: fmt.Sprintf("use POST %s", r.URL.Path)}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &apiError{status: http.StatusRequestEntityTooLarge, message: fmt.Sprintf("request body larger than %d bytes", s.opts.MaxBodyBytes)}
		}
		return nil, badRequest("", "reading body: %v", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, badRequest("", "request body is not a valid JSON object: %v", err)
	}
	known := map[string]bool{}
	for _, fs := range fields {
		for _, f := range fs {
			known[f] = true
		}
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if known[k] {
			continue
		}
		if n, ok := neutral[k]; ok {
			if !n.ok(raw[k]) {
				return nil, badRequest(k, "%s=%s is not supported by greason serve (only %s)", k, raw[k], n.want)
			}
			continue
		}
		var names []string
		for f := range known {
			names = append(names, f)
		}
		sort.Strings(names)
		return nil, badRequest(k, "unknown field %q (this endpoint takes %s)", k, strings.Join(names, ", "))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, badRequest(te.Field, "field %s: got a JSON %s, want %s", te.Field, te.Value, jsonKind(te.Type.String()))
		}
		return nil, badRequest("", "request body: %v", err)
	}
	return body, nil
}

func jsonKind(goType string) string {
	switch {
	case strings.Contains(goType, "int"):
		return "an integer"
	case strings.Contains(goType, "float"):
		return "a number"
	case goType == "bool" || goType == "*bool":
		return "a boolean"
	case strings.Contains(goType, "string"):
		return "a string"
	}
	return goType
}

// common holds the sampling fields shared by both endpoints.
type common struct {
	Model         string          `json:"model"`
	MaxTokens     *int            `json:"max_tokens"`
	MaxCompl      *int            `json:"max_completion_tokens"`
	Temperature   *float64        `json:"temperature"`
	TopP          *float64        `json:"top_p"`
	TopK          *int            `json:"top_k"`
	N             *int            `json:"n"`
	Seed          *int64          `json:"seed"`
	Stop          json.RawMessage `json:"stop"`
	StopTokenIDs  []int           `json:"stop_token_ids"`
	Stream        bool            `json:"stream"`
	StreamOptions *struct {
		IncludeUsage *bool `json:"include_usage"`
	} `json:"stream_options"`
}

// plan is a validated request: what to generate and how to answer.
type plan struct {
	req          qwen.Request
	promptTokens int
	stream       bool
	includeUsage bool
	logprobs     bool
	maxStopBytes int // longest stop string (streamed text is held back by this minus one)
}

// check validates the sampling fields (raw is the whole body) for a prompt of token ids.
func (s *Server) check(c *common, raw json.RawMessage, ids []int) (*plan, error) {
	var p qwen.SampleParams
	if c.Model != "" && c.Model != s.opts.ModelName {
		return nil, &apiError{status: http.StatusNotFound, message: fmt.Sprintf("model %q not found (this server serves %q)", c.Model, s.opts.ModelName), param: "model"}
	}
	pl := &plan{promptTokens: len(ids), stream: c.Stream}
	if c.StreamOptions != nil {
		if !c.Stream {
			return nil, badRequest("stream_options", "stream_options needs stream=true")
		}
		if err := onlyKeys(raw, "stream_options", "include_usage"); err != nil {
			return nil, err
		}
		pl.includeUsage = c.StreamOptions.IncludeUsage != nil && *c.StreamOptions.IncludeUsage
	}
	ctxLen := s.m.Config.MaxPositionEmbeddings
	if c.MaxTokens != nil && c.MaxCompl != nil && *c.MaxTokens != *c.MaxCompl {
		return nil, badRequest("max_tokens", "max_tokens (%d) and max_completion_tokens (%d) differ: give one", *c.MaxTokens, *c.MaxCompl)
	}
	given := c.MaxTokens
	if given == nil {
		given = c.MaxCompl
	}
	if ctxLen > 0 && len(ids) >= ctxLen {
		return nil, badRequest("prompt", "the prompt is %d tokens but the model's context length is %d: nothing is left to generate", len(ids), ctxLen)
	}
	switch {
	case given == nil:
		p.MaxNewTokens = s.opts.DefaultMaxTokens
		if ctxLen > 0 {
			p.MaxNewTokens = min(p.MaxNewTokens, ctxLen-len(ids))
		}
	case *given < 1:
		return nil, badRequest("max_tokens", "max_tokens must be at least 1, got %d", *given)
	case ctxLen > 0 && len(ids)+*given > ctxLen:
		return nil, badRequest("max_tokens", "this model's context length is %d tokens, but %d were requested (%d in the prompt, %d in max_tokens): lower max_tokens to at most %d",
			ctxLen, len(ids)+*given, len(ids), *given, ctxLen-len(ids))
	default:
		p.MaxNewTokens = *given
	}
	p.Temperature = 1
	if c.Temperature != nil {
		p.Temperature = *c.Temperature
	}
	if p.Temperature < 0 || p.Temperature > 100 {
		return nil, badRequest("temperature", "temperature must be in [0, 100], got %g", p.Temperature)
	}
	if c.TopP != nil {
		if *c.TopP <= 0 || *c.TopP > 1 {
			return nil, badRequest("top_p", "top_p must be in (0, 1], got %g", *c.TopP)
		}
		p.TopP = *c.TopP
	}
	if c.TopK != nil {
		if *c.TopK < -1 {
			return nil, badRequest("top_k", "top_k must be >= -1 (-1 and 0 disable it), got %d", *c.TopK)
		}
		p.TopK = max(*c.TopK, 0)
	}
	n := 1
	if c.N != nil {
		n = *c.N
	}
	if n < 1 || n > s.opts.MaxN {
		return nil, badRequest("n", "n must be in [1, %d], got %d", s.opts.MaxN, n)
	}
	if c.Seed != nil {
		p.Seed = uint64(*c.Seed)
	} else {
		p.Seed = rand.Uint64()
	}
	if !isNull(c.Stop) {
		var one string
		if err := json.Unmarshal(c.Stop, &one); err == nil {
			p.StopStrings = []string{one}
		} else if err := json.Unmarshal(c.Stop, &p.StopStrings); err != nil {
			return nil, badRequest("stop", "stop must be a string or a list of strings")
		}
		if len(p.StopStrings) > 16 {
			return nil, badRequest("stop", "at most 16 stop strings, got %d", len(p.StopStrings))
		}
		for i, st := range p.StopStrings {
			if st == "" {
				return nil, badRequest("stop", "stop[%d] is empty", i)
			}
			pl.maxStopBytes = max(pl.maxStopBytes, len(st))
		}
	}
	for _, id := range c.StopTokenIDs {
		if id < 0 || id >= s.m.Config.VocabSize {
			return nil, badRequest("stop_token_ids", "token id %d outside the vocabulary [0, %d)", id, s.m.Config.VocabSize)
		}
	}
	p.StopTokens = append(append([]int(nil), c.StopTokenIDs...), s.stop...)
	pl.req = qwen.Request{Prompt: ids, N: n, Params: p}
	return pl, nil
}

// onlyKeys checks that the object field of raw has no keys but the given ones.
func onlyKeys(raw json.RawMessage, field string, keys ...string) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return badRequest(field, "%v", err)
	}
	var obj map[string]json.RawMessage
	if isNull(top[field]) {
		return nil
	}
	if err := json.Unmarshal(top[field], &obj); err != nil {
		return badRequest(field, "%s must be an object", field)
	}
	for k := range obj {
		found := false
		for _, want := range keys {
			found = found || k == want
		}
		if !found {
			return badRequest(field+"."+k, "%s.%s is not supported (only %s)", field, k, strings.Join(keys, ", "))
		}
	}
	return nil
}

// completionRequest is a /v1/completions body.
type completionRequest struct {
	common
	Prompt   json.RawMessage `json:"prompt"`
	Logprobs *int            `json:"logprobs"`
}

// promptIDs reads prompt: a string, a list of token ids, or a list of one of either.
func (s *Server) promptIDs(raw json.RawMessage) ([]int, error) {
	var text string
	if err := json.Unmarshal(raw, &text); err == nil {
		if text == "" {
			return nil, badRequest("prompt", "prompt is empty")
		}
		return s.tok.Encode(text), nil
	}
	var ids []int
	if err := json.Unmarshal(raw, &ids); err == nil && len(ids) > 0 {
		for _, id := range ids {
			if id < 0 || id >= s.m.Config.VocabSize {
				return nil, badRequest("prompt", "token id %d outside the vocabulary [0, %d)", id, s.m.Config.VocabSize)
			}
		}
		return ids, nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err == nil && len(list) > 1 {
		return nil, badRequest("prompt", "one prompt per request (got %d); send several requests, they are batched", len(list))
	}
	if len(list) == 1 {
		if err := json.Unmarshal(list[0], &text); err == nil || json.Unmarshal(list[0], &ids) == nil {
			return s.promptIDs(list[0])
		}
	}
	if isNull(raw) {
		return nil, badRequest("prompt", "prompt is required")
	}
	return nil, badRequest("prompt", "prompt must be a string or a list of token ids (or a list of one of either)")
}

// chatRequest is a /v1/chat/completions body.
type chatRequest struct {
	common
	Messages     []json.RawMessage `json:"messages"`
	Logprobs     *bool             `json:"logprobs"`
	TopLogprobs  *int              `json:"top_logprobs"`
	TemplateArgs *struct {
		EnableThinking *bool `json:"enable_thinking"`
	} `json:"chat_template_kwargs"`
}

// chatPrompt renders the messages with the checkpoint's chat template and the generation prompt.
func (s *Server) chatPrompt(req *chatRequest, raw json.RawMessage) ([]int, error) {
	if len(req.Messages) == 0 {
		return nil, badRequest("messages", "messages must be a non-empty list")
	}
	msgs := make([]chat.Message, len(req.Messages))
	for i, rm := range req.Messages {
		field := fmt.Sprintf("messages[%d]", i)
		var m map[string]json.RawMessage
		if err := json.Unmarshal(rm, &m); err != nil {
			return nil, badRequest(field, "%s must be an object with role and content", field)
		}
		for k := range m {
			if k != "role" && k != "content" && k != "reasoning_content" {
				return nil, badRequest(field+"."+k, "%s.%s is not supported (role, content, reasoning_content)", field, k)
			}
		}
		var role string
		if err := json.Unmarshal(m["role"], &role); err != nil {
			return nil, badRequest(field+".role", "%s.role must be a string", field)
		}
		switch role {
		case "system", "user", "assistant":
		default:
			return nil, badRequest(field+".role", "role %q is not supported (system, user, assistant)", role)
		}
		text, err := contentText(m["content"])
		if err != nil {
			return nil, badRequest(field+".content", "%s.content: %v", field, err)
		}
		msgs[i] = chat.Message{Role: role, Content: text}
		if r, ok := m["reasoning_content"]; ok && !isNull(r) {
			if err := json.Unmarshal(r, &msgs[i].Reasoning); err != nil {
				return nil, badRequest(field+".reasoning_content", "%s.reasoning_content must be a string", field)
			}
		}
	}
	opts := chat.Options{AddGenerationPrompt: true}
	if req.TemplateArgs != nil {
		if err := onlyKeys(raw, "chat_template_kwargs", "enable_thinking"); err != nil {
			return nil, err
		}
		opts.EnableThinking = req.TemplateArgs.EnableThinking
	}
	tpl, err := s.ChatTemplate()
	if err != nil {
		return nil, badRequest("messages", "this server has no chat template, so it serves /v1/completions only: %v", err)
	}
	text, err := tpl.Render(msgs, opts)
	if err != nil {
		// The template refused the conversation (raise_exception) or failed on it.
		return nil, badRequest("messages", "%v", err)
	}
	return s.tok.Encode(text), nil
}

// contentText accepts a string or a list of {"type":"text","text":...} parts.
func contentText(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", errors.New("content is required")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", errors.New("content must be a string or a list of text parts")
	}
	var sb strings.Builder
	for _, p := range parts {
		if p.Type != "text" {
			return "", fmt.Errorf("content part type %q is not supported (text only)", p.Type)
		}
		sb.WriteString(p.Text)
	}
	return sb.String(), nil
}
