package conformance_test

import (
	"context"
	"testing"

	"github.com/mixpeekkit/mixpeekkit/conformance"
)

// exploreConfig runs the exploration alone against url, with a fixed seed and unpaced.
func exploreConfig(url string, steps int, seed int64) conformance.Config {
	cfg := config(url)
	cfg.Run, cfg.Explore, cfg.Seed = "^explore/", steps, seed
	return cfg
}

// A walk of a few thousand steps against the mock meets no answer the model refuses.
func TestExploreMockConforms(t *testing.T) {
	mock := newMock(t)
	rep, err := conformance.Run(context.Background(), exploreConfig(mock.URL, 3000, 1))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		t.Log(r.String())
		for _, f := range r.Failures {
			t.Error(f.String())
		}
	}
}
