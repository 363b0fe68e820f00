package mockserver_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/determinism"

	"github.com/google/go-cmp/cmp"

	"github.com/mixpeekkit/mixpeekkit/fixtures"
	"github.com/mixpeekkit/mixpeekkit/internal/keyring"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
)

// The log has one line per request and never a secret value, a plaintext key or the
// Authorization header.
func TestLogsShowNoSecretValueOrKey(t *testing.T) {
	h := newHarness(t)
	value := "LOGGED-SECRET-VALUE-77"
	h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "s", "secret_value": value})
	h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "s", "secret_value": value})
	h.send("PUT", secretsURL+"/s", adminKey, map[string]any{"secret_value": value + "-2"})
	h.send("POST", secretsURL, adminKey, `{"secret_name": "", "secret_value": "`+value+`"}`)
	created := h.createKey(map[string]any{"name": "k"})
	rotated := h.send("POST", adminKeys+"/k/rotate", adminKey, nil).json(t)
	h.send("GET", secretsURL, rotated["key"].(string), nil)
	h.send("GET", secretsURL, created["key"].(string), nil)                 // 401: rotated away
	h.send("DELETE", secretsURL+"/"+rotated["key"].(string), adminKey, nil) // a key pasted as a secret name: 404

	logs := h.logs.String()
	for what, s := range map[string]string{
		"secret value": value, "admin key": adminKey, "created key": created["key"].(string),
		"rotated key": rotated["key"].(string), "Authorization header": "Bearer",
	} {
		if strings.Contains(logs, s) {
			t.Errorf("the log shows the %s", what)
		}
	}
	if n := strings.Count(logs, `"msg":"request","method":"`) - strings.Count(logs, `"path":"/_mock/`); n != 9 {
		t.Errorf("%d request lines for 9 requests:\n%s", n, logs)
	}
	for _, want := range []string{`"method":"POST"`, `"path":"/v1/organizations/secrets"`, `"status":201`, `"status":409`, `"status":422`, `"status":401`, `"duration":`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %s", want)
		}
	}
}

// Tokens made with one key still open after the ring is rotated (new key first), and new
// tokens are made with the new key.
func TestEncryptionKeyRotation(t *testing.T) {
	oldKey, newKeyText := newKey(t), newKey(t)
	seed := fixtures.SeedOf(defaultOrg.WithSecret("seeded", "seeded-value"))
	h := newHarness(t, func(o *mockserver.Options) { o.EncryptionKey = oldKey; o.Seed = seed })
	h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "s", "secret_value": "before"})
	tokens := map[string]string{}
	for _, s := range h.state().Organizations[0].Secrets {
		tokens[s.Name] = s.Token
	}

	rotated, err := keyring.Parse(newKeyText + "," + oldKey)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"seeded": "seeded-value", "s": "before"} {
		got, err := rotated.Decrypt([]byte(tokens[name]))
		if err != nil || string(got) != want {
			t.Errorf("%s after rotation: %q, %v", name, got, err)
		}
	}

	h2 := newHarness(t, func(o *mockserver.Options) { o.EncryptionKey = newKeyText + ", " + oldKey })
	h2.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "s", "secret_value": "after"})
	onlyNew, _ := keyring.Parse(newKeyText)
	onlyOld, _ := keyring.Parse(oldKey)
	tok := []byte(h2.state().Organizations[0].Secrets[0].Token)
	if got, err := onlyNew.Decrypt(tok); err != nil || string(got) != "after" {
		t.Errorf("new token with the new key: %q, %v", got, err)
	}
	if _, err := onlyOld.Decrypt(tok); err == nil {
		t.Error("a new token opened with the old key: the first key of the ring must encrypt")
	}
}

func TestConcurrentUse(t *testing.T) {
	h := newHarness(t)
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan string, workers*each*4)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				name := fmt.Sprintf("s-%d-%d", w, i)
				if r := h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": name, "secret_value": "v"}); r.status != http.StatusCreated {
					errs <- fmt.Sprintf("create %s: %d", name, r.status)
				}
				if r := h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "contended", "secret_value": "v"}); r.status != http.StatusCreated && r.status != http.StatusConflict {
					errs <- fmt.Sprintf("contended create: %d", r.status)
				}
				kr := h.send("POST", adminKeys, adminKey, map[string]any{"name": name})
				if kr.status != http.StatusOK {
					errs <- fmt.Sprintf("create key %s: %d", name, kr.status)
					continue
				}
				if r := h.send("POST", adminKeys+"/"+name+"/rotate", adminKey, nil); r.status != http.StatusOK {
					errs <- fmt.Sprintf("rotate %s: %d", name, r.status)
				}
				if r := h.send("GET", secretsURL, adminKey, nil); r.status != http.StatusOK {
					errs <- fmt.Sprintf("list: %d", r.status)
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	r := h.send("GET", secretsURL, adminKey, nil)
	if got := r.json(t)["count"]; got != float64(workers*each+1) {
		t.Errorf("count %v, want %d", got, workers*each+1)
	}
	if got := len(listKeys(t, h, "")); got != workers*each+1 {
		t.Errorf("%d keys, want %d", got, workers*each+1)
	}
}

func TestResetReturnsToTheSeed(t *testing.T) {
	h := newHarness(t)
	before := h.state()
	h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "s", "secret_value": "v"})
	h.createKey(map[string]any{"name": "k"})
	h.clock.Advance(time.Hour)
	r := h.send("POST", "/_mock/reset", "", nil)
	if r.status != http.StatusOK {
		t.Fatalf("reset: %d", r.status)
	}
	after := h.state()
	// last_used_at of the admin-key is part of the seed's state too: never used at start.
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("state after reset (-seed +after):\n%s", diff)
	}
	if r := h.send("GET", "/_mock/health", "", nil); r.status != http.StatusOK || !cmp.Equal(map[string]any{"status": "ok"}, r.json(t)) {
		t.Errorf("health: %d %s", r.status, r.raw)
	}
}

// One reset returns the whole mock to its start: organizations, faults (their IDs too),
// journal, and the clock back to its source; a reset of one organization touches only it.
func TestResetReturnsEverythingToTheStart(t *testing.T) {
	h := newHarness(t)
	start := h.srv.Now()
	tenant := h.createOrg(nil)
	h.ctl("POST", "/_mock/faults", map[string]any{"operation_id": "list_secrets_v1_organizations_secrets_get", "latency_ms": 1})
	h.send("GET", secretsURL, adminKey, nil)
	h.ctl("POST", "/_mock/clock", map[string]any{"advance": "48h"})

	// A reset of one organization touches nothing else.
	if r := h.ctl("POST", "/_mock/orgs/"+tenant.ID+"/reset", nil); r.status != http.StatusOK {
		t.Fatalf("reset of one organization: %d", r.status)
	}
	if len(h.srv.Faults()) != 1 || len(h.srv.Requests()) != 1 || h.srv.Now().Sub(start) < 48*time.Hour {
		t.Errorf("a reset of one organization touched the faults, journal or clock")
	}

	if r := h.ctl("POST", "/_mock/reset", nil); r.status != http.StatusOK {
		t.Fatalf("reset: %d", r.status)
	}
	if n := len(h.srv.Organizations()); n != 1 {
		t.Errorf("%d organizations after reset, want the seed's 1", n)
	}
	if f := h.srv.Faults(); len(f) != 0 {
		t.Errorf("faults after reset: %+v", f)
	}
	if j := h.srv.Requests(); len(j) != 0 {
		t.Errorf("journal after reset: %d entries", len(j))
	}
	if now := h.srv.Now(); !now.Equal(start) {
		t.Errorf("the clock shows %s after reset, want its source's %s", now, start)
	}
	if f, err := h.srv.AddFault(mockserver.Fault{LatencyMS: 1}); err != nil || f.ID != "flt_1" {
		t.Errorf("the first fault after reset is %q (%v), want flt_1", f.ID, err)
	}
}

// With a fixed clock and a seeded random source, two servers answer byte for byte alike.
func TestDeterministicAnswers(t *testing.T) {
	run := func() []string {
		h := newHarness(t, func(o *mockserver.Options) { o.Rand = determinism.Rand(7) })
		var out []string
		for _, r := range []reply{
			h.send("POST", adminKeys, adminKey, map[string]any{"name": "a"}),
			h.send("POST", adminKeys+"/a/rotate", adminKey, nil),
			h.send("GET", adminKeys+"?include_revoked=true", adminKey, nil),
			h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "s", "secret_value": "v"}),
		} {
			out = append(out, string(r.raw))
		}
		return out
	}
	first, second := run(), run()
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("answers differ between identical runs (-first +second):\n%s", diff)
	}
}

// A refused request draws no randomness: the next key is the same as without it.
func TestRefusedRequestsDoNotShiftIDs(t *testing.T) {
	next := func(refusedFirst bool) map[string]any {
		h := newHarness(t, func(o *mockserver.Options) { o.Rand = determinism.Rand(9) })
		if refusedFirst {
			h.send("POST", adminKeys, adminKey, map[string]any{"name": "admin-key"})                          // 409
			h.send("POST", "/v1/organizations/users/x%40y.z/api-keys", adminKey, map[string]any{"name": "k"}) // 404
			h.send("POST", adminKeys+"/nope/rotate", adminKey, nil)                                           // 404
		}
		return h.createKey(map[string]any{"name": "k"})
	}
	a, b := next(false), next(true)
	for _, f := range []string{"key", "key_id", "internal_id"} {
		if a[f] != b[f] {
			t.Errorf("%s differs after refused requests: %v vs %v", f, a[f], b[f])
		}
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	good := fixtures.SeedOf(defaultOrg)
	edit := func(f func(*fixtures.Seed)) fixtures.Seed {
		s, err := fixtures.Default() // new data at each call
		if err != nil {
			t.Fatal(err)
		}
		f(&s)
		return s
	}
	for _, tc := range []struct {
		name string
		opts mockserver.Options
		want string
	}{
		{"bad encryption key", mockserver.Options{EncryptionKey: "not-a-key"}, "mockserver: Options.EncryptionKey: key 1 of 1 is not"},
		{"bad admin key", mockserver.Options{Seed: edit(func(s *fixtures.Seed) { s.Organizations[0].Users[0].Keys[0].Plaintext = "short" })}, `key must be "sk_"`},
		{"bad email", mockserver.Options{Seed: edit(func(s *fixtures.Seed) { s.Organizations[0].Users[0].Email = "not-an-email" })}, "not an email"},
		{"no admin-key", mockserver.Options{Seed: edit(func(s *fixtures.Seed) { s.Organizations[0].Users[0].Keys[0].Name = "other" })}, `no live key named "admin-key"`},
		{"admin-key without admin", mockserver.Options{Seed: edit(func(s *fixtures.Seed) { s.Organizations[0].Users[0].Keys[0].Permissions = []string{"read"} })}, "lacks the admin permission"},
		{"unknown permission", mockserver.Options{Seed: edit(func(s *fixtures.Seed) { s.Organizations[0].Users[0].Keys[0].Permissions = []string{"root"} })}, `api key 1 ("admin-key"): permissions item 1 must be one of read, write, delete, admin`},
		{"key name too long", mockserver.Options{Seed: edit(func(s *fixtures.Seed) {
			s.Organizations[0].Users[0].Keys = append(s.Organizations[0].Users[0].Keys, fixtures.Key{Name: strings.Repeat("k", 101)})
		})}, "name must be at most 100 characters"},
		{"empty secret value", mockserver.Options{Seed: edit(func(s *fixtures.Seed) {
			s.Organizations[0].Secrets = []fixtures.Secret{{Name: "a", Value: ""}}
		})}, `secret 1 ("a"): value must not be empty`},
		{"duplicate secret", mockserver.Options{Seed: edit(func(s *fixtures.Seed) {
			s.Organizations[0].Secrets = []fixtures.Secret{{Name: "a", Value: "1"}, {Name: "a", Value: "2"}}
		})}, "used twice"},
		{"same key twice", mockserver.Options{Seed: edit(func(s *fixtures.Seed) {
			s.Organizations = append(s.Organizations, good.Organizations[0])
		})}, "same plaintext"},
		{"failing random source", mockserver.Options{Rand: strings.NewReader("")}, "random source"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mockserver.New(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
			for _, o := range tc.opts.Seed.Organizations {
				for _, u := range o.Users {
					for _, k := range u.Keys {
						if k.Plaintext != "" && strings.Contains(err.Error(), k.Plaintext) {
							t.Error("the error shows the key")
						}
					}
				}
			}
		})
	}
}

// A seed without organizations is the default data set: one organization, owned by the
// default owner, whose admin key works.
func TestEmptySeedServesTheDefault(t *testing.T) {
	srv, err := mockserver.New(mockserver.Options{Seed: fixtures.Seed{}})
	if err != nil {
		t.Fatal(err)
	}
	orgs := srv.Organizations()
	if len(orgs) != 1 || orgs[0].OwnerEmail != adminEmail || orgs[0].Name != defaultOrg.Name {
		t.Fatalf("organizations %+v", orgs)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", secretsURL, nil)
	req.Header.Set("Authorization", "Bearer "+adminKey)
	srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("the default admin key: %d %s", rec.Code, rec.Body)
	}
}

// A key in a path is redacted in its decoded form, however it is escaped, in the log (text and
// JSON) and the journal alike.
func TestEscapedKeysInPathsAreRedacted(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var logs syncBuffer
			h := newHarness(t, func(o *mockserver.Options) {
				o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
				if format == "json" {
					o.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
				}
			})
			key := h.createKey(map[string]any{"name": "k"})["key"].(string)
			tail := key[4:] // after "sk_" and the first character, which the paths escape
			for _, p := range []string{
				secretsURL + "/sk_%" + fmt.Sprintf("%02X", key[3]) + tail,
				secretsURL + "/sk%5F" + key[3:],
				adminKeys + "/" + strings.ReplaceAll(key, "_", "%5F") + "/rotate",
			} {
				if r := h.send("DELETE", p, adminKey, nil); r.status != http.StatusNotFound && r.status != http.StatusMethodNotAllowed {
					t.Errorf("%s: %d", p, r.status)
				}
			}
			journal, _ := json.Marshal(onlyMethod(h.srv.Requests(), "DELETE"))
			for where, text := range map[string]string{"log": logs.String(), "journal": string(journal)} {
				if strings.Contains(text, tail) {
					t.Errorf("the %s shows the key:\n%s", where, text)
				}
				if strings.Count(text, "[REDACTED]") < 3 {
					t.Errorf("the %s redacts fewer than 3 paths:\n%s", where, text)
				}
			}
		})
	}
}
