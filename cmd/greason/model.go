package main

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/greason/greason/train/hub"
	"github.com/greason/greason/train/qwen"
)

func init() {
	modelCmd := &cobra.Command{
		Use:   "model",
		Short: "Qwen model files: write a random model (init) or download one from Hugging Face (pull)",
	}

	var cfgFlag, out, dtype string
	var seed uint64
	var shardMB int64
	initCmd := &cobra.Command{
		Use:   "init --config CONFIG --out DIR",
		Short: "Write a randomly initialised Qwen2/Qwen3 model (config.json + safetensors) in HF layout",
		Long: `Write a randomly initialised model in the Hugging Face layout (config.json, model.safetensors or
shards + model.safetensors.index.json). CONFIG is a config.json path or a preset: ` + presetNames() + `.
Weights are drawn on the host from --seed, so the same seed gives the same files on every machine.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfgFlag == "" || out == "" {
				return fmt.Errorf("--config and --out are required")
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
			return nil
		},
	}
	initCmd.Flags().StringVar(&cfgFlag, "config", "", "config.json path or preset name")
	initCmd.Flags().StringVar(&out, "out", "", "output directory")
	initCmd.Flags().StringVar(&dtype, "dtype", "float32", "float32 or bfloat16")
	initCmd.Flags().Uint64Var(&seed, "seed", 0, "random seed")
	initCmd.Flags().Int64Var(&shardMB, "shard-mb", 0, "shard the weights into files of at most this many MiB (0: one file)")

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

	modelCmd.AddCommand(initCmd, pullCmd)
	rootCmd.AddCommand(modelCmd)
}

func presetNames() string {
	var names []string
	for k := range qwen.Presets() {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
