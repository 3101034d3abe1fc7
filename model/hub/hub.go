// Package hub downloads Hugging Face model repositories: resumable (HTTP Range on a .part
// file), checksummed (sha256 of LFS files, git blob sha1 of the others), atomic (rename on
// success). It uses the public HF endpoints: /api/models/{repo}/revision/{rev}?blobs=true for
// the file list and /{repo}/resolve/{rev}/{file} for the contents. The HTTP side (defaults,
// offline errors, resumable checked downloads) is internal/hfhub, shared with sql.Pull.
package hub

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/greason/greason/internal/hfhub"
)

// DefaultEndpoint is used when Options.Endpoint and $HF_ENDPOINT are empty.
const DefaultEndpoint = hfhub.DefaultEndpoint

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

func (o *Options) client() *hfhub.Client {
	if o.Revision == "" {
		o.Revision = "main"
	}
	return hfhub.New(hfhub.Client{Endpoint: o.Endpoint, Token: o.Token, HTTP: o.HTTP, Log: o.Log})
}

// ValidRepo checks an "org/name" repository id.
func ValidRepo(repo string) error { return hfhub.ValidRepo(repo) }

// List returns the files of repo at the revision and the resolved commit sha.
func List(ctx context.Context, repo string, opts Options) ([]File, string, error) {
	c := opts.client()
	return list(ctx, c, repo, opts.Revision)
}

func list(ctx context.Context, c *hfhub.Client, repo, rev string) ([]File, string, error) {
	if err := ValidRepo(repo); err != nil {
		return nil, "", err
	}
	u := fmt.Sprintf("%s/api/models/%s/revision/%s?blobs=true", c.Endpoint, repo, url.PathEscape(rev))
	var info repoInfo
	if err := c.GetJSON(ctx, u, &info); err != nil {
		return nil, "", fmt.Errorf("listing %s@%s: %w", repo, rev, err)
	}
	for _, f := range info.Siblings {
		if err := hfhub.CheckName(f.Name); err != nil {
			return nil, "", fmt.Errorf("listing %s: %w", repo, err)
		}
	}
	return info.Siblings, info.SHA, nil
}

// Pull downloads repo into dir. Complete files whose checksum matches are kept; partial
// downloads (name.part) are resumed with a Range request.
func Pull(ctx context.Context, repo, dir string, opts Options) error {
	c := opts.client()
	files, sha, err := list(ctx, c, repo, opts.Revision)
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
		if _, err := c.Download(ctx, dir, remote(c, repo, rev, f)); err != nil {
			return err
		}
	}
	return nil
}

// remote describes f for hfhub: LFS files are checked by sha256 and their LFS size, the others
// by git blob sha1; a listed size of 0 or less counts as unknown.
func remote(c *hfhub.Client, repo, rev string, f File) hfhub.File {
	r := hfhub.File{Name: f.Name, URL: c.ResolveURL(hfhub.Model, repo, rev, f.Name), Size: f.Size}
	if f.LFS != nil && f.LFS.SHA256 != "" {
		r.SHA256, r.Size = f.LFS.SHA256, f.LFS.Size
	} else {
		r.BlobSHA1 = f.BlobID
	}
	if r.Size <= 0 && r.BlobSHA1 == "" {
		r.Size = -1
	}
	return r
}
