package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/greason/greason/internal/atomicfile"
	"github.com/greason/greason/internal/parallel"
	"github.com/greason/greason/model/chat"
	"github.com/greason/greason/model/tokenizer"
)

// tokFlags are the flags shared by tokenize and detokenize.
type tokFlags struct {
	model, tokPath, in, out, field, outField string
	chat, skipSpecial, quiet                 bool
	enableThinking                           bool // --enable-thinking, passed only when given
	thinkingSet                              bool
}

func init() {
	var tf, df tokFlags // tokenize's and detokenize's
	tok := &cobra.Command{
		Use:   "tokenize [--model DIR | --tokenizer FILE] [--chat] [--in FILE.jsonl] [--out OUT.jsonl]",
		Short: "Token ids and counts of a JSONL dataset (or of stdin lines) with the Qwen3 tokenizer or a model's",
		Long: `tokenize reads --in FILE.jsonl and writes each row back, in input order and with its
other fields untouched, with "ids" (the token ids of its "text" field, --field to read another)
and "n_tokens" added. Without --in it reads plain text from stdin and prints one line of ids
(space-separated) per input line. A summary (rows, tokens, mean and max per row) goes to stderr.

The tokenizer is the embedded Qwen3 one (Qwen2.5 and Qwen3 share the vocabulary), or
--model DIR's tokenizer.json, or --tokenizer FILE. Special tokens written in the text
("<|im_end|>") become their single ids, as in Hugging Face tokenizers.
--chat counts what a chat request costs: a row's "messages" ([{role, content}]) or its text as one
user turn, rendered with the checkpoint's own chat template (--model DIR's, or that of the
--tokenizer file's folder, or the embedded Qwen3 tokenizer's tokenizer_config.json) and the
assistant generation prompt, as apply_chat_template does. A folder without a chat template is an
error. --enable-thinking=false passes enable_thinking to the template (Qwen3: no-thinking prompt).`,
		Example: `  greason tokenize --in data/export/dataset.jsonl --field question --out /tmp/q.jsonl
  echo "What is 2+2?" | greason tokenize
  greason tokenize --chat --model models/Qwen/Qwen3-0.6B --in prompts.jsonl --out counted.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runTokenize(cmd, tf, false) },
	}
	detok := &cobra.Command{
		Use:   "detokenize [--model DIR | --tokenizer FILE] [--in FILE.jsonl] [--out OUT.jsonl]",
		Short: "Text of token ids: the reverse of tokenize",
		Long: `detokenize reads --in FILE.jsonl and writes each row back with "text" (--text-field to name
it otherwise) decoded from its "ids" field (--field to read another), in input order. Without
--in it reads lines of space-separated ids from stdin and prints one line of text per line
(a decoded newline then breaks the line correspondence: use JSONL for such texts).
Special tokens are kept unless --skip-special; bytes of a character cut off at the end become
U+FFFD, as in Hugging Face's decode.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runTokenize(cmd, df, true) },
	}
	for c, tf := range map[*cobra.Command]*tokFlags{tok: &tf, detok: &df} {
		f := c.Flags()
		f.StringVar(&tf.model, "model", "", "model directory whose tokenizer.json to use (default: the embedded Qwen3 tokenizer)")
		f.StringVar(&tf.tokPath, "tokenizer", "", "tokenizer.json path (instead of --model)")
		f.StringVar(&tf.in, "in", "", "input JSONL (default: plain lines on stdin)")
		f.StringVar(&tf.out, "out", "", "output JSONL, written atomically (default: stdout)")
		f.BoolVarP(&tf.quiet, "quiet", "q", false, "no progress or summary on stderr")
	}
	tok.Flags().StringVar(&tf.field, "field", "text", "field holding the text")
	tok.Flags().BoolVar(&tf.chat, "chat", false, `render "messages" (or the text as a user turn) with the checkpoint's chat template and generation prompt`)
	tok.Flags().BoolVar(&tf.enableThinking, "enable-thinking", true, "with --chat: pass enable_thinking to the template (only when this flag is given)")
	tok.PreRun = func(cmd *cobra.Command, _ []string) { tf.thinkingSet = cmd.Flags().Changed("enable-thinking") }
	detok.Flags().StringVar(&df.field, "field", "ids", "field holding the ids")
	detok.Flags().StringVar(&df.outField, "text-field", "text", "field to write the text to")
	detok.Flags().BoolVar(&df.skipSpecial, "skip-special", false, "drop special tokens (<|im_start|>, ...) from the text")
	rootCmd.AddCommand(tok, detok)
}

// loadTokenizerFlag returns the tokenizer --model / --tokenizer name, else the embedded Qwen3.
func loadTokenizerFlag(model, path string) (*tokenizer.Tokenizer, error) {
	switch {
	case model != "" && path != "":
		return nil, asUserError(errors.New("give --model or --tokenizer, not both"))
	case model != "":
		p := filepath.Join(model, "tokenizer.json")
		if _, err := os.Stat(p); err != nil {
			return nil, asUserError(fmt.Errorf("--model %s: no tokenizer.json in it (%v); leave --model out for the embedded Qwen3 tokenizer", model, err))
		}
		return tokenizer.Load(p)
	case path != "":
		return tokenizer.Load(path)
	}
	return tokenizer.LoadQwen3()
}

// chatRender is --chat's template and options.
type chatRender struct {
	tpl  *chat.Template
	opts chat.Options
}

func (c *chatRender) render(msgs []chat.Message) (string, error) { return c.tpl.Render(msgs, c.opts) }

// loadChatFlag returns the chat template that goes with loadTokenizerFlag's tokenizer: the
// --model folder's, the --tokenizer file's folder's, else the embedded Qwen3 tokenizer_config.json's.
func loadChatFlag(model, path string) (*chat.Template, error) {
	var tpl *chat.Template
	var err error
	switch {
	case model != "":
		tpl, err = chat.Load(model)
	case path != "":
		tpl, err = chat.Load(filepath.Dir(path))
	default:
		tpl, err = chat.ParseConfig("embedded Qwen3 tokenizer_config.json", tokenizer.Qwen3Config(), "")
	}
	if err != nil {
		return nil, asUserError(err)
	}
	return tpl, nil
}

func runTokenize(cmd *cobra.Command, tf tokFlags, reverse bool) error {
	tok, err := loadTokenizerFlag(tf.model, tf.tokPath)
	if err != nil {
		return err
	}
	if tf.thinkingSet && !tf.chat {
		return asUserError(errors.New("--enable-thinking needs --chat"))
	}
	var cr *chatRender
	if tf.chat && !reverse {
		tpl, err := loadChatFlag(tf.model, tf.tokPath)
		if err != nil {
			return err
		}
		cr = &chatRender{tpl: tpl, opts: chat.Options{AddGenerationPrompt: true}}
		if tf.thinkingSet {
			cr.opts.EnableThinking = &tf.enableThinking
		}
	}
	name, in := "stdin", cmd.InOrStdin()
	var size int64
	if tf.in != "" {
		f, err := os.Open(tf.in)
		if err != nil {
			return err
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil {
			size = st.Size()
		}
		name, in = tf.in, f
	}
	conv := func(line []byte) ([]byte, int, error) {
		if tf.in == "" {
			return plainLine(tok, cr, tf, reverse, line)
		}
		return jsonLine(tok, cr, tf, reverse, line)
	}
	var progress io.Writer = io.Discard
	if !tf.quiet && tf.in != "" {
		progress = cmd.ErrOrStderr()
	}
	start := time.Now()
	var st tokStats
	write := func(w io.Writer) error {
		var err error
		st, err = convertLines(in, name, size, tf.in != "", w, progress, conv)
		return err
	}
	if tf.out != "" {
		err = atomicfile.Write(tf.out, write)
	} else {
		bw := bufio.NewWriter(cmd.OutOrStdout())
		err = write(bw)
		if ferr := bw.Flush(); err == nil {
			err = ferr
		}
	}
	if err != nil {
		return err
	}
	if !tf.quiet {
		mean := 0.0
		if st.rows > 0 {
			mean = float64(st.tokens) / float64(st.rows)
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "%s: %d rows, %d tokens (mean %.1f, max %d per row) in %s\n",
			name, st.rows, st.tokens, mean, st.max, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

type tokStats struct{ rows, tokens, max int }

// convertLines converts the lines of r in batches on all cores, writing them in input order.
// With jsonl, blank lines are not rows: they are skipped, as everywhere JSONL is read here;
// plain text keeps one output line per input line, blank ones included.
func convertLines(r io.Reader, name string, size int64, jsonl bool, w io.Writer, progress io.Writer,
	conv func([]byte) ([]byte, int, error)) (tokStats, error) {
	var st tokStats
	if size <= 0 {
		size = -1
	}
	bar := progressbar.NewOptions64(size, progressbar.OptionSetWriter(progress), progressbar.OptionSetDescription("tokenize"),
		progressbar.OptionShowBytes(true), progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(progress) }))
	br := bufio.NewReaderSize(r, 1<<20)
	lineNo := 0
	const batch = 2048
	for eof := false; !eof; {
		var lines [][]byte
		var nums []int
		for len(lines) < batch {
			b, err := br.ReadBytes('\n')
			if len(b) > 0 {
				lineNo++
				bar.Add(len(b))
				if t := bytes.TrimRight(b, "\r\n"); !jsonl || len(bytes.TrimSpace(t)) > 0 {
					lines, nums = append(lines, t), append(nums, lineNo)
				}
			}
			if err == io.EOF {
				eof = true
				break
			}
			if err != nil {
				return st, fmt.Errorf("%s: line %d: %w", name, lineNo+1, err)
			}
		}
		type res struct {
			out []byte
			n   int
		}
		outs, err := parallel.Map(context.Background(), len(lines), runtime.NumCPU(), func(i int) (res, error) {
			out, n, err := conv(lines[i])
			if err != nil {
				return res{}, asUserError(fmt.Errorf("%s: line %d: %w", name, nums[i], err))
			}
			return res{out, n}, nil
		})
		if err != nil {
			return st, err
		}
		for _, o := range outs {
			if _, err := w.Write(append(o.out, '\n')); err != nil {
				return st, err
			}
			st.rows++
			st.tokens += o.n
			st.max = max(st.max, o.n)
		}
	}
	bar.Finish()
	return st, nil
}

// plainLine converts one stdin line: text → space-separated ids (with cr, of the line rendered
// as one user turn), or the reverse.
func plainLine(tok *tokenizer.Tokenizer, cr *chatRender, tf tokFlags, reverse bool, line []byte) ([]byte, int, error) {
	if !reverse {
		text := string(line)
		if cr != nil {
			var err error
			if text, err = cr.render([]chat.Message{{Role: "user", Content: text}}); err != nil {
				return nil, 0, err
			}
		}
		ids := tok.Encode(text)
		var b []byte
		for i, id := range ids {
			if i > 0 {
				b = append(b, ' ')
			}
			b = strconv.AppendInt(b, int64(id), 10)
		}
		return b, len(ids), nil
	}
	var ids []int
	for k, f := range strings.Fields(string(line)) {
		id, err := strconv.Atoi(f)
		if err != nil {
			return nil, 0, fmt.Errorf("id %d: %q is not an integer", k+1, f)
		}
		if id < 0 || id >= tok.VocabSize() {
			return nil, 0, fmt.Errorf("id %d: %d outside the vocabulary [0, %d)", k+1, id, tok.VocabSize())
		}
		ids = append(ids, id)
	}
	return []byte(tok.Decode(ids, tf.skipSpecial)), len(ids), nil
}

// jsonLine converts one JSONL row, appending the new fields to the object as written (its
// other fields, their order and formatting are kept); cr renders it as a chat (--chat).
func jsonLine(tok *tokenizer.Tokenizer, cr *chatRender, tf tokFlags, reverse bool, line []byte) ([]byte, int, error) {
	line = bytes.TrimSpace(line)
	var row map[string]json.RawMessage
	if err := json.Unmarshal(line, &row); err != nil || row == nil {
		return nil, 0, fmt.Errorf("not a JSON object: %v", err)
	}
	add := func(fields ...string) ([]byte, error) {
		out := append([]byte(nil), line[:len(line)-1]...) // drop the closing brace
		if len(row) > 0 {
			out = append(out, ',')
		}
		for i := 0; i < len(fields); i += 2 {
			if _, ok := row[fields[i]]; ok {
				return nil, fmt.Errorf("field %q is already there (it would be overwritten)", fields[i])
			}
			if i > 0 {
				out = append(out, ',')
			}
			k, _ := json.Marshal(fields[i])
			out = append(append(append(out, k...), ':'), fields[i+1]...)
		}
		return append(out, '}'), nil
	}
	if reverse {
		raw, ok := row[tf.field]
		if !ok {
			return nil, 0, fmt.Errorf("missing field %q", tf.field)
		}
		var ids []int
		if err := json.Unmarshal(raw, &ids); err != nil {
			return nil, 0, fmt.Errorf("field %q: want a list of integer ids: %v", tf.field, err)
		}
		for k, id := range ids {
			if id < 0 || id >= tok.VocabSize() {
				return nil, 0, fmt.Errorf("field %q[%d]: %d outside the vocabulary [0, %d)", tf.field, k, id, tok.VocabSize())
			}
		}
		text, _ := json.Marshal(tok.Decode(ids, tf.skipSpecial))
		out, err := add(tf.outField, string(text))
		return out, len(ids), err
	}
	var text string
	var msgs []chat.Message
	rawMsgs, hasMsgs := row["messages"]
	switch {
	case cr != nil && hasMsgs:
		var ms []struct {
			Role      *string `json:"role"`
			Content   *string `json:"content"`
			Reasoning string  `json:"reasoning_content"`
		}
		if err := json.Unmarshal(rawMsgs, &ms); err != nil {
			return nil, 0, fmt.Errorf(`field "messages": want a list of {role, content}: %v`, err)
		}
		for k, m := range ms {
			if m.Role == nil || m.Content == nil {
				return nil, 0, fmt.Errorf(`field "messages"[%d]: missing role or content`, k)
			}
			msgs = append(msgs, chat.Message{Role: *m.Role, Content: *m.Content, Reasoning: m.Reasoning})
		}
	default:
		raw, ok := row[tf.field]
		if !ok {
			if tf.chat {
				return nil, 0, fmt.Errorf(`missing field "messages" or %q`, tf.field)
			}
			return nil, 0, fmt.Errorf("missing field %q", tf.field)
		}
		if err := json.Unmarshal(raw, &text); err != nil {
			return nil, 0, fmt.Errorf("field %q: want a string, got %s", tf.field, jsonType(raw))
		}
		if cr != nil {
			msgs = []chat.Message{{Role: "user", Content: text}}
		}
	}
	if cr != nil {
		var err error
		if text, err = cr.render(msgs); err != nil {
			return nil, 0, err
		}
	}
	ids := tok.Encode(text)
	idsJSON, _ := json.Marshal(ids)
	out, err := add("ids", string(idsJSON), "n_tokens", strconv.Itoa(len(ids)))
	return out, len(ids), err
}

func jsonType(raw json.RawMessage) string {
	switch t := bytes.TrimSpace(raw); {
	case len(t) == 0:
		return "nothing"
	case t[0] == '"':
		return "a string"
	case t[0] == '{':
		return "an object"
	case t[0] == '[':
		return "a list"
	case string(t) == "null":
		return "null"
	case string(t) == "true" || string(t) == "false":
		return "a boolean"
	}
	return "a number"
}
