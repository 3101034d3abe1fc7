package chat

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ardanlabs/jinja"
)

// golden is testdata/golden.json, written by tools/chatgold/gold.mjs with @huggingface/jinja and
// checked against Python's Jinja2 by tools/chatgold/jinja2_check.py.
type golden struct {
	Generator string            `json:"generator"`
	Templates map[string]string `json:"templates"` // name -> sha256 of testdata/templates/NAME.jinja
	Special   map[string]string `json:"special"`
	Cases     []struct {
		Template            string `json:"template"`
		Name                string `json:"name"`
		AddGenerationPrompt bool   `json:"add_generation_prompt"`
		EnableThinking      *bool  `json:"enable_thinking"`
		Messages            []struct {
			Role             string  `json:"role"`
			Content          string  `json:"content"`
			ReasoningContent *string `json:"reasoning_content"`
		} `json:"messages"`
		Text string `json:"text"`
	} `json:"cases"`
	Engine []struct {
		Name     string          `json:"name"`
		Template string          `json:"template"`
		Context  json.RawMessage `json:"context"`
		Text     *string         `json:"text"`
		Error    *string         `json:"error"`
	} `json:"engine"`
}

func readGolden(t *testing.T) *golden {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	return &g
}

func readTemplate(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "templates", name+".jinja"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestGoldenTemplates renders every conversation of the golden file with the checkpoints' own
// templates (Qwen3, Qwen2.5, Qwen2.5-Math) and requires byte equality with @huggingface/jinja.
func TestGoldenTemplates(t *testing.T) {
	g := readGolden(t)
	for _, want := range []string{"qwen3", "qwen2.5", "qwen2.5-math"} {
		if _, ok := g.Templates[want]; !ok {
			t.Errorf("golden has no renderings of %s", want)
		}
	}
	tpls := map[string]*Template{}
	for name, sum := range g.Templates {
		src := readTemplate(t, name)
		h := sha256.Sum256([]byte(src))
		if hex.EncodeToString(h[:]) != sum {
			t.Fatalf("testdata/templates/%s.jinja changed since the goldens were written: run just chat-golden", name)
		}
		tpl, err := Parse(src, g.Special)
		if err != nil {
			t.Fatal(err)
		}
		tpls[name] = tpl
	}
	if len(g.Cases) < 200 {
		t.Fatalf("only %d golden cases", len(g.Cases))
	}
	counts := map[string]int{}
	for _, c := range g.Cases {
		msgs := make([]Message, len(c.Messages))
		for i, m := range c.Messages {
			msgs[i] = Message{Role: m.Role, Content: m.Content}
			if m.ReasoningContent != nil {
				if *m.ReasoningContent == "" {
					t.Fatalf("%s: an empty reasoning_content cannot be expressed by Message", c.Name)
				}
				msgs[i].Reasoning = *m.ReasoningContent
			}
		}
		got, err := tpls[c.Template].Render(msgs, Options{AddGenerationPrompt: c.AddGenerationPrompt, EnableThinking: c.EnableThinking})
		think := "unset"
		if c.EnableThinking != nil {
			think = fmt.Sprint(*c.EnableThinking)
		}
		if err != nil {
			t.Errorf("%s/%s gen=%v thinking=%s: %v", c.Template, c.Name, c.AddGenerationPrompt, think, err)
			continue
		}
		if got != c.Text {
			t.Errorf("%s/%s gen=%v thinking=%s:\n got %q\nwant %q", c.Template, c.Name, c.AddGenerationPrompt, think, got, c.Text)
		}
		counts[c.Template]++
	}
	t.Logf("%s: %v renderings equal", g.Generator, counts)
}

// TestGoldenEngine renders the golden file's feature templates (trim/lstrip blocks, loop
// controls, namespace, slices, string methods, tojson, tests, raise_exception, ...) with their
// contexts, dict key order kept as in the JSON, as Python dicts keep it.
func TestGoldenEngine(t *testing.T) {
	g := readGolden(t)
	if len(g.Engine) < 30 {
		t.Fatalf("only %d engine cases", len(g.Engine))
	}
	for _, e := range g.Engine {
		got, err := renderContext(e.Name, e.Template, e.Context)
		switch {
		case e.Error != nil && err == nil:
			t.Errorf("%s: rendered %q, want an error like %q", e.Name, got, *e.Error)
		case e.Error != nil && !strings.Contains(err.Error(), *e.Error):
			t.Errorf("%s: error %q does not carry the template's message %q", e.Name, err, *e.Error)
		case e.Error == nil && err != nil:
			t.Errorf("%s: %v", e.Name, err)
		case e.Error == nil && got != *e.Text:
			t.Errorf("%s:\n got %q\nwant %q", e.Name, got, *e.Text)
		}
	}
}

// TestJinja2Golden renders the cases where @huggingface/jinja departs from Python's Jinja2, the
// engine transformers runs (testdata/jinja2_golden.json, tools/chatgold/jinja2_gold.py), and
// requires Jinja2's output (or an error where Jinja2 raises).
func TestJinja2Golden(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "jinja2_golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Generator string `json:"generator"`
		Cases     []struct {
			Name     string          `json:"name"`
			Template string          `json:"template"`
			Context  json.RawMessage `json:"context"`
			Text     *string         `json:"text"`
			Error    *string         `json:"error"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Cases) < 10 {
		t.Fatalf("only %d cases", len(g.Cases))
	}
	for _, c := range g.Cases {
		got, err := renderContext(c.Name, c.Template, c.Context)
		if why, ok := knownJinja2Differences[c.Name]; ok {
			if c.Error == nil || err != nil {
				t.Errorf("%s is listed as a known difference (%s) but now agrees with Jinja2: drop it from the list", c.Name, why)
			}
			continue
		}
		switch {
		case c.Error != nil && err == nil:
			t.Errorf("%s: rendered %q, Jinja2 raises %s", c.Name, got, *c.Error)
		case c.Error == nil && err != nil:
			t.Errorf("%s: %v", c.Name, err)
		case c.Error == nil && got != *c.Text:
			t.Errorf("%s:\n got %q\nwant %q", c.Name, got, *c.Text)
		}
	}
}

// knownJinja2Differences are the cases where github.com/ardanlabs/jinja (v1.12.0) departs from
// Jinja2: it is lenient with undefined values, so an attribute of an undefined value, or
// undefined + string, renders as empty where Jinja2 raises UndefinedError. A template relying on
// these fails under transformers; the checkpoints' templates never do (TestGoldenTemplates).
var knownJinja2Differences = map[string]string{
	"undefined_chain":    "attribute of an undefined attribute",
	"undefined_var_attr": "attribute of an undefined variable",
	"undefined_plus":     "string + undefined",
}

// renderContext compiles src and renders it over a JSON object of variables.
func renderContext(name, src string, context json.RawMessage) (string, error) {
	ctx, err := orderedValue(context)
	if err != nil || !ctx.IsDict() {
		return "", fmt.Errorf("%s: context: %v", name, err)
	}
	data := map[string]jinja.Value{}
	for _, k := range ctx.AsDict().OrderedKeys() {
		data[k], _ = ctx.AsDict().Get(k)
	}
	tpl, err := compile(name, src, nil)
	if err != nil {
		return "", err
	}
	return tpl.render(data)
}

// orderedValue decodes JSON into engine values, keeping object keys in their written order.
func orderedValue(raw json.RawMessage) (jinja.Value, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return jinja.Undefined(), err
	}
	if _, err := dec.Token(); err != io.EOF {
		return jinja.Undefined(), fmt.Errorf("trailing data after the JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (jinja.Value, error) {
	tok, err := dec.Token()
	if err != nil {
		return jinja.Undefined(), err
	}
	switch x := tok.(type) {
	case json.Delim:
		switch x {
		case '[':
			var items []jinja.Value
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return jinja.Undefined(), err
				}
				items = append(items, v)
			}
			_, err := dec.Token()
			return jinja.NewList(items), err
		case '{':
			d := jinja.NewDict()
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return jinja.Undefined(), err
				}
				v, err := decodeValue(dec)
				if err != nil {
					return jinja.Undefined(), err
				}
				d.AsDict().Set(k.(string), v)
			}
			_, err := dec.Token()
			return d, err
		}
		return jinja.Undefined(), fmt.Errorf("unexpected %v", x)
	default:
		return jinja.FromGoValue(x), nil
	}
}

// TestStrftime compares our strftime with Python's datetime.strftime at fixed naive datetimes
// (testdata/strftime_golden.json, tools/chatgold/strftime_gold.py).
func TestStrftime(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "strftime_golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct{ Time, Format, Text string }
	if err := json.Unmarshal(raw, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) < 50 {
		t.Fatalf("only %d strftime rows", len(rows))
	}
	for _, r := range rows {
		tm, err := time.ParseInLocation("2006-01-02T15:04:05.999999", r.Time, time.Local)
		if err != nil {
			t.Fatal(err)
		}
		got, err := strftime(tm, r.Format)
		if err != nil {
			t.Errorf("%s %q: %v", r.Time, r.Format, err)
		} else if got != r.Text {
			t.Errorf("%s %q: got %q want %q", r.Time, r.Format, got, r.Text)
		}
	}
	if _, err := strftime(time.Now(), "%Q"); err == nil || !strings.Contains(err.Error(), "%Q") {
		t.Errorf("unknown directive: err = %v", err)
	}
	// Through a template: today's date, as the template sees it.
	tpl, err := Parse("{{ strftime_now('%Y-%m-%d') }}", nil)
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().Format("2006-01-02")
	got, err := tpl.Render([]Message{{Role: "user", Content: "x"}}, Options{})
	after := time.Now().Format("2006-01-02")
	if err != nil || (got != before && got != after) {
		t.Errorf("strftime_now = %q, %v; want %s", got, err, before)
	}
}
