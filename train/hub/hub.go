// Package hub downloads Hugging Face model repositories: resumable (HTTP Range on a .part
// file), checksummed (sha256 of LFS files, git blob sha1 of the others), atomic (rename on
// success). It uses the public HF endpoints: /api/models/{repo}/revision/{rev}?blobs=true for
// the file list and /{repo}/resolve/{rev}/{file} for the contents.
package hub

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DefaultEndpoint is used when Options.Endpoint and $HF_ENDPOINT are empty.
const DefaultEndpoint = "https://huggingface.co"

// Options configure Pull.
type Options struct {
	Endpoint string // e.g. https://huggingface.co (default: $HF_ENDPOINT, then DefaultEndpoint)
	Revision string // branch, tag or commit (default "main")
	Token    string // bearer token for gated repos (default $HF_TOKEN); never logged
	HTTP     *http.Client
	Log      io.Writer // progress lines; nil for none
	// Include selects files by repository path; nil downloads every file.
	Include func(name string) bool
}

// File is one entry of the repository listing.
type File struct {
	Name   string `json:"rfilename"`
	Size   int64  `json:"size"`
	BlobID string `json:"blobId"` // git blob sha1 (hex)
	LFS    *struct {
		SHA256 string `json:"sha256"`
		Size   int64  `json:"size"`
	} `json:"lfs"`
}

type repoInfo struct {
	SHA      string `json:"sha"`
	Siblings []File `json:"siblings"`
}

func (o *Options) defaults() {
	if o.Endpoint == "" {
		o.Endpoint = os.Getenv("HF_ENDPOINT")
	}
	if o.Endpoint == "" {
		o.Endpoint = DefaultEndpoint
	}
	o.Endpoint = strings.TrimRight(o.Endpoint, "/")
	if o.Revision == "" {
		o.Revision = "main"
	}
	if o.Token == "" {
		o.Token = os.Getenv("HF_TOKEN")
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 30 * time.Second,
		}}
	}
}

func (o *Options) logf(format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, format+"\n", args...)
	}
}

// ValidRepo checks an "org/name" repository id.
func ValidRepo(repo string) error {
	parts := strings.Split(repo, "/")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" || strings.ContainsAny(repo, " ?#\\") || parts[0] == ".." || parts[1] == ".." {
		return fmt.Errorf("repository %q: want ORG/NAME", repo)
	}
	return nil
}

func (o *Options) get(ctx context.Context, u string, offset int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if o.Token != "" {
		req.Header.Set("Authorization", "Bearer "+o.Token)
	}
	if offset > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
	}
	resp, err := o.HTTP.Do(req)
	if err != nil {
		var ne net.Error
		var de *net.DNSError
		var oe *net.OpError
		if errors.As(err, &de) || errors.As(err, &oe) || (errors.As(err, &ne) && ne.Timeout()) {
			return nil, fmt.Errorf("cannot reach %s (offline? set HF_ENDPOINT for a mirror): %w", o.Endpoint, err)
		}
		return nil, err
	}
	return resp, nil
}

// List returns the files of repo at the revision and the resolved commit sha.
func List(ctx context.Context, repo string, opts Options) ([]File, string, error) {
	opts.defaults()
	if err := ValidRepo(repo); err != nil {
		return nil, "", err
	}
	u := fmt.Sprintf("%s/api/models/%s/revision/%s?blobs=true", opts.Endpoint, repo, url.PathEscape(opts.Revision))
	resp, err := opts.get(ctx, u, 0)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, "", fmt.Errorf("listing %s@%s: HTTP %d: %s", repo, opts.Revision, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	var info repoInfo
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		return nil, "", fmt.Errorf("listing %s@%s: bad JSON: %w", repo, opts.Revision, err)
	}
	for _, f := range info.Siblings {
		if f.Name == "" || path.IsAbs(f.Name) || strings.Contains(f.Name, "\\") {
			return nil, "", fmt.Errorf("listing %s: unsafe file name %q", repo, f.Name)
		}
		for _, seg := range strings.Split(f.Name, "/") {
			if seg == ".." || seg == "." || seg == "" {
				return nil, "", fmt.Errorf("listing %s: unsafe file name %q", repo, f.Name)
			}
		}
	}
	return info.Siblings, info.SHA, nil
}

// Pull downloads repo into dir. Complete files whose checksum matches are kept; partial
// downloads (name.part) are resumed with a Range request.
func Pull(ctx context.Context, repo, dir string, opts Options) error {
	opts.defaults()
	files, sha, err := List(ctx, repo, opts)
	if err != nil {
		return err
	}
	rev := opts.Revision
	if sha != "" {
		rev = sha // pin every file to the listed commit
	}
	for _, f := range files {
		if opts.Include != nil && !opts.Include(f.Name) {
			continue
		}
		if err := opts.fetch(ctx, repo, rev, dir, f); err != nil {
			return err
		}
	}
	return nil
}

// expected returns the hash to compute and the hex digest it must match ("" if the listing
// gives none).
func expected(f File) (hash.Hash, string, int64) {
	if f.LFS != nil && f.LFS.SHA256 != "" {
		return sha256.New(), strings.ToLower(f.LFS.SHA256), f.LFS.Size
	}
	if f.BlobID != "" {
		h := sha1.New()
		fmt.Fprintf(h, "blob %d\x00", f.Size)
		return h, strings.ToLower(f.BlobID), f.Size
	}
	return sha256.New(), "", f.Size
}

func hashFile(p string, h hash.Hash) (int64, error) {
	fh, err := os.Open(p)
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	return io.Copy(h, fh)
}

func (o *Options) fetch(ctx context.Context, repo, rev, dir string, f File) error {
	dest := filepath.Join(dir, filepath.FromSlash(f.Name))
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	h, want, size := expected(f)
	if st, err := os.Stat(dest); err == nil && want != "" && (size <= 0 || st.Size() == size) {
		if _, err := hashFile(dest, h); err == nil && hex.EncodeToString(h.Sum(nil)) == want {
			o.logf("%s: up to date", f.Name)
			return nil
		}
		h, _, _ = expected(f)
	}
	part := dest + ".part"
	var offset int64
	if st, err := os.Stat(part); err == nil {
		offset = st.Size()
		if size > 0 && offset > size {
			os.Remove(part)
			offset = 0
		}
	}
	u := fmt.Sprintf("%s/%s/resolve/%s/%s", o.Endpoint, repo, url.PathEscape(rev), escapePath(f.Name))
	resp, err := o.get(ctx, u, offset)
	if err != nil {
		return fmt.Errorf("%s: %w", f.Name, err)
	}
	defer resp.Body.Close()
	flags := os.O_CREATE | os.O_WRONLY
	switch {
	case resp.StatusCode == http.StatusPartialContent && offset > 0:
		if got := contentRangeStart(resp.Header.Get("Content-Range")); got != offset {
			return fmt.Errorf("%s: server resumed at byte %d, asked for %d", f.Name, got, offset)
		}
		flags |= os.O_APPEND
		o.logf("%s: resuming at byte %d", f.Name, offset)
	case resp.StatusCode == http.StatusOK:
		flags |= os.O_TRUNC
		offset = 0
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && offset > 0 && offset == size:
		// The part file is already complete.
	default:
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s: HTTP %d: %s", f.Name, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	out, err := os.OpenFile(part, flags, 0o644)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		if _, err := io.Copy(out, resp.Body); err != nil {
			out.Close()
			return fmt.Errorf("%s: download interrupted (run pull again to resume): %w", f.Name, err)
		}
	}
	if err := out.Close(); err != nil {
		return err
	}
	n, err := hashFile(part, h)
	if err != nil {
		return err
	}
	if size > 0 && n != size {
		return fmt.Errorf("%s: downloaded %d bytes, listing says %d (run pull again to resume)", f.Name, n, size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); want != "" && got != want {
		os.Remove(part)
		return fmt.Errorf("%s: checksum mismatch: got %s, want %s (partial file removed)", f.Name, got, want)
	}
	if err := os.Rename(part, dest); err != nil {
		return err
	}
	o.logf("%s: %d bytes ok", f.Name, n)
	return nil
}

func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// contentRangeStart parses "bytes START-END/TOTAL".
func contentRangeStart(h string) int64 {
	h = strings.TrimPrefix(h, "bytes ")
	i := strings.IndexByte(h, '-')
	if i < 0 {
		return -1
	}
	n, err := strconv.ParseInt(h[:i], 10, 64)
	if err != nil {
		return -1
	}
	return n
}
