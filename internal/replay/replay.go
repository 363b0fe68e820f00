// Package replay replays a consumer's recording (package recording) against any server: every
// symbol becomes a name under the run's prefix, every value placeholder a fresh value, every
// key symbol the key the replay itself was given; each answer must have the recorded status,
// the recorded shape where openapi.yaml fixes it, and validate against openapi.yaml. It goes on after a difference, skipping the
// calls that need what the server did not give (a key it did not issue), and touches nothing
// outside its prefix (the admin-key only with Config.Destructive).
package replay

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/suite"

	"github.com/mixpeekkit/mixpeekkit/internal/recfmt"

	"github.com/mixpeekkit/mixpeekkit"
)

// Replay plays a recording against the run's server, in order: the setup calls that create
// what the recording starts with (its seeded symbols), then each call, with a reset marker
// cleaning up and setting up again; each becomes a result handed to each as it finishes, and
// the calls a full recording dropped a skipped one. movesClock says whether the run's Sleep
// moves the target's clock (otherwise it waits, up to maxClockWait). It returns what cleanup
// could not remove after each reset; the caller cleans up at the end (Suite.CleanupOnce).
func Replay(ctx context.Context, s *suite.Suite, rec *recfmt.Recording, movesClock bool, each func(suite.Result)) (leftovers []string) {
	rp := &replayer{s: s, rec: rec, movesClock: movesClock, each: each}
	rp.setup(ctx)
	for _, c := range rec.Calls {
		if ctx.Err() != nil {
			break
		}
		switch {
		case c.Reset:
			rp.revoked, rp.refused = nil, nil // the next generation's names are new
			leftovers = append(leftovers, s.Cleanup()...)
			rp.setup(ctx)
			continue
		case c.Clock != "":
			rp.moveClock(ctx, c)
			continue
		}
		each(rp.play(ctx, c))
	}
	if rec.Faulted > 0 && ctx.Err() == nil {
		each(suite.Result{ID: "replay/faulted-calls", Category: "replay", Status: suite.Skip,
			Description: "the calls a fault of the mock answered",
			SkipReason: fmt.Sprintf("a fault of the mock answered %s of the recording (%d of them outside the contract: 429, 502, 503 or 504): they did not run there, and are not replayed",
				suite.Plural(rec.Faulted, "call"), rec.OutsideContract)})
	}
	if rec.Dropped > 0 && ctx.Err() == nil {
		each(suite.Result{ID: "replay/dropped-calls", Category: "replay", Status: suite.Skip,
			Description: "the calls the recording did not keep",
			SkipReason:  fmt.Sprintf("the recording did not keep its last %d calls (a mock keeps the first JournalSize calls of an organization): they were not replayed", rec.Dropped)})
	}
	return leftovers
}

// maxClockWait is the longest clock move a replay waits for in real time when Config.Sleep
// is not given.
const maxClockWait = 30 * time.Second

// moveClock follows a recorded move of the mock's clock: with Config.Sleep (which moves the
// clock of this project's mock: MockClock, AdvanceClock), or by waiting when the move is
// short; a longer move, or one back in time, skips the rest of the recording, whose expiries
// the replay cannot reproduce.
func (rp *replayer) moveClock(ctx context.Context, c recfmt.Call) {
	d, err := time.ParseDuration(c.Clock)
	switch {
	case rp.stuck != "":
	case err != nil || d < 0:
		rp.stuck = fmt.Sprintf("the recording moves the mock's clock back (%s) at %d: a replay cannot", c.Clock, c.Seq)
	case !rp.movesClock && d > maxClockWait:
		rp.stuck = fmt.Sprintf("the recording moves the mock's clock by %s at %d; a replay waits %s at most (against this project's mock, Config.Sleep can move its clock)", c.Clock, c.Seq, maxClockWait)
	default:
		if err := rp.s.Sleep(ctx, d); err != nil {
			rp.stuck = fmt.Sprintf("moving the clock by %s at %d failed: %v", c.Clock, c.Seq, err)
		} else if rp.movesClock {
			rp.clockShift += d // the target's clock moved; the replay's did not
		}
	}
}

// replayer is one replay on its way.
type replayer struct {
	s      *suite.Suite
	rec    *recfmt.Recording
	each   func(suite.Result)
	setups int               // setup calls so far, which numbers them
	creds  map[string]string // credential symbol → plaintext key
	// movesClock says whether Config.Sleep was given (it moves the target's clock, or waits
	// as the caller chose); stuck, once set, is why every call that follows is skipped.
	movesClock bool
	clockShift time.Duration
	stuck      string
	// gen counts the resets: names after a reset are new names (<prefix>-r2-secret1), as a
	// revoked key cannot be removed and would otherwise be listed as the new one's.
	gen int
	// revoked are the key symbols whose key this replay saw revoked: whether such a name may
	// be used again is the server's choice (P8).
	revoked map[string]bool
	// refused are the key symbols whose create the server refused where the recording's
	// succeeded, by that choice: a list of this replay then lacks their live key.
	refused map[string]bool
}

// name is the replay's name for a symbol: a name under the prefix, an email for a user.
func (rp *replayer) name(sym string) string {
	switch {
	case sym == recfmt.Owner:
		return rp.s.UserEmail
	case recfmt.KindOf(sym) == recfmt.KindUser:
		return rp.namePrefix() + strings.TrimPrefix(sym, "$") + "@example.invalid"
	}
	return rp.namePrefix() + strings.TrimPrefix(sym, "$")
}

// namePrefix starts the names of the current generation.
func (rp *replayer) namePrefix() string {
	if rp.gen > 1 {
		return fmt.Sprintf("%s-r%d-", rp.s.Prefix, rp.gen)
	}
	return rp.s.Prefix + "-"
}

// symbolOf is the symbol of one of the replay's names of the current generation ("" for any
// other name).
func (rp *replayer) symbolOf(kind, name string) string {
	rest, ok := strings.CutPrefix(name, rp.namePrefix())
	if sym := "$" + rest; ok && recfmt.KindOf(sym) == kind {
		return sym
	}
	return ""
}

// setup creates what the recording starts with: its seeded secrets, and the seeded keys of
// its user (revoked at once when recorded revoked).
func (rp *replayer) setup(ctx context.Context) {
	rp.gen++
	// The keys a replay was given before a reset stay known: cleanup revoked them, so they
	// get the 401 the mock gave for keys its reset removed.
	if rp.creds == nil {
		rp.creds = map[string]string{recfmt.Admin: rp.s.APIKey}
	}
	for _, sym := range slices.Sorted(maps.Keys(rp.rec.Symbols)) {
		d := rp.rec.Symbols[sym]
		if !d.Seeded {
			continue
		}
		switch {
		case d.Kind == recfmt.KindSecret:
			rp.setupCall(ctx, mixpeekkit.OpCreateSecret, http.StatusCreated, func(t *suite.T) suite.Request {
				t.TrackSecret(rp.name(sym), suite.Bearer(rp.s.APIKey))
				return suite.Request{Method: "POST", Path: suite.SecretsPath, Auth: suite.Bearer(rp.s.APIKey),
					Body: map[string]any{"secret_name": rp.name(sym), "secret_value": t.SecretValue()}}
			}, nil)
		case d.Kind == recfmt.KindKey && d.User == recfmt.Owner:
			rp.setupKeys(ctx, sym, d.Keys)
		}
	}
}

// setupKeys creates the seeded keys of a name: the revoked ones first (created, then revoked),
// so that a live key can then take the name; each is the credential of its place in the
// fixtures ($key1, $key1@2...).
func (rp *replayer) setupKeys(ctx context.Context, sym string, keys []recfmt.SeededKey) {
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(btoi(keys[a].Status != "revoked"), btoi(keys[b].Status != "revoked"))
	})
	for _, i := range order {
		k, cred := keys[i], sym
		if i > 0 {
			cred = sym + "@" + strconv.Itoa(i+1)
		}
		ok := rp.setupCall(ctx, mixpeekkit.OpCreateAPIKey, http.StatusOK, func(t *suite.T) suite.Request {
			t.TrackKey(rp.name(sym))
			body := map[string]any{"name": rp.name(sym), "permissions": append([]string{}, k.Permissions...)}
			if tok, err := recfmt.ParseToken(k.Expires); err == nil && tok.Kind == recfmt.TokenNow {
				body["expires_at"] = rp.instant(tok.Offset)
			} else if k.Status == "expired" {
				body["expires_at"] = rp.instant(-time.Hour)
			}
			return suite.Request{Method: "POST", Path: t.KeysPath(), Auth: suite.Bearer(rp.s.APIKey), Body: body}
		}, func(ex *suite.Exchange) { rp.creds[cred] = ex.Str("key") })
		if ok && k.Status == "revoked" {
			rp.setupCall(ctx, mixpeekkit.OpDeleteAPIKey, http.StatusOK, func(t *suite.T) suite.Request {
				return suite.Request{Method: "DELETE", Path: t.KeyPath(rp.name(sym)), Auth: suite.Bearer(rp.s.APIKey)}
			}, nil)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// instant is the time d from the target's clock, as the contract writes it: the replay's
// clock, plus the moves it made to the target's (Config.Sleep).
func (rp *replayer) instant(d time.Duration) string {
	return time.Now().UTC().Add(rp.clockShift + d).Truncate(time.Second).Format(time.RFC3339)
}
