package suite

import (
	"encoding/json"
	"sort"
	"strings"
	"sync"

	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

// A report shows requests and answers; what it must never show is decided in two layers.
// internal/sensitive is the kit's one policy: anything shaped like a plaintext key, and every
// secret member of a JSON body. On top of it, the run redacts the values it knows to be
// secret, whatever their shape or place: its own keys, every secret value it sent and every
// plaintext key it received.

// KnownSecrets is what the run knows to be secret.
type KnownSecrets struct {
	mu     sync.Mutex
	words  []string // every value to redact
	values []string // the secret values sent, also looked for in answers (echoes)
}

// Add remembers values to redact ("" is ignored).
func (k *KnownSecrets) Add(values ...string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, v := range values {
		if v != "" {
			k.words = append(k.words, v)
		}
	}
}

// AddSent remembers a secret value the run is about to send.
func (k *KnownSecrets) AddSent(v string) {
	k.Add(v)
	k.mu.Lock()
	defer k.mu.Unlock()
	k.values = append(k.values, v)
}

// SentValues lists the secret values the run sent.
func (k *KnownSecrets) SentValues() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.values...)
}

// Redact replaces every value the run knows to be secret, and anything shaped like a
// plaintext key.
func (s *Suite) Redact(text string) string {
	s.Known.mu.Lock()
	words := append([]string(nil), s.Known.words...)
	s.Known.mu.Unlock()
	// Longest first, so a value that contains another is replaced whole.
	sort.Slice(words, func(i, j int) bool { return len(words[i]) > len(words[j]) })
	for _, w := range words {
		text = strings.ReplaceAll(text, w, sensitive.Redacted)
	}
	return sensitive.RedactKeys(text)
}

// redactBody is redact for a body, and for JSON also by structure (sensitive.RedactJSON):
// the whole value of every secret member, at any depth, whoever sent it.
func (s *Suite) redactBody(body []byte) string {
	var v any
	if json.Unmarshal(body, &v) == nil {
		if out, err := json.Marshal(sensitive.RedactJSON(v)); err == nil {
			body = out
		}
	}
	return s.Redact(string(body))
}

// maxShown bounds what a report shows of a body.
const maxShown = 8 << 10

// Show is a body as a report may Show it: redacted, and cut at maxShown.
func (s *Suite) Show(body []byte) string {
	return sensitive.Cut(s.redactBody(body), maxShown, len(body))
}

// authShown is what a report says of an Authorization header: its scheme, never its value.
func authShown(h string) string {
	if h == "" {
		return "(none)"
	}
	scheme, _, _ := strings.Cut(h, " ")
	return scheme + " " + sensitive.Redacted
}
