package sensitive

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const key = "sk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcde"

func TestIsKey(t *testing.T) {
	for s, want := range map[string]bool{
		key:                                   true,
		"sk_" + strings.Repeat("a", 40):       true,
		"sk_" + strings.Repeat("a", 39):       false,
		"sk_" + strings.Repeat("a", 39) + "!": false,
		"pk_" + strings.Repeat("a", 43):       false,
		" " + key:                             false,
		"":                                    false,
	} {
		if got := IsKey(s); got != want {
			t.Errorf("IsKey(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestNewKeyHashPrefix(t *testing.T) {
	k, err := NewKey(bytes.NewReader(bytes.Repeat([]byte{0xff}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	if k != "sk_"+strings.Repeat("_", 42)+"8" || !IsKey(k) {
		t.Errorf("NewKey = %q", k)
	}
	if _, err := NewKey(bytes.NewReader(make([]byte, 31))); err == nil {
		t.Error("a random source that runs dry gave a key")
	}
	// The SHA-256 of "abc", from FIPS 180-2.
	if got := Hash("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("Hash(abc) = %s", got)
	}
	if got := Prefix(key); got != "sk_AbCdEfG..." || len(got) != 13 {
		t.Errorf("Prefix = %q", got)
	}
	if got := Prefix("sk_x"); got != "sk_x..." {
		t.Errorf("Prefix of a short string = %q", got)
	}
}

func TestRedactKeys(t *testing.T) {
	in := "Bearer " + key + " and sk_AbCdEfG... and sk_" + strings.Repeat("z", 20)
	want := "Bearer [REDACTED] and sk_AbCdEfG... and [REDACTED]"
	if got := RedactKeys(in); got != want {
		t.Errorf("RedactKeys = %q", got)
	}
	if !HasKey("x"+key) || HasKey("sk_AbCdEfG...") {
		t.Error("HasKey")
	}
}

func TestSecretMemberAnyCase(t *testing.T) {
	for _, name := range []string{"secret_value", "Secret_Value", "VALUE", "key", "Admin_Key", "api_key", "token", "password", "plaintext", "Authorization"} {
		if !SecretMember(name) {
			t.Errorf("%s is not secret", name)
		}
	}
	for _, name := range []string{"secret_name", "name", "key_name", "key_prefix", "keys", ""} {
		if SecretMember(name) {
			t.Errorf("%s is secret", name)
		}
	}
}

func TestRedactJSON(t *testing.T) {
	var v any
	raw := `{"secret_name":"n","secret_value":{"nested":"x"},"Key":"k","scopes":[{"resource_id":"` + key + `"}],` +
		`"` + key + `":"y","list":["a","note: ` + key + `"],"n":5,"ok":true,"nil":null}`
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		t.Fatal(err)
	}
	before, _ := json.Marshal(v)
	got := RedactJSON(v)
	want := map[string]any{
		"secret_name": "n", "secret_value": Redacted, "Key": Redacted,
		"scopes": []any{map[string]any{"resource_id": Redacted}}, Redacted: Redacted,
		"list": []any{"a", "note: " + Redacted}, "n": 5.0, "ok": true, "nil": nil,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RedactJSON (-want +got):\n%s", diff)
	}
	if after, _ := json.Marshal(v); !bytes.Equal(before, after) {
		t.Error("RedactJSON changed its argument")
	}
}

func TestRedactQuery(t *testing.T) {
	got, err := url.ParseQuery(RedactQuery("include_revoked=true&token=t0ps3cret&" + key + "=1&q=" + key))
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{"include_revoked": {"true"}, "token": {Redacted}, Redacted: {"1"}, "q": {Redacted}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RedactQuery (-want +got):\n%s", diff)
	}
	if RedactQuery("") != "" || strings.Contains(RedactQuery("a=%zz&key=secretvalue"), "secretvalue") {
		t.Error("RedactQuery of an empty or unparseable query")
	}
}

func TestKeyFrom(t *testing.T) {
	a, again, b := KeyFrom("a"), KeyFrom("a"), KeyFrom("b")
	if a != again || a == b || !IsKey(a) || !strings.HasPrefix(a, "sk_test_") {
		t.Errorf("KeyFrom: %q %q %q", a, again, b)
	}
}

// A key is found in a path however it is escaped, and only its segment is replaced.
func TestRedactPath(t *testing.T) {
	enc := "sk_%4" + "1" + key[4:] // sk_A… with the A escaped
	for in, want := range map[string]string{
		"/v1/organizations/secrets/" + key:                            "/v1/organizations/secrets/" + Redacted,
		"/v1/organizations/secrets/" + enc:                            "/v1/organizations/secrets/" + Redacted,
		"/v1/organizations/secrets/sk%5F" + key[3:]:                   "/v1/organizations/secrets/" + Redacted,
		"/v1/organizations/users/a%40b.c/api-keys/" + key + "/rotate": "/v1/organizations/users/a%40b.c/api-keys/" + Redacted + "/rotate",
		"/v1/organizations/secrets/stripe_api_key":                    "/v1/organizations/secrets/stripe_api_key",
		"/v1/organizations/secrets/%zz":                               "/v1/organizations/secrets/%zz",
	} {
		if got := RedactPath(in); got != want {
			t.Errorf("RedactPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// Cut keeps a short text whole, and cuts a long one at a whole character, saying how long the
// whole was.
func TestCut(t *testing.T) {
	if got := Cut("short", 10, 5); got != "short" {
		t.Errorf("Cut of a short text: %q", got)
	}
	if got := Cut("abcdefgh", 4, 99); got != "abcd… [cut: 99 bytes in all]" {
		t.Errorf("Cut: %q", got)
	}
	// "é" is two bytes: a cut in its middle keeps the whole characters before it.
	if got := Cut("aéé", 2, 5); got != "a… [cut: 5 bytes in all]" {
		t.Errorf("Cut inside a character: %q", got)
	}
}
