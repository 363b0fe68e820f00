package main

import (
	"cmp"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/internal/cli"
	"github.com/mixpeekkit/mixpeekkit/internal/specdiff"
)

// upstreamDivergences is where openapi.yaml differs from the upstream document on purpose:
// the allow-list spec-diff uses with the built-in openapi.yaml.
//
//go:embed upstream-divergences.yaml
var upstreamDivergences []byte

// specDiff is `mixpeek-conformance spec-diff`: openapi.yaml against an upstream document. It
// returns the exit code: 0 when every difference is explained by the allow-list, 1 when one
// is not (or an entry of the list explains nothing), 2 on a usage, download or parse error.
func specDiff(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mixpeek-conformance spec-diff", flag.ContinueOnError)
	upstream := fs.String("upstream", "", fmt.Sprintf("the upstream OpenAPI document (3.0 or 3.1, JSON or YAML): a file, or an http:// or https:// URL to download (within %s)", upstreamTimeout))
	ours := fs.String("ours", "", "the document to compare (default: this release's openapi.yaml, built in)")
	allow := fs.String("allow", "", "the allow-list of documented divergences (default: this release's upstream-divergences.yaml with the built-in openapi.yaml, none with -ours)")
	format := fs.String("format", "text", "output: text or json")
	verbose := fs.Bool("v", false, "text: also list each explained difference and each note of the allow-list, with its reason (by default they are counted)")
	intro := "Usage: mixpeek-conformance spec-diff -upstream FILE|URL [flags]\n\nCompares openapi.yaml with an upstream OpenAPI document for the 9 operations, and says of each\ndifference whether it can break a client and whether the allow-list explains it. The text\nreport lists what needs a look first (UNEXPLAINED differences, STALE allow-list entries),\nthen counts the explained differences (-v lists them)."
	mirrors := []cli.Mirror{{Flag: "upstream", Env: "MIXPEEK_UPSTREAM_SPEC"}}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "mixpeek-conformance spec-diff:", err)
		return 2
	}
	if _, err := cli.Parse(fs, intro, mirrors, args, getenv, stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return fail(err)
	}
	switch {
	case *upstream == "":
		return fail(errors.New("-upstream is required (or MIXPEEK_UPSTREAM_SPEC)"))
	case *format != "text" && *format != "json":
		return fail(errors.New("-format must be text or json"))
	}
	oursName, oursData := "openapi.yaml (built in)", mixpeekkit.OpenAPI()
	allowName, allowData := "upstream-divergences.yaml (built in)", upstreamDivergences
	if *ours != "" {
		data, err := readBounded(*ours, specdiff.MaxDocument, "spec-diff")
		if err != nil {
			return fail(fmt.Errorf("-ours: %w", err))
		}
		oursName, oursData, allowName, allowData = *ours, data, "", nil
	}
	if *allow != "" {
		data, err := readBounded(*allow, specdiff.MaxDocument, "spec-diff")
		if err != nil {
			return fail(fmt.Errorf("-allow: %w", err))
		}
		allowName, allowData = *allow, data
	}
	o, err := specdiff.Parse(oursData)
	if err != nil {
		return fail(fmt.Errorf("%s: %w", oursName, err))
	}
	upstreamName, data := *upstream, []byte(nil)
	if isURL(*upstream) {
		data, upstreamName, err = fetchBounded(ctx, http.DefaultClient, *upstream, specdiff.MaxDocument, upstreamTimeout)
		if err != nil {
			return fail(fmt.Errorf("-upstream %s: %w", cmp.Or(upstreamName, "URL"), err))
		}
	} else if data, err = readBounded(*upstream, specdiff.MaxDocument, "spec-diff"); err != nil {
		return fail(fmt.Errorf("-upstream: %w", err))
	}
	u, err := specdiff.Parse(data)
	if err != nil {
		return fail(fmt.Errorf("-upstream %s: %w", upstreamName, err))
	}
	var list []specdiff.Allowance
	if allowData != nil {
		if list, err = specdiff.ParseAllowList(allowData); err != nil {
			return fail(fmt.Errorf("%s: %w", allowName, err))
		}
	}
	r := specdiff.Explain(specdiff.Compare(o, u, nil), list, o)
	code := 0
	if r.Unexplained() > 0 || len(r.Stale) > 0 {
		code = 1
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(struct {
			Ours        string `json:"ours"`
			Upstream    string `json:"upstream"`
			AllowList   string `json:"allow_list,omitempty"`
			Unexplained int    `json:"unexplained"`
			specdiff.Result
		}{oursName, upstreamName, allowName, r.Unexplained(), r})
		return code
	}
	fmt.Fprintf(stdout, "comparing %s with %s (allow-list: %s)\n", oursName, upstreamName, cmp.Or(allowName, "none"))
	specdiff.WriteText(stdout, r, *verbose)
	return code
}
