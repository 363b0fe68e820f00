package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/cli"
	"github.com/mixpeekkit/mixpeekkit/internal/docbudget"
	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

// upstreamTimeout bounds the download of an -upstream URL of spec-diff, from the request to
// the last byte of the document: a published document of a few MB comes in a second or two.
// Past it spec-diff stops with exit code 2.
const upstreamTimeout = 30 * time.Second

// readBounded reads the file at path, at most limit bytes, through a LimitReader (so a pipe or
// a file that grows as it is read is bounded too): a larger file is refused with an error that
// names it, the bound and what the bound is the limit of (what).
func readBounded(path string, limit int, what string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(data) > limit {
		return nil, fmt.Errorf("%s is larger than %s, the limit of %s", path, docbudget.Size(limit), what)
	}
	return data, nil
}

// isURL says whether a value of -upstream is a URL to download rather than a file.
func isURL(s string) bool {
	s = strings.ToLower(s)
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// shownURL is a URL as a message or a report may show it: without its user information and
// its query, either of which may hold a credential (a token, a signature), and its fragment.
func shownURL(u *url.URL) string {
	v := *u
	v.User, v.RawQuery, v.ForceQuery, v.Fragment, v.RawFragment = nil, "", false, "", ""
	if u.RawQuery != "" || u.ForceQuery {
		return v.String() + "?…"
	}
	return v.String()
}

// fetchBounded downloads the document at rawURL (http or https) with client, until ctx ends: the whole
// answer within timeout, at most limit bytes of it, and only a 2xx. It returns the document
// and the URL as messages show it (shownURL; "" when rawURL is not a URL); its errors never
// repeat the query or the user information of the URL.
func fetchBounded(ctx context.Context, client *http.Client, rawURL string, limit int, timeout time.Duration) (data []byte, shown string, err error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, "", errors.New("not a URL of the form https://host/path")
	}
	shown = shownURL(u)
	ctx, cancel := context.WithTimeout(ctx, timeout) // and a first Ctrl-C ends it
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, shown, errors.New("not a URL a request can be sent to")
	}
	req.Header.Set("Accept", "application/json, application/yaml;q=0.9, */*;q=0.5")
	req.Header.Set("User-Agent", "mixpeek-conformance/"+cli.Version())
	failed := func(err error) error {
		if ctx.Err() != nil {
			return fmt.Errorf("no whole answer within %s, the limit of a download of spec-diff", timeout)
		}
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the message of url.Error repeats the whole URL
		}
		return fmt.Errorf("GET failed: %s", sensitive.RedactKeys(err.Error()))
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, shown, failed(err)
	}
	defer resp.Body.Close()
	tooLarge := fmt.Errorf("the answer is larger than %s, the limit of spec-diff", docbudget.Size(limit))
	switch {
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, shown, fmt.Errorf("the server answered %d %s, not the document (a 2xx answer)", resp.StatusCode, http.StatusText(resp.StatusCode))
	case resp.ContentLength > int64(limit):
		return nil, shown, tooLarge
	}
	data, err = io.ReadAll(io.LimitReader(resp.Body, int64(limit)+1))
	if err != nil {
		return nil, shown, failed(err)
	}
	if len(data) > limit {
		return nil, shown, tooLarge
	}
	return data, shown, nil
}
