package randtext_test

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/mixpeekkit/mixpeekkit/internal/randtext"
)

// Draw gives n characters of the alphabet, none favoured: bytes past the last whole multiple
// of the alphabet's length are skipped.
func TestDraw(t *testing.T) {
	s, err := randtext.Draw(rand.Reader, "ab", 1000)
	if err != nil || len(s) != 1000 || strings.Trim(s, "ab") != "" {
		t.Fatalf("Draw: %q, %v", s, err)
	}
	// 36 letters: 252 is the limit, so 252..255 are skipped and 0 maps to the first letter.
	got, err := randtext.Draw(bytes.NewReader([]byte{255, 254, 253, 252, 0, 37, 35, 1, 2}), "abcdefghijklmnopqrstuvwxyz0123456789", 3)
	if err != nil || got != "ab9" {
		t.Errorf("Draw over skipped bytes = %q, %v; want ab9", got, err)
	}
	if _, err := randtext.Draw(bytes.NewReader(nil), "ab", 1); err == nil {
		t.Error("an empty source gave text")
	}
}
