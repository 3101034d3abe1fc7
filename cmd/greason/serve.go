package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/greason/greason/serve"
)

func init() {
	var dir, addr, name, dtype, tokPath string
	var opts serve.Options
	cmd := &cobra.Command{
		Use:   "serve --model DIR",
		Short: "Serve a Qwen model over an OpenAI-compatible API (/v1/models, /v1/completions, /v1/chat/completions)",
		Long: `Serve a Qwen2/Qwen3 model directory (config.json + safetensors) over an OpenAI-compatible HTTP API:
GET /health, GET /v1/models[/ID], POST /v1/completions and /v1/chat/completions (the checkpoint's
own Jinja chat template applied server-side) with stream (server-sent events, stream_options.include_usage), n, seed,
stop, stop_token_ids, temperature, top_p, top_k, max_tokens, logprobs (completions: an integer;
chat: logprobs + top_logprobs). Fields the server does not implement are 400 errors naming
the field (tools, response_format, penalties, ...). Concurrent requests are decoded together in
one batch; a client that disconnects stops its generation. See docs/model.md.
The tokenizer is --tokenizer, else DIR/tokenizer.json, else the embedded Qwen3 tokenizer. The chat
template is the checkpoint's own: tokenizer_config.json's chat_template or chat_template.jinja in
DIR (in the --tokenizer file's folder when that flag is given); without one, /v1/chat/completions
answers 400 saying so and /v1/completions still works.
The backend comes from $GOMLX_BACKEND (go:ops_sequential on CPU, xla:/abs/path/plugin.so on GPU).
--addr 127.0.0.1:0 picks a free port; the address is printed on stderr.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return fmt.Errorf("--model is required")
			}
			if name == "" {
				name = filepath.Base(filepath.Clean(dir))
			}
			opts.ModelName = name
			_, tokSrc, err := serve.LoadTokenizer(dir, tokPath)
			if err != nil {
				return err
			}
			srv, err := serve.Open(dir, dtype, tokPath, opts)
			if err != nil {
				return err
			}
			defer srv.Close()
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return err
			}
			if tpl, err := srv.ChatTemplate(); err == nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "chat template: %s\n", tpl.Origin())
			} else {
				fmt.Fprintf(cmd.ErrOrStderr(), "no chat template, /v1/chat/completions will answer 400: %v\n", err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "serving %s (%s, tokenizer: %s) on http://%s/v1\n", name, dir, tokSrc, ln.Addr())
			hs := &http.Server{Handler: srv, ReadHeaderTimeout: 30 * time.Second}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			errc := make(chan error, 1)
			go func() { errc <- hs.Serve(ln) }()
			select {
			case err := <-errc:
				return err
			case <-ctx.Done():
				sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
					return err
				}
				return nil
			}
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "model", "", "model directory (config.json + safetensors)")
	f.StringVar(&addr, "addr", "127.0.0.1:8000", "listen address")
	f.StringVar(&name, "name", "", "model id reported and accepted (default: the directory name)")
	f.StringVar(&dtype, "dtype", "float32", "float32 or bfloat16")
	f.StringVar(&tokPath, "tokenizer", "", "tokenizer.json path (default DIR/tokenizer.json, else the embedded Qwen3 tokenizer)")
	f.IntVar(&opts.MaxBatch, "max-batch", 16, "most samples decoded together")
	f.DurationVar(&opts.BatchWindow, "batch-window", 10*time.Millisecond, "how long a request waits for others to batch with")
	f.IntVar(&opts.DefaultMaxTokens, "max-tokens", 256, "max_tokens when a request gives none (capped by the context length)")
	f.IntVar(&opts.MaxN, "max-n", 16, "largest n a request may ask for")
	f.IntVar(&opts.MaxLogprobs, "max-logprobs", 20, "largest logprobs (completions) / top_logprobs (chat)")
	rootCmd.AddCommand(cmd)
}
