package sql

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// WebInstructRepo is the Hugging Face dataset of the paper.
const WebInstructRepo = "TIGER-Lab/WebInstruct-verified"

// PullOptions configures Pull.
type PullOptions struct {
	Endpoint string // Hugging Face endpoint; default $HF_ENDPOINT or https://huggingface.co
	Repo     string // dataset repo, default WebInstructRepo
	Revision string // default "main"
	Dir      string // destination folder; files keep their repo paths below it
	Token    string // optional bearer token (default $HF_TOKEN)
	Client   *http.Client
	Progress io.Writer
}

// RemoteFile is one file of the dataset repo as the Hub's tree API lists it.
type RemoteFile struct {
	Type string `json:"type"`
	Path string `json:"path"`
	Size int64  `json:"size"`
	LFS  *struct {
		Oid  string `json:"oid"` // sha256 of the content
		Size int64  `json:"size"`
	} `json:"lfs"`
}

func (o *PullOptions) defaults() {
	if o.Endpoint == "" {
		o.Endpoint = os.Getenv("HF_ENDPOINT")
	}
	if o.Endpoint == "" {
		o.Endpoint = "https://huggingface.co"
	}
	o.Endpoint = strings.TrimRight(o.Endpoint, "/")
	if o.Repo == "" {
		o.Repo = WebInstructRepo
	}
	if o.Revision == "" {
		o.Revision = "main"
	}
	if o.Token == "" {
		o.Token = os.Getenv("HF_TOKEN")
	}
	if o.Client == nil {
		o.Client = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 30 * time.Second,
		}}
	}
}

func (o *PullOptions) get(ctx context.Context, u string, header http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if o.Token != "" {
		req.Header.Set("Authorization", "Bearer "+o.Token)
	}
	resp, err := o.Client.Do(req)
	if err != nil {
		var ne net.Error
		var ue *url.Error
		if errors.As(err, &ne) || errors.As(err, &ue) {
			return nil, fmt.Errorf("cannot reach %s (offline? set HF_ENDPOINT to a mirror, or run the pipeline on local files with `greason data run --input FILE`): %w", o.Endpoint, err)
		}
		return nil, err
	}
	return resp, nil
}

// ListFiles returns the Parquet files of the dataset repo (Hub tree API, recursive).
func ListFiles(ctx context.Context, o PullOptions) ([]RemoteFile, error) {
	o.defaults()
	u := fmt.Sprintf("%s/api/datasets/%s/tree/%s?recursive=true", o.Endpoint, o.Repo, url.PathEscape(o.Revision))
	resp, err := o.get(ctx, u, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("list %s: HTTP %s: %s", u, resp.Status, strings.TrimSpace(string(b)))
	}
	var all []RemoteFile
	if err := json.NewDecoder(resp.Body).Decode(&all); err != nil {
		return nil, fmt.Errorf("list %s: bad JSON: %w", u, err)
	}
	var out []RemoteFile
	for _, f := range all {
		if f.Type == "file" && strings.HasSuffix(f.Path, ".parquet") {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("list %s: no parquet files in %s@%s", u, o.Repo, o.Revision)
	}
	return out, nil
}

// Pull downloads every Parquet file of the dataset into o.Dir. A file already there with the
// right SHA-256 is skipped; a partial download (FILE.part) is resumed with an HTTP Range request;
// the content is checked against the Hub's SHA-256 (LFS oid) and size before it is renamed into
// place. It returns the local paths.
func Pull(ctx context.Context, o PullOptions) ([]string, error) {
	o.defaults()
	files, err := ListFiles(ctx, o)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, f := range files {
		p, err := o.pullFile(ctx, f)
		if err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

func fileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

func (o *PullOptions) pullFile(ctx context.Context, f RemoteFile) (string, error) {
	want, size := "", f.Size
	if f.LFS != nil {
		want, size = f.LFS.Oid, f.LFS.Size
	}
	dest := filepath.Join(o.Dir, filepath.FromSlash(f.Path))
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return "", err
	}
	if sum, n, err := fileSHA256(dest); err == nil && n == size && (want == "" || sum == want) {
		o.logf("%s: up to date\n", dest)
		return dest, nil
	}
	part := dest + ".part"
	h := sha256.New()
	var have int64
	if fh, err := os.Open(part); err == nil {
		have, err = io.Copy(h, fh)
		fh.Close()
		if err != nil {
			return "", err
		}
	}
	if have > size {
		os.Remove(part)
		h.Reset()
		have = 0
	}
	u := fmt.Sprintf("%s/datasets/%s/resolve/%s/%s", o.Endpoint, o.Repo, url.PathEscape(o.Revision), f.Path)
	hdr := http.Header{}
	if have > 0 {
		hdr.Set("Range", fmt.Sprintf("bytes=%d-", have))
	}
	resp, err := o.get(ctx, u, hdr)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	flags := os.O_CREATE | os.O_WRONLY
	switch {
	case have > 0 && resp.StatusCode == http.StatusPartialContent:
		flags |= os.O_APPEND
		o.logf("%s: resuming at byte %d\n", dest, have)
	case resp.StatusCode == http.StatusOK:
		flags |= os.O_TRUNC
		h.Reset()
		have = 0
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		os.Remove(part)
		return "", fmt.Errorf("download %s: server refused to resume (HTTP 416); the partial file was removed, run pull again", u)
	default:
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return "", fmt.Errorf("download %s: HTTP %s: %s", u, resp.Status, strings.TrimSpace(string(b)))
	}
	out, err := os.OpenFile(part, flags, 0o644)
	if err != nil {
		return "", err
	}
	bar := (&Pipeline{Opt: Options{Progress: o.Progress}}).bar(size-have, filepath.Base(dest))
	n, err := io.Copy(io.MultiWriter(out, h, bar), resp.Body)
	bar.Finish()
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("download %s: interrupted after %d bytes (run pull again to resume): %w", u, have+n, err)
	}
	if have+n != size {
		return "", fmt.Errorf("download %s: got %d bytes, the Hub lists %d (run pull again to resume)", u, have+n, size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); want != "" && got != want {
		os.Remove(part)
		return "", fmt.Errorf("download %s: checksum mismatch: sha256 %s, the Hub lists %s; the partial file was removed", u, got, want)
	}
	if err := os.Rename(part, dest); err != nil {
		return "", err
	}
	o.logf("%s: %d bytes, sha256 ok\n", dest, size)
	return dest, nil
}

func (o *PullOptions) logf(format string, args ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, format, args...)
	}
}
