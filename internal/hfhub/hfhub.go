// Package hfhub is the HTTP side of Hugging Face Hub downloads shared by `greason data pull`
// (sql.Pull, datasets) and `greason model pull` (model/hub, models): endpoint and token
// defaults, a client that fails fast with a clear "cannot reach … (offline? …)" error, JSON
// listings, and file downloads that are resumable (HTTP Range on a FILE.part file), checked
// (size, and the LFS sha256 or the git blob sha1 of the listing) and atomic (rename on success).
// A file already in place with the listed size and checksum is kept without any request.
//
// It is a leaf package: it imports only the standard library. Listing formats (the dataset
// tree API, the model revision API) and file selection stay with the callers.
package hfhub

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

// DefaultEndpoint is used when Client.Endpoint and $HF_ENDPOINT are empty.
const DefaultEndpoint = "https://huggingface.co"

// DefaultOfflineHint completes "cannot reach ENDPOINT (offline? HINT)".
const DefaultOfflineHint = "set HF_ENDPOINT for a mirror"

// RepoType selects the URL layout of a repository.
type RepoType int

const (
	Model   RepoType = iota // {endpoint}/{repo}/resolve/…
	Dataset                 // {endpoint}/datasets/{repo}/resolve/…
)

// Client talks to one Hub endpoint. Build it with New.
type Client struct {
	Endpoint string       // default $HF_ENDPOINT, then DefaultEndpoint; trailing slashes removed
	Token    string       // bearer token (default $HF_TOKEN); never logged
	HTTP     *http.Client // default: proxy from the environment, 10 s dial and TLS, 30 s to the headers
	// Log receives one line per file ("DEST: up to date", "DEST: resuming at byte N",
	// "DEST: N bytes, sha256 ok"); nil for none.
	Log io.Writer
	// Bar, if set, is called before each transfer with the file's base name and the number of
	// bytes to come (-1 if unknown); the body is copied through the returned writer too and
	// done is called when the transfer ends.
	Bar func(desc string, total int64) (w io.Writer, done func())
	// OfflineHint completes "cannot reach ENDPOINT (offline? HINT)" (default DefaultOfflineHint).
	OfflineHint string
}

// New returns c with its defaults filled in.
func New(c Client) *Client {
	if c.Endpoint == "" {
		c.Endpoint = os.Getenv("HF_ENDPOINT")
	}
	if c.Endpoint == "" {
		c.Endpoint = DefaultEndpoint
	}
	c.Endpoint = strings.TrimRight(c.Endpoint, "/")
	if c.Token == "" {
		c.Token = os.Getenv("HF_TOKEN")
	}
	if c.HTTP == nil {
		c.HTTP = DefaultHTTPClient()
	}
	if c.OfflineHint == "" {
		c.OfflineHint = DefaultOfflineHint
	}
	return &c
}

// DefaultHTTPClient has short connection timeouts so that an unreachable Hub fails in seconds,
// and no overall timeout, so that large files can take as long as they need.
func DefaultHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
	}}
}

// ValidRepo checks an "org/name" repository id.
func ValidRepo(repo string) error {
	parts := strings.Split(repo, "/")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" || strings.ContainsAny(repo, " ?#\\") || parts[0] == ".." || parts[1] == ".." {
		return fmt.Errorf("repository %q: want ORG/NAME", repo)
	}
	return nil
}

// CheckName rejects repository file names that could leave the destination folder.
func CheckName(name string) error {
	if name == "" || path.IsAbs(name) || strings.Contains(name, "\\") {
		return fmt.Errorf("unsafe file name %q", name)
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == ".." || seg == "." || seg == "" {
			return fmt.Errorf("unsafe file name %q", name)
		}
	}
	return nil
}

// ResolveURL is the download URL of file name of repo at revision rev.
func (c *Client) ResolveURL(t RepoType, repo, rev, name string) string {
	prefix := ""
	if t == Dataset {
		prefix = "datasets/"
	}
	segs := strings.Split(name, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return fmt.Sprintf("%s/%s%s/resolve/%s/%s", c.Endpoint, prefix, repo, url.PathEscape(rev), strings.Join(segs, "/"))
}

// Get sends a GET with the token and the extra headers. A request that cannot reach the
// endpoint (no route, DNS, refused, timeout, TLS) fails with "cannot reach ENDPOINT (offline?
// HINT): CAUSE"; a cancelled ctx is returned as is.
func (c *Client) Get(ctx context.Context, u string, header http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return nil, err
		}
		return nil, fmt.Errorf("cannot reach %s (offline? %s): %w", c.Endpoint, c.OfflineHint, err)
	}
	return resp, nil
}

// GetJSON decodes the JSON body of u into v. Errors: "cannot reach …", "HTTP STATUS: BODY
// (HINT)", "bad JSON: …"; callers prefix them with what they were listing.
func (c *Client) GetJSON(ctx context.Context, u string, v any) error {
	resp, err := c.Get(ctx, u, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return c.statusError(resp)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("bad JSON: %w", err)
	}
	return nil
}

// statusError reads the start of an error response into "HTTP 404 Not Found: BODY (HINT)".
func (c *Client) statusError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	msg := fmt.Sprintf("HTTP %s: %s", resp.Status, strings.TrimSpace(string(b)))
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		if c.Token == "" {
			msg += " (gated or private repository? set HF_TOKEN)"
		} else {
			msg += " (gated or private repository: does HF_TOKEN have access?)"
		}
	case http.StatusNotFound:
		msg += " (check the repository name, the revision and the file name)"
	}
	return errors.New(msg)
}

// File is one file to download.
type File struct {
	Name string // repository path, slash-separated; also its path below the destination folder
	URL  string // usually Client.ResolveURL
	Size int64  // bytes; < 0 if unknown
	// SHA256 is the hex sha256 of the content (the LFS oid). If empty, BlobSHA1 (the git blob
	// id, sha1 of "blob SIZE\x00" + content; needs Size) is checked instead; with neither, only
	// the size is.
	SHA256   string
	BlobSHA1 string
}

// checksum returns a fresh hash for f, the hex digest it must give ("" if none) and its name.
func (f File) checksum() (hash.Hash, string, string) {
	switch {
	case f.SHA256 != "":
		return sha256.New(), strings.ToLower(f.SHA256), "sha256"
	case f.BlobSHA1 != "" && f.Size >= 0:
		h := sha1.New()
		fmt.Fprintf(h, "blob %d\x00", f.Size)
		return h, strings.ToLower(f.BlobSHA1), "git blob sha1"
	}
	return sha256.New(), "", ""
}

func hashFile(p string, h hash.Hash) (int64, error) {
	fh, err := os.Open(p)
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	return io.Copy(h, fh)
}

// upToDate tells whether dest already holds f: the listed size (if known) and checksum (if
// known); with neither known, a file is never taken as up to date.
func upToDate(dest string, f File) bool {
	st, err := os.Stat(dest)
	if err != nil || !st.Mode().IsRegular() || (f.Size >= 0 && st.Size() != f.Size) {
		return false
	}
	h, want, _ := f.checksum()
	if want == "" {
		return f.Size >= 0
	}
	n, err := hashFile(dest, h)
	return err == nil && (f.Size < 0 || n == f.Size) && hex.EncodeToString(h.Sum(nil)) == want
}

func (c *Client) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format+"\n", args...)
	}
}

// Download fetches f into dir/f.Name and returns that path. A file already there with the
// listed size and checksum is kept without a request (so it works offline). Otherwise the
// content goes to PATH.part, resumed with a Range request when a partial file is there, and
// is renamed into place once its size and checksum match. Errors start with "download NAME:";
// those that leave the partial file say "run pull again to resume", and a checksum mismatch
// or a refused resume removes it.
func (c *Client) Download(ctx context.Context, dir string, f File) (string, error) {
	if err := CheckName(f.Name); err != nil {
		return "", fmt.Errorf("download: %w", err)
	}
	dest := filepath.Join(dir, filepath.FromSlash(f.Name))
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return "", err
	}
	if upToDate(dest, f) {
		c.logf("%s: up to date", dest)
		return dest, nil
	}
	fail := func(format string, args ...any) (string, error) {
		return "", fmt.Errorf("download %s: "+format, append([]any{f.Name}, args...)...)
	}

	// The partial file is hashed now, so the download is hashed as it arrives.
	part := dest + ".part"
	h, want, algo := f.checksum()
	var have int64
	if _, err := os.Stat(part); err == nil {
		if have, err = hashFile(part, h); err != nil {
			return "", err
		}
		if f.Size >= 0 && have > f.Size {
			os.Remove(part)
			h, _, _ = f.checksum()
			have = 0
		}
	}
	hdr := http.Header{}
	if have > 0 {
		hdr.Set("Range", fmt.Sprintf("bytes=%d-", have))
	}
	resp, err := c.Get(ctx, f.URL, hdr)
	if err != nil {
		return fail("%w", err)
	}
	defer resp.Body.Close()
	flags := os.O_CREATE | os.O_WRONLY
	body := true
	switch {
	case resp.StatusCode == http.StatusPartialContent && have > 0:
		if got := contentRangeStart(resp.Header.Get("Content-Range")); got != have {
			return fail("server resumed at byte %d, asked for %d", got, have)
		}
		flags |= os.O_APPEND
		c.logf("%s: resuming at byte %d", dest, have)
	case resp.StatusCode == http.StatusOK:
		flags |= os.O_TRUNC
		h, _, _ = f.checksum()
		have = 0
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && have > 0 && have == f.Size:
		body = false // the partial file is already complete
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && have > 0:
		os.Remove(part)
		return fail("server refused to resume at byte %d (HTTP 416); the partial file was removed, run pull again", have)
	default:
		return fail("GET %s: %w", f.URL, c.statusError(resp))
	}
	out, err := os.OpenFile(part, flags, 0o644)
	if err != nil {
		return "", err
	}
	var n int64
	if body {
		total := int64(-1)
		if f.Size >= 0 {
			total = f.Size - have
		}
		w := io.MultiWriter(out, h)
		var done func()
		if c.Bar != nil {
			var bw io.Writer
			bw, done = c.Bar(filepath.Base(dest), total)
			w = io.MultiWriter(out, h, bw)
		}
		n, err = io.Copy(w, resp.Body)
		if done != nil {
			done()
		}
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail("interrupted after %d bytes (run pull again to resume): %w", have+n, err)
	}
	if f.Size >= 0 && have+n != f.Size {
		return fail("got %d bytes, the listing says %d (run pull again to resume)", have+n, f.Size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); want != "" && got != want {
		os.Remove(part)
		return fail("checksum mismatch: %s %s, the listing says %s; the partial file was removed", algo, got, want)
	}
	if err := os.Rename(part, dest); err != nil {
		return "", err
	}
	switch {
	case algo != "":
		c.logf("%s: %d bytes, %s ok", dest, have+n, algo)
	case f.Size >= 0:
		c.logf("%s: %d bytes, size ok (no checksum listed)", dest, have+n)
	default:
		c.logf("%s: %d bytes (no size or checksum listed)", dest, have+n)
	}
	return dest, nil
}

// contentRangeStart parses "bytes START-END/TOTAL" (-1 if it cannot).
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
