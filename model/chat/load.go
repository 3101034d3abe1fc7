package chat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ardanlabs/jinja"
)

// DefaultName is the name of the template used when none is asked for.
const DefaultName = "default"

// specialTokenKeys are the special-token attributes transformers passes to the template
// (special_tokens_map) when they are set.
var specialTokenKeys = []string{"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}

// Load reads the default chat template of a checkpoint folder (see LoadNamed).
func Load(dir string) (*Template, error) { return LoadNamed(dir, "") }

// LoadNamed reads a checkpoint folder's chat template called name ("" = "default") the way
// transformers does:
//   - tokenizer_config.json's "chat_template": a string (the default template) or a list of
//     {"name", "template"} objects (named templates);
//   - chat_template.jinja beside it (the newer layout) replaces the default;
//   - additional_chat_templates/NAME.jinja adds or replaces the named template NAME;
//   - the special tokens of tokenizer_config.json that are set (bos_token, eos_token, unk_token,
//     sep_token, pad_token, cls_token, mask_token, as strings or {"content": ...} objects, and
//     the additional_special_tokens list) are passed to the template.
//
// A folder without any chat template, or without the named one, is an error naming the folder
// and what is missing: there is no built-in fallback.
func LoadNamed(dir, name string) (*Template, error) {
	if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("chat template: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("chat template: %s is not a folder", dir)
	}
	cfgPath := filepath.Join(dir, "tokenizer_config.json")
	var tc *tokenizerConfig
	raw, err := os.ReadFile(cfgPath)
	switch {
	case err == nil:
		if tc, err = parseConfig(cfgPath, raw); err != nil {
			return nil, err
		}
	case errors.Is(err, os.ErrNotExist):
		tc = &tokenizerConfig{templates: map[string]source{}, vars: map[string]jinja.Value{}, missing: true}
	default:
		return nil, fmt.Errorf("chat template: %w", err)
	}
	jinjaPath := filepath.Join(dir, "chat_template.jinja")
	if b, err := os.ReadFile(jinjaPath); err == nil {
		tc.templates[DefaultName] = source{text: string(b), origin: jinjaPath}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("chat template: %w", err)
	}
	extra := filepath.Join(dir, "additional_chat_templates")
	if ents, err := os.ReadDir(extra); err == nil {
		for _, e := range ents {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".jinja") {
				continue
			}
			p := filepath.Join(extra, e.Name())
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("chat template: %w", err)
			}
			tc.templates[strings.TrimSuffix(e.Name(), ".jinja")] = source{text: string(b), origin: p}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("chat template: %w", err)
	}
	if len(tc.templates) == 0 {
		what := cfgPath + ` has no "chat_template"`
		if tc.missing {
			what = "no tokenizer_config.json"
		}
		return nil, fmt.Errorf("chat template: %s has none (%s, no chat_template.jinja); greason has no built-in template: add the checkpoint's own tokenizer_config.json or chat_template.jinja", dir, what)
	}
	return tc.pick(dir, name)
}

// ParseConfig reads the chat template called name ("" = "default") and the special tokens from
// the bytes of a tokenizer_config.json; origin names it in errors (e.g. "embedded
// qwen3_tokenizer_config.json").
func ParseConfig(origin string, config []byte, name string) (*Template, error) {
	tc, err := parseConfig(origin, config)
	if err != nil {
		return nil, err
	}
	if len(tc.templates) == 0 {
		return nil, fmt.Errorf(`chat template: %s has no "chat_template"`, origin)
	}
	return tc.pick(origin, name)
}

type source struct{ text, origin string }

type tokenizerConfig struct {
	templates map[string]source
	vars      map[string]jinja.Value
	missing   bool // no tokenizer_config.json at all
}

func (tc *tokenizerConfig) pick(where, name string) (*Template, error) {
	if name == "" {
		name = DefaultName
	}
	s, ok := tc.templates[name]
	if !ok {
		names := make([]string, 0, len(tc.templates))
		for n := range tc.templates {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("chat template: %s has no template named %q (it has: %s)", where, name, strings.Join(names, ", "))
	}
	return compile(s.origin, s.text, tc.vars)
}

func parseConfig(origin string, raw []byte) (*tokenizerConfig, error) {
	var cfg map[string]json.RawMessage
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("chat template: %s: %w", origin, err)
	}
	if cfg == nil {
		return nil, fmt.Errorf("chat template: %s: not a JSON object", origin)
	}
	tc := &tokenizerConfig{templates: map[string]source{}, vars: map[string]jinja.Value{}}
	if ct, ok := cfg["chat_template"]; ok && !isNull(ct) {
		var s string
		var list []struct {
			Name     *string `json:"name"`
			Template *string `json:"template"`
		}
		switch {
		case json.Unmarshal(ct, &s) == nil:
			tc.templates[DefaultName] = source{text: s, origin: origin + " chat_template"}
		case json.Unmarshal(ct, &list) == nil:
			for i, e := range list {
				if e.Name == nil || e.Template == nil {
					return nil, fmt.Errorf(`chat template: %s: chat_template[%d] must be {"name": ..., "template": ...}`, origin, i)
				}
				if _, dup := tc.templates[*e.Name]; dup {
					return nil, fmt.Errorf("chat template: %s: chat_template[%d]: name %q appears twice", origin, i, *e.Name)
				}
				tc.templates[*e.Name] = source{text: *e.Template, origin: fmt.Sprintf("%s chat_template[%d] (%s)", origin, i, *e.Name)}
			}
		default:
			return nil, fmt.Errorf("chat template: %s: chat_template must be a string or a list of {name, template}", origin)
		}
	}
	for _, k := range specialTokenKeys {
		v, ok := cfg[k]
		if !ok || isNull(v) {
			continue
		}
		s, err := tokenContent(v)
		if err != nil {
			return nil, fmt.Errorf("chat template: %s: %s %v", origin, k, err)
		}
		tc.vars[k] = jinja.NewString(s)
	}
	if v, ok := cfg["additional_special_tokens"]; ok && !isNull(v) {
		var list []json.RawMessage
		if err := json.Unmarshal(v, &list); err != nil {
			return nil, fmt.Errorf("chat template: %s: additional_special_tokens must be a list", origin)
		}
		items := make([]jinja.Value, len(list))
		for i, e := range list {
			s, err := tokenContent(e)
			if err != nil {
				return nil, fmt.Errorf("chat template: %s: additional_special_tokens[%d] %v", origin, i, err)
			}
			items[i] = jinja.NewString(s)
		}
		tc.vars["additional_special_tokens"] = jinja.NewList(items)
	}
	return tc, nil
}

// tokenContent reads a special token written as a string or as an AddedToken object
// ({"content": "<|im_end|>", "lstrip": false, ...}).
func tokenContent(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var obj struct {
		Content *string `json:"content"`
	}
	if err := json.Unmarshal(raw, &obj); err == nil && obj.Content != nil {
		return *obj.Content, nil
	}
	return "", errors.New(`must be a string, null or an object with a string "content"`)
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }
