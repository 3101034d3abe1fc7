package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/greason/greason/model/tokenizer"
)

const tokTestdata = "../../model/tokenizer/testdata"

type edgeCase struct {
	Text string `json:"text"`
	IDs  []int  `json:"ids"`
}

func edgeGolden(t *testing.T) []edgeCase {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(tokTestdata, "edge_golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []edgeCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 1500 {
		t.Fatalf("only %d golden cases", len(cases))
	}
	return cases
}

// runCLIStdin is runCLI with stdin; it returns stdout and stderr apart.
func runCLIStdin(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	resetFlags(rootCmd)
	var out, errOut bytes.Buffer
	rootCmd.SetIn(strings.NewReader(stdin))
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&errOut)
	rootCmd.SetArgs(args)
	defer rootCmd.SetIn(nil)
	err := rootCmd.Execute()
	return out.String(), errOut.String(), err
}

// TestTokenizeGolden: `greason tokenize` reproduces the golden ids of the JS reference
// tokenizer (model/tokenizer/testdata/edge_golden.json: 1,583 tricky texts) through a JSONL
// file, keeps every other field and the row order, and `greason detokenize` gives the texts
// back; plain stdin lines give one line of ids each.
func TestTokenizeGolden(t *testing.T) {
	cases := edgeGolden(t)
	dir := t.TempDir()
	in, out, back := filepath.Join(dir, "in.jsonl"), filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "back.jsonl")
	var b strings.Builder
	for i, c := range cases {
		text, _ := json.Marshal(c.Text)
		fmt.Fprintf(&b, "{\"row\": %d, \"text\": %s,  \"extra\": {\"k\": [1, 2.50]}}\n", i, text)
	}
	b.WriteString("\n") // a blank line is not a row
	if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := runCLIStdin(t, "", "tokenize", "--in", in, "--out", out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, fmt.Sprintf("%d rows", len(cases))) {
		t.Errorf("summary: %q", stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	n := 0
	for sc.Scan() {
		var row struct {
			Row     int             `json:"row"`
			Text    string          `json:"text"`
			Extra   json.RawMessage `json:"extra"`
			IDs     []int           `json:"ids"`
			NTokens int             `json:"n_tokens"`
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("output line %d: %v", n+1, err)
		}
		c := cases[n]
		if row.Row != n || row.Text != c.Text || string(row.Extra) != `{"k": [1, 2.50]}` {
			t.Fatalf("output line %d: row %d, text %q, extra %s: fields or order not kept", n+1, row.Row, row.Text, row.Extra)
		}
		if !slices.Equal(row.IDs, c.IDs) || row.NTokens != len(c.IDs) {
			t.Fatalf("text %q: ids %v (n_tokens %d), golden %v", c.Text, row.IDs, row.NTokens, c.IDs)
		}
		n++
	}
	if n != len(cases) {
		t.Fatalf("%d output rows for %d input rows", n, len(cases))
	}

	// detokenize gives the (NFC-normalised) texts back.
	if _, _, err := runCLIStdin(t, "", "detokenize", "--in", out, "--out", back, "--text-field", "decoded"); err != nil {
		t.Fatal(err)
	}
	bb, _ := os.ReadFile(back)
	lines := strings.Split(strings.TrimSuffix(string(bb), "\n"), "\n")
	if len(lines) != len(cases) {
		t.Fatalf("detokenize wrote %d rows", len(lines))
	}
	for i, l := range lines {
		var row struct {
			Decoded string `json:"decoded"`
		}
		json.Unmarshal([]byte(l), &row)
		if want := norm.NFC.String(cases[i].Text); row.Decoded != want {
			t.Fatalf("detokenize row %d: %q, want %q", i, row.Decoded, want)
		}
	}

	// Plain text on stdin: one line of ids per line, blank lines included.
	var plain []edgeCase
	var stdin strings.Builder
	for _, c := range cases {
		if !strings.ContainsAny(c.Text, "\r\n") && len(plain) < 400 {
			plain = append(plain, c)
			stdin.WriteString(c.Text + "\n")
			if len(plain) == 10 {
				plain = append(plain, edgeCase{Text: ""})
				stdin.WriteString("\n")
			}
		}
	}
	got, _, err := runCLIStdin(t, stdin.String(), "tokenize", "-q")
	if err != nil {
		t.Fatal(err)
	}
	outLines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(outLines) != len(plain) {
		t.Fatalf("%d lines of ids for %d lines of text", len(outLines), len(plain))
	}
	for i, l := range outLines {
		var ids []int
		for _, f := range strings.Fields(l) {
			id, _ := strconv.Atoi(f)
			ids = append(ids, id)
		}
		if !slices.Equal(ids, plain[i].IDs) {
			t.Fatalf("stdin line %d %q: %v, golden %v", i+1, plain[i].Text, ids, plain[i].IDs)
		}
	}
	// ... and detokenize reverses them.
	texts, _, err := runCLIStdin(t, got, "detokenize", "-q")
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(strings.TrimSuffix(texts, "\n"), "\n") {
		if want := norm.NFC.String(plain[i].Text); l != want {
			t.Fatalf("detokenize stdin line %d: %q, want %q", i+1, l, want)
		}
	}
}

// TestTokenizeChat: --chat renders messages with the checkpoint's own chat template (here the
// embedded Qwen3 tokenizer's) and the generation prompt: the ids are those of @huggingface/jinja's
// renderings of Qwen3's chat_template (model/chat/testdata/golden.json), with enable_thinking
// unset and, with --enable-thinking=false, false.
func TestTokenizeChat(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "model", "chat", "testdata", "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Cases []struct {
			Template       string            `json:"template"`
			AddGen         bool              `json:"add_generation_prompt"`
			EnableThinking *bool             `json:"enable_thinking"`
			Messages       []json.RawMessage `json:"messages"`
			Text           string            `json:"text"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &golden); err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.LoadQwen3()
	if err != nil {
		t.Fatal(err)
	}
	for _, thinking := range []string{"unset", "false"} {
		var in strings.Builder
		var want [][]int
		for _, g := range golden.Cases {
			if g.Template != "qwen3" || !g.AddGen || (thinking == "unset") != (g.EnableThinking == nil) || (g.EnableThinking != nil && *g.EnableThinking) {
				continue
			}
			msgs, _ := json.Marshal(g.Messages)
			fmt.Fprintf(&in, "{\"messages\":%s}\n", msgs)
			want = append(want, tok.Encode(g.Text))
		}
		if len(want) < 10 {
			t.Fatalf("only %d qwen3 renderings with a generation prompt", len(want))
		}
		// A text row counts as one user turn.
		in.WriteString(`{"text":"What is 2+2?"}` + "\n")
		prompt := "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"
		args := []string{"tokenize", "--chat", "-q"}
		if thinking == "false" {
			prompt += "<think>\n\n</think>\n\n"
			args = append(args, "--enable-thinking=false")
		}
		want = append(want, tok.Encode(prompt))
		path := filepath.Join(t.TempDir(), "chat.jsonl")
		os.WriteFile(path, []byte(in.String()), 0o644)
		out, _, err := runCLIStdin(t, "", append(args, "--in", path)...)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != len(want) {
			t.Fatalf("thinking %s: %d rows out, %d in", thinking, len(lines), len(want))
		}
		for i, l := range lines {
			var row struct{ IDs []int }
			json.Unmarshal([]byte(l), &row)
			if !slices.Equal(row.IDs, want[i]) {
				t.Fatalf("thinking %s: row %d: %v, want %v", thinking, i+1, row.IDs, want[i])
			}
		}
	}
	// --model DIR: that folder's own template; stdin lines are user turns.
	dir := t.TempDir()
	tj, _, err := tokenizer.Qwen3Files()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "tokenizer.json"), tj, 0o644)
	os.WriteFile(filepath.Join(dir, "chat_template.jinja"), []byte("{% for m in messages %}[{{ m.role }}] {{ m.content }}{% endfor %}{% if add_generation_prompt %} =>{% endif %}"), 0o644)
	out, _, err := runCLIStdin(t, "2+2?\n", "tokenize", "--chat", "--model", dir, "-q")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, id := range tok.Encode("[user] 2+2? =>") {
		ids = append(ids, strconv.Itoa(id))
	}
	if got, want := strings.TrimSpace(out), strings.Join(ids, " "); got != want {
		t.Fatalf("--model's chat_template.jinja: %q, want %q", got, want)
	}
}

func qwen3TokenizerJSON(t *testing.T) string {
	t.Helper()
	tj, _, err := tokenizer.Qwen3Files()
	if err != nil {
		t.Fatal(err)
	}
	return string(tj)
}

// TestTokenizeErrors: bad input names the file, the line and the field, with exit status 2;
// --model and --tokenizer load a tokenizer.json.
func TestTokenizeErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"tokenize", "--in", write("a.jsonl", "{\"text\":\"x\"}\n[1,2]\n")}, "a.jsonl: line 2: not a JSON object"},
		{[]string{"tokenize", "--in", write("b.jsonl", "{\"text\":\"x\"}\n\n{\"txt\":\"y\"}\n")}, `b.jsonl: line 3: missing field "text"`},
		{[]string{"tokenize", "--in", write("c.jsonl", "{\"text\":5}\n")}, `c.jsonl: line 1: field "text": want a string, got a number`},
		{[]string{"tokenize", "--in", write("d.jsonl", "{\"text\":\"x\",\"ids\":[]}\n")}, `d.jsonl: line 1: field "ids" is already there`},
		{[]string{"tokenize", "--chat", "--in", write("e.jsonl", "{\"messages\":[{\"role\":\"user\"}]}\n")}, `e.jsonl: line 1: field "messages"[0]: missing role or content`},
		{[]string{"detokenize", "--in", write("f.jsonl", "{\"ids\":[1,999999]}\n")}, `f.jsonl: line 1: field "ids"[1]: 999999 outside the vocabulary`},
		{[]string{"detokenize", "--in", write("g.jsonl", "{\"ids\":\"12\"}\n")}, `g.jsonl: line 1: field "ids": want a list of integer ids`},
		{[]string{"tokenize", "--model", dir}, "no tokenizer.json"},
		{[]string{"tokenize", "--chat", "--tokenizer", write("tok/tokenizer.json", qwen3TokenizerJSON(t))}, "has none (no tokenizer_config.json, no chat_template.jinja)"},
		{[]string{"tokenize", "--enable-thinking=false"}, "--enable-thinking needs --chat"},
		{[]string{"tokenize", "--model", dir, "--tokenizer", "x.json"}, "not both"},
	}
	for _, c := range cases {
		_, _, err := runCLIStdin(t, "", c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) || exitCode(err) != 2 {
			t.Errorf("%v: want exit 2 and %q, got %v", c.args, c.want, err)
		}
	}
	if _, _, err := runCLIStdin(t, "12 abc\n", "detokenize"); err == nil || !strings.Contains(err.Error(), `stdin: line 1: id 2: "abc" is not an integer`) {
		t.Errorf("stdin: %v", err)
	}
	// --tokenizer FILE and --model DIR (DIR/tokenizer.json) give the embedded tokenizer's ids.
	gz, err := os.ReadFile("../../model/tokenizer/data/qwen3_tokenizer.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	model := filepath.Join(dir, "model")
	os.MkdirAll(model, 0o755)
	os.WriteFile(filepath.Join(model, "tokenizer.json"), plain, 0o644)
	for _, args := range [][]string{{"--model", model}, {"--tokenizer", filepath.Join(model, "tokenizer.json")}} {
		out, _, err := runCLIStdin(t, "Hello world\n", append([]string{"tokenize", "-q"}, args...)...)
		if err != nil || out != "9707 1879\n" {
			t.Errorf("%v: %q, %v", args, out, err)
		}
	}
}
