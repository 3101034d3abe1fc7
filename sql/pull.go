package sql

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/greason/greason/internal/hfhub"
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
	Oid  string `json:"oid"` // git blob sha1; for an LFS file, that of its pointer
	LFS  *struct {
		Oid  string `json:"oid"` // sha256 of the content
		Size int64  `json:"size"`
	} `json:"lfs"`
}

func (o *PullOptions) defaults() {
	if o.Repo == "" {
		o.Repo = WebInstructRepo
	}
	if o.Revision == "" {
		o.Revision = "main"
	}
}

// client fills o's defaults and returns the shared Hub client for it.
func (o *PullOptions) client() *hfhub.Client {
	o.defaults()
	c := hfhub.New(hfhub.Client{Endpoint: o.Endpoint, Token: o.Token, HTTP: o.Client, Log: o.Progress,
		OfflineHint: "set HF_ENDPOINT to a mirror, or run the pipeline on local files with `greason data run --input FILE`"})
	if o.Progress != nil {
		w := o.Progress
		c.Bar = func(desc string, total int64) (io.Writer, func()) {
			b := newBar(w, total, desc)
			return b, func() { b.Finish() }
		}
	}
	return c
}

// ListFiles returns the Parquet files of the dataset repo (Hub tree API, recursive).
func ListFiles(ctx context.Context, o PullOptions) ([]RemoteFile, error) {
	c := o.client() // before o is passed on: it fills o's defaults
	return listFiles(ctx, c, o)
}

func listFiles(ctx context.Context, c *hfhub.Client, o PullOptions) ([]RemoteFile, error) {
	if err := hfhub.ValidRepo(o.Repo); err != nil {
		return nil, err
	}
	u := fmt.Sprintf("%s/api/datasets/%s/tree/%s?recursive=true", c.Endpoint, o.Repo, url.PathEscape(o.Revision))
	var all []RemoteFile
	if err := c.GetJSON(ctx, u, &all); err != nil {
		return nil, fmt.Errorf("list %s: %w", u, err)
	}
	var out []RemoteFile
	for _, f := range all {
		if f.Type == "file" && strings.HasSuffix(f.Path, ".parquet") {
			if err := hfhub.CheckName(f.Path); err != nil {
				return nil, fmt.Errorf("list %s: %w", u, err)
			}
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("list %s: no parquet files in %s@%s", u, o.Repo, o.Revision)
	}
	return out, nil
}

// Pull downloads every Parquet file of the dataset into o.Dir. A file already there with the
// right size and SHA-256 is skipped; a partial download (FILE.part) is resumed with an HTTP
// Range request; the content is checked against the Hub's size and SHA-256 (LFS oid; the git
// blob sha1 for a file not in LFS) before it is renamed into place. It returns the local paths.
func Pull(ctx context.Context, o PullOptions) ([]string, error) {
	c := o.client()
	files, err := listFiles(ctx, c, o)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, f := range files {
		r := hfhub.File{Name: f.Path, URL: c.ResolveURL(hfhub.Dataset, o.Repo, o.Revision, f.Path), Size: f.Size}
		if f.LFS != nil {
			r.SHA256, r.Size = f.LFS.Oid, f.LFS.Size
		} else {
			r.BlobSHA1 = f.Oid
		}
		p, err := c.Download(ctx, o.Dir, r)
		if err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}
