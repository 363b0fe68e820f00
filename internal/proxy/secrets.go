package proxy

import (
	"crypto/sha256"
	"hash/maphash"
	"net/url"
	"strings"
	"sync"

	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

// Bounds on what the proxy keeps of secret values and on the search for them in an answer.
const (
	// maxSecretHashes is how many secret values seen in requests are kept (by hash); past it
	// the proxy forgets them all and starts again.
	maxSecretHashes = 4096
	// minEchoLen is the shortest secret value found inside a longer text (a string, a member
	// name, a pointer's segment). A shorter value counts only where a whole string or name is
	// that value: any text holds some short string by accident.
	minEchoLen = 8
	// maxEchoWork is how many bytes the search for secret values inside the texts of one
	// answer may hash to confirm candidates (places where a value's first minEchoLen bytes
	// appear; each costs minEchoLen more). Past it the rest of the answer is searched for
	// whole values only, and a pointer segment not searched to its end is not shown.
	maxEchoWork = 32 << 20
)

// secretRef is what is kept of one secret value of at least minEchoLen bytes: its hash and
// its length.
type secretRef struct {
	sum [sha256.Size]byte
	n   int
}

// secretStore keeps what the proxy knows of the secret values sent through it. It never
// keeps a value: only its SHA-256 (and length), and for a value of at least minEchoLen bytes
// a seeded hash of its first minEchoLen bytes, so that one pass over a text finds the places
// where a value may begin, each then confirmed by the SHA-256 of the text's bytes there.
type secretStore struct {
	mu      sync.RWMutex
	seed    maphash.Seed
	exact   map[[sha256.Size]byte]struct{}
	lengths map[int]int             // how many values have each length
	starts  map[uint64][]secretRef  // by the seeded hash of the value's first minEchoLen bytes
	filter  [filterBits / 64]uint64 // a bit per starts key: most windows need no map lookup
}

// filterBits is the size of secretStore.filter (128 KiB).
const filterBits = 1 << 20

func newSecretStore() *secretStore {
	s := &secretStore{seed: maphash.MakeSeed()}
	s.reset()
	return s
}

func (s *secretStore) reset() {
	s.exact = map[[sha256.Size]byte]struct{}{}
	s.lengths = map[int]int{}
	s.starts = map[uint64][]secretRef{}
	s.filter = [filterBits / 64]uint64{}
}

// remember keeps a secret value (an empty one is not a secret).
func (s *secretStore) remember(v string) {
	if v == "" {
		return
	}
	sum := sha256.Sum256([]byte(v))
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.exact[sum]; ok {
		return
	}
	if len(s.exact) >= maxSecretHashes {
		s.reset()
	}
	s.exact[sum] = struct{}{}
	s.lengths[len(v)]++
	if len(v) >= minEchoLen {
		h := maphash.String(s.seed, v[:minEchoLen])
		s.starts[h] = append(s.starts[h], secretRef{sum, len(v)})
		s.filter[(h%filterBits)/64] |= 1 << (h % 64)
	}
}

// budget is what is left of maxEchoWork for one answer.
type budget struct{ left int }

func newBudget() *budget { return &budget{left: maxEchoWork} }

// holds reports whether text is a secret value, or holds one of at least minEchoLen bytes.
// complete is false when the budget ran out before the whole text was searched (found is
// then false).
func (s *secretStore) holds(text string, b *budget) (found, complete bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.exact) == 0 {
		return false, true
	}
	if s.lengths[len(text)] > 0 {
		if _, ok := s.exact[sha256.Sum256([]byte(text))]; ok {
			return true, true
		}
	}
	if len(s.starts) == 0 {
		return false, true
	}
	for i := 0; i+minEchoLen <= len(text); i++ {
		h := maphash.String(s.seed, text[i:i+minEchoLen])
		if s.filter[(h%filterBits)/64]&(1<<(h%64)) == 0 {
			continue
		}
		for _, ref := range s.starts[h] {
			if b.left < minEchoLen {
				return false, false
			}
			b.left -= minEchoLen // each candidate looked at costs a little
			if ref.n > len(text)-i {
				continue // longer than what is left of the text
			}
			if b.left < ref.n {
				return false, false
			}
			b.left -= ref.n
			if sha256.Sum256([]byte(text[i:i+ref.n])) == ref.sum {
				return true, true
			}
		}
	}
	return false, true
}

// segment is one segment of a pointer as the proxy shows it: escaped, or Redacted when it is
// longer than maxPointerSegment, holds anything shaped like a key or holds a secret value (or
// could not be searched to its end).
func (p *Proxy) segment(seg string, b *budget) string {
	if len(seg) > maxPointerSegment || p.holdsSecret(seg, b) {
		return sensitive.Redacted
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(seg)
}

// holdsSecret reports whether a text the proxy would show holds anything shaped like a key or
// a secret value, or could not be searched to its end.
func (p *Proxy) holdsSecret(text string, b *budget) bool {
	if sensitive.HasKey(text) {
		return true
	}
	found, complete := p.secrets.holds(text, b)
	return found || !complete
}

// showPath is an escaped request path as the proxy logs and lists it: each segment holding a
// key or a secret value, escaped or not, is Redacted.
func (p *Proxy) showPath(escaped string, b *budget) string {
	segs := strings.Split(sensitive.RedactPath(escaped), "/")
	for i, seg := range segs {
		dec, err := url.PathUnescape(seg)
		if err != nil {
			dec = seg
		}
		if p.holdsSecret(seg, b) || p.holdsSecret(dec, b) {
			segs[i] = sensitive.Redacted
		}
	}
	return strings.Join(segs, "/")
}

// showText is a text the upstream may have chosen (a transport error's words) as the proxy
// logs and answers it: without keys, and not at all when it holds a secret value.
func (p *Proxy) showText(text string) string {
	if found, complete := p.secrets.holds(text, newBudget()); found || !complete {
		return "(not shown: it holds a value sent through the proxy)"
	}
	return sensitive.RedactKeys(text)
}
