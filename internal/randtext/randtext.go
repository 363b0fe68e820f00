// Package randtext is the one way the kit draws random text (the mock's IDs, the suite's run
// IDs, names and secret values): characters of an alphabet, each equally likely.
package randtext

import (
	"fmt"
	"io"
)

// Draw is n characters of alphabet (at most 256 of them) read from r, n bytes at a time (a
// seeded source then gives the same text for the same seed), each equally likely: a byte at
// or past the largest multiple of len(alphabet) is not used, so no character is favoured.
func Draw(r io.Reader, alphabet string, n int) (string, error) {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, n)
	for len(out) < n {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("random source: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out), nil
}
