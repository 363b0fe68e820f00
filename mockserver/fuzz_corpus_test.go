package mockserver

// The seed corpus of the fuzz targets (fuzz_test.go): every input below is a file of
// testdata/fuzz/<target>/, which `go test` runs as a regular test of its target. The list holds
// the hostile inputs of the bugs already fixed, so that none comes back, and an ordinary valid
// request of each operation. After a change here:
//
//	go test ./mockserver/ -run '^TestFuzzSeedCorpus$' -write-fuzz-corpus

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/internal/memtest"
)

var writeFuzzCorpus = flag.Bool("write-fuzz-corpus", false, "write testdata/fuzz/ from fuzzSeeds")

type fuzzSeed struct {
	target, name string
	args         []any
}

// fuzzCorpusFile is an input in the format of go test's corpus files.
func fuzzCorpusFile(args []any) []byte {
	b := []byte("go test fuzz v1\n")
	for _, a := range args {
		switch v := a.(type) {
		case uint8:
			b = fmt.Appendf(b, "uint8(%d)\n", v)
		case bool:
			b = fmt.Appendf(b, "bool(%t)\n", v)
		case string:
			b = fmt.Appendf(b, "string(%q)\n", v)
		case []byte:
			b = fmt.Appendf(b, "[]byte(%q)\n", v)
		default:
			panic(fmt.Sprintf("fuzz corpus: a %T", a))
		}
	}
	return b
}

func fuzzSeeds() []fuzzSeed {
	var seeds []fuzzSeed
	add := func(target, name string, args ...any) {
		seeds = append(seeds, fuzzSeed{target: target, name: name, args: args})
	}
	indexOf := func(list []string, id string) uint8 {
		i := slices.Index(list, id)
		if i < 0 {
			panic("fuzz corpus: no operation " + id)
		}
		return uint8(i)
	}

	// FuzzBody: (operation, body, Content-Type).
	const js = "application/json"
	body := func(name string, id any, data, contentType string) {
		add("FuzzBody", name, indexOf(fuzzBodyOperations, fmt.Sprint(id)), []byte(data), contentType)
	}
	var (
		createSecret = mixpeekkit.OpCreateSecret
		updateSecret = mixpeekkit.OpUpdateSecret
		createKey    = mixpeekkit.OpCreateAPIKey
		updateKey    = mixpeekkit.OpUpdateAPIKey
	)
	// Ordinary requests of each operation.
	body("create-secret", createSecret, `{"secret_name": "fuzz_new", "secret_value": "a new secret value 9c4f"}`, js)
	body("update-secret", updateSecret, `{"secret_value": "an updated value 0e7d"}`, js)
	body("create-key", createKey, `{"name": "fuzz-new", "description": "made by a seed", "permissions": ["read", "write"], "scopes": [{"resource_type": "namespace", "resource_id": "ns_1", "operations": ["read_data"]}], "rate_limit_override": 10, "expires_at": "2030-01-01T00:00:00Z"}`, js)
	body("create-key-minimal", createKey, `{"name": "k"}`, js)
	body("update-key", updateKey, `{"name": "renamed", "description": null, "permissions": ["read", "delete"], "scopes": null, "rate_limit_override": null, "expires_at": "2031-05-06T07:08:09.123456+02:00"}`, js)
	body("update-key-revoke", updateKey, `{"status": "revoked"}`, js)
	body("update-key-active", updateKey, `{"status": "active", "rate_limit_override": 3}`, js)
	body("update-key-status-expired", updateKey, `{"status": "expired"}`, js)
	body("update-key-rename-to-admin-key", updateKey, `{"name": "admin-key"}`, js)
	body("update-key-expire-now", updateKey, `{"expires_at": "2000-01-01T00:00:00Z"}`, js)
	body("create-org", "mock_create_org", `{"name": "Tenant Fuzz", "owner_email": "x@tenant.test"}`, js)
	body("create-org-empty-object", "mock_create_org", `{}`, js)
	body("create-org-no-body", "mock_create_org", ``, "")
	body("create-org-given-key", "mock_create_org", `{"admin_key": "sk_`+strings.Repeat("G", 43)+`"}`, js)
	body("create-org-seeded-key", "mock_create_org", `{"admin_key": "`+fuzzOtherAdminKey+`"}`, js)
	body("create-org-bad-email", "mock_create_org", `{"owner_email": "not an email"}`, js)
	body("create-fault", "mock_create_fault", `{"operation_id": "list_secrets_v1_organizations_secrets_get", "status": 500, "times": 1}`, js)
	body("create-fault-latency", "mock_create_fault", `{"latency_ms": 60000, "jitter_ms": 60000, "probability": 0.5}`, js)
	body("create-fault-close", "mock_create_fault", `{"close_connection": true, "path": "/v1/organizations/secrets/*", "method": "PUT"}`, js)
	body("create-fault-no-action", "mock_create_fault", `{"method": "GET"}`, js)
	body("create-fault-bad-pattern", "mock_create_fault", `{"status": 404, "path": "["}`, js)
	body("create-fault-undeclared-status", "mock_create_fault", `{"operation_id": "list_secrets_v1_organizations_secrets_get", "status": 409}`, js)
	body("create-fault-unknown-operation", "mock_create_fault", `{"operation_id": "nope", "status": 400}`, js)
	body("set-clock-advance", "mock_set_clock", `{"advance": "24h"}`, js)
	body("set-clock-set", "mock_set_clock", `{"set": "2030-01-01T00:00:00Z"}`, js)
	body("set-clock-both", "mock_set_clock", `{"advance": "1h", "set": "2030-01-01T00:00:00Z"}`, js)
	body("set-clock-negative", "mock_set_clock", `{"advance": "-1h"}`, js)
	body("set-clock-max-advance", "mock_set_clock", `{"advance": "2562047h"}`, js)

	// Scope members under another letter case, after the exact ones.
	scope := `{"resource_type": "namespace", "resource_id": "ns_1", "operations": ["read_data"], "RESOURCE_TYPE": "bogus", "Resource_Id": "other", "Operations": ["write_data"]}`
	body("scope-case-variants-create", createKey, `{"name": "scoped", "scopes": [`+scope+`]}`, js)
	body("scope-case-variants-patch", updateKey, `{"scopes": [`+scope+`, `+scope+`]}`, js)
	body("case-variant-members", createSecret, `{"secret_name": "ok", "Secret_Name": "", "secret_value": "v", "Secret_Value": ""}`, js)
	body("case-variant-permissions", createKey, `{"name": "k", "Permissions": ["superuser"], "Rate_Limit_Override": 0}`, js)
	// Date-times that cannot be answered back once in UTC, and a leap second.
	for _, at := range []struct{ name, value string }{{"past-9999", "9999-12-31T23:59:59-23:59"}, {"before-year-1", "0000-01-01T00:00:00+23:59"}} {
		body("expires-at-"+at.name+"-create", createKey, `{"name": "late", "expires_at": "`+at.value+`"}`, js)
		body("expires-at-"+at.name+"-patch", updateKey, `{"expires_at": "`+at.value+`"}`, js)
		body("clock-set-"+at.name, "mock_set_clock", `{"set": "`+at.value+`"}`, js)
	}
	body("expires-at-leap-second", createKey, `{"name": "leap", "expires_at": "2030-06-30T23:59:60Z"}`, js)
	body("clock-set-far-future", "mock_set_clock", `{"set": "2226-01-02T03:04:06Z"}`, js)
	body("clock-set-year-9999", "mock_set_clock", `{"set": "9999-12-31T23:59:59Z"}`, js)
	// Text JSON cannot carry unchanged.
	body("invalid-utf8-secret-name", createSecret, "{\"secret_name\": \"a\xffb\", \"secret_value\": \"v\"}", js)
	body("invalid-utf8-secret-value", createSecret, "{\"secret_name\": \"n\", \"secret_value\": \"invalid \xff utf-8 value\"}", js)
	body("overlong-secret-value", createSecret, "{\"secret_name\": \"n\", \"secret_value\": \"\xc0\xaf\"}", js)
	body("overlong-secret-name", updateSecret, "{\"secret_value\": \"x\xc0\xafy\"}", js)
	body("encoded-surrogate-key-name", createKey, "{\"name\": \"k\xed\xa0\x80\"}", js)
	body("encoded-surrogate-description", updateKey, "{\"description\": \"\xed\xa0\x80\"}", js)
	body("lone-high-surrogate-secret-name", createSecret, `{"secret_name": "a\ud800b", "secret_value": "v"}`, js)
	body("lone-low-surrogate-secret-value", updateSecret, `{"secret_value": "\udfff"}`, js)
	body("lone-high-surrogate-description", updateKey, `{"description": "\ud83d"}`, js)
	body("lone-surrogate-member-name", createKey, `{"name": "k", "\ud800": 1}`, js)
	body("invalid-utf8-org-name", "mock_create_org", "{\"name\": \"t\xff\"}", js)
	body("lone-surrogate-org-name", "mock_create_org", `{"name": "\udfff"}`, js)
	body("lone-surrogate-fault-path", "mock_create_fault", `{"status": 500, "path": "\udc00"}`, js)
	body("surrogate-pair", createSecret, `{"secret_name": "emoji", "secret_value": "\ud83d\ude00 \uFFFD é"}`, js)
	// Secrets sent under a member the contract does not declare, refused or not.
	body("refused-value-member", createSecret, `{"secret_name": "a", "value": "MISNAMED value 3d9f1c"}`, js)
	body("refused-secretValue-member", createSecret, `{"secret_name": "a", "secretValue": "MISNAMED secretValue 7e2b"}`, js)
	body("refused-secret-member", updateSecret, `{"secret": "MISNAMED secret 5a1c0d"}`, js)
	body("refused-upper-case-secret-value", createSecret, `{"secret_name": "", "SECRET_VALUE": "MISNAMED upper 6d2a"}`, js)
	body("accepted-with-secret-member", createSecret, `{"secret_name": "b", "secret_value": "v", "secret": "MISNAMED accepted 4b8e"}`, js)
	body("misnamed-nested-members", createKey, `{"name": "k", "scopes": [{"resource_type": "namespace", "resource_id": "ns", "pass": "MISNAMED nested 9a7c"}], "apiKey": "MISNAMED apiKey 1f3e"}`, js)
	body("control-unknown-members-org", "mock_create_org", `{"name": "t", "extra": "MISNAMED org member 8c1f"}`, js)
	body("control-unknown-members-fault", "mock_create_fault", `{"status": 500, "bogus": 1, "secret": "MISNAMED fault member 2f8a"}`, js)
	body("control-unknown-members-clock", "mock_set_clock", `{"advance": "1h", "zone": "UTC"}`, js)
	body("control-fault-status-302", "mock_create_fault", `{"status": 302}`, js)
	body("seeded-value-sent-again", createSecret, `{"secret_name": "copy", "secret_value": "`+fuzzOtherSecretValue+`"}`, js)
	body("key-shaped-key-name", createKey, `{"name": "sk_`+strings.Repeat("N", 30)+`"}`, js)
	body("key-shaped-secret-name", createSecret, `{"secret_name": "sk_`+strings.Repeat("S", 30)+`", "secret_value": "v"}`, js)
	// A null for a member with a default.
	body("permissions-null-create", createKey, `{"name": "k", "permissions": null}`, js)
	body("permissions-null-patch", updateKey, `{"permissions": null}`, js)
	// Content types.
	body("merge-patch-json", updateKey, `{"description": "merge"}`, "application/merge-patch+json")
	body("vnd-json-charset", updateKey, `{"description": "vnd"}`, "application/vnd.api+json; charset=utf-8")
	body("text-plain", createSecret, `{"secret_name": "tp", "secret_value": "text plain value 0c3b"}`, "text/plain")
	body("text-plain-json", updateKey, `{"description": "x"}`, "text/plain+json")
	body("json-charset", createSecret, `{"secret_name": "cs", "secret_value": "v"}`, "application/json; charset=utf-8")
	body("bad-media-type", createSecret, `{"secret_name": "bm", "secret_value": "v"}`, "application/")
	body("no-content-type", createSecret, `{"secret_name": "noct", "secret_value": "v"}`, "")
	body("form-urlencoded", createSecret, `secret_name=f&secret_value=form+value+5d0e`, "application/x-www-form-urlencoded")
	// What pydantic accepts or refuses.
	// What once broke the surfaces behind the API: a null body in the journal, a body nested
	// 9,999 deep in the recording, numbers under secret members in it, bodies of many values.
	body("null-body", createSecret, `null`, js)
	body("deep-undeclared-member", createSecret, `{"secret_name": "deep", "secret_value": "v", "x": `+strings.Repeat(`{"a":`, 9_999)+"1"+strings.Repeat("}", 9_999)+"}", js)
	body("deep-within-the-values", createSecret, `{"secret_name": "deep", "secret_value": "v", "x": `+strings.Repeat("[", 9_000)+strings.Repeat("]", 9_000)+"}", js)
	body("numbers-under-secret-members", createSecret, `{"secret_name": "card", "secret_value": 4111111111111111, "password": 987654321}`, js)
	body("many-empty-scopes", createKey, `{"name": "k", "scopes": [{}`+strings.Repeat(`,{}`, 20_000)+`]}`, js)
	body("scopes-at-the-values-bound", createKey, `{"name": "k", "scopes": [{}`+strings.Repeat(`,{}`, 4_990)+`]}`, js)
	body("fault-long-path", "mock_create_fault", `{"latency_ms": 1, "path": "`+strings.Repeat("*", 3000)+`"}`, js)
	body("duplicate-members", createSecret, `{"secret_name": "d", "secret_value": 5, "secret_value": "last"}`, js)
	body("trailing-data", createSecret, `{"secret_name": "t", "secret_value": "v"} xyz`, js)
	body("integral-float", createKey, `{"name": "f", "rate_limit_override": 5.0}`, js)
	body("integral-exponent", createKey, `{"name": "e", "rate_limit_override": 5e0}`, js)
	body("huge-number", createKey, `{"name": "h", "rate_limit_override": 1e300}`, js)
	body("max-int64", updateKey, `{"rate_limit_override": 9223372036854775807}`, js)
	body("zero-rate", createKey, `{"name": "z", "rate_limit_override": 0}`, js)
	body("not-json", createSecret, `not json at all, LEAKED-VALUE-0a9b`, js)
	body("empty-body", createSecret, ``, js)
	body("json-null", createSecret, `null`, js)
	body("json-array", updateKey, `[]`, js)
	body("deep-nesting", updateKey, `{"scopes": `+strings.Repeat("[", 200)+strings.Repeat("]", 200)+`}`, js)
	body("secret-name-too-long", createSecret, `{"secret_name": "`+strings.Repeat("n", 101)+`", "secret_value": "v"}`, js)
	body("existing-secret", createSecret, `{"secret_name": "`+fuzzSecretName+`", "secret_value": "v"}`, js)
	body("existing-key-name", createKey, `{"name": "reader"}`, js)
	body("revoked-key-name-reused", createKey, `{"name": "retired"}`, js)
	body("unicode-secret-name", createSecret, `{"secret_name": "ключ/κλειδί ?#%", "secret_value": "v"}`, js)
	body("dot-secret-name", createSecret, `{"secret_name": ".", "secret_value": "v"}`, js)
	// Inputs on which the checker itself once erred (a canary matched the zero time of a
	// journal entry, or the mock's own words).
	body("checker-zero-time", createKey, `{"": "1-01-01T00:00:00Z"}`, js)
	body("checker-words-of-the-mock", "mock_create_fault", "{\"operation_id\": \"list_secrets_v1_organizations_secrets_g\xdat\", \"status\": \x0009}", js)
	// A refused POST /_mock/orgs drew from the random source before the rules were checked.
	body("create-org-blank-name", "mock_create_org", `{"name": " "}`, js)

	// FuzzPathParams: (operation, first parameter, second parameter, raw).
	ids := make([]string, 0, 9)
	for _, op := range operations() {
		ids = append(ids, op.id)
	}
	path := func(name string, id mixpeekkit.OperationID, first, second string, raw bool) {
		add("FuzzPathParams", name, indexOf(ids, string(id)), first, second, raw)
	}
	reader := fuzzReaderKey
	path("update-seeded-secret", mixpeekkit.OpUpdateSecret, fuzzSecretName, "", false)
	path("delete-seeded-secret", mixpeekkit.OpDeleteSecret, "db.password", "", false)
	path("delete-missing-secret", mixpeekkit.OpDeleteSecret, "nope", "", false)
	path("delete-other-tenant-secret", mixpeekkit.OpDeleteSecret, "other_secret", "", false)
	path("secret-name-slash-escaped", mixpeekkit.OpUpdateSecret, "a/b", "", false)
	path("secret-name-slash-raw", mixpeekkit.OpDeleteSecret, "a/b", "", true)
	path("secret-name-dot", mixpeekkit.OpDeleteSecret, ".", "", true)
	path("secret-name-dot-dot", mixpeekkit.OpDeleteSecret, "..", "", true)
	path("secret-name-empty", mixpeekkit.OpUpdateSecret, "", "", true)
	// (net/http refuses a target with an invalid escape, %zz, before any handler: not sent.)
	path("secret-name-invalid-escape-escaped", mixpeekkit.OpUpdateSecret, "%zz", "", false)
	path("secret-name-lone-percent-escaped", mixpeekkit.OpDeleteSecret, "%", "", false)
	path("secret-name-invalid-utf8", mixpeekkit.OpDeleteSecret, "%e9", "", true)
	path("secret-name-encoded-surrogate", mixpeekkit.OpDeleteSecret, "%ed%a0%80", "", true)
	path("secret-name-unicode", mixpeekkit.OpUpdateSecret, "unicode_secret", "", false)
	path("secret-name-cyrillic", mixpeekkit.OpDeleteSecret, "ключ", "", false)
	path("secret-name-question-mark", mixpeekkit.OpUpdateSecret, "a?b=c", "", true)
	path("secret-name-hash", mixpeekkit.OpUpdateSecret, "a#b", "", true)
	path("secret-name-long", mixpeekkit.OpUpdateSecret, strings.Repeat("n", 300), "", false)
	path("secret-name-seeded-value", mixpeekkit.OpDeleteSecret, fuzzSecretValues["db.password"], "", false)
	path("list-keys-owner", mixpeekkit.OpListAPIKeys, fuzzOwner, "", false)
	path("list-keys-owner-raw-at", mixpeekkit.OpListAPIKeys, fuzzOwner, "", true)
	path("list-keys-email-other-case", mixpeekkit.OpListAPIKeys, "OWNER@fuzz.test", "", false)
	path("list-keys-member", mixpeekkit.OpListAPIKeys, fuzzMember, "", false)
	path("list-keys-other-tenant", mixpeekkit.OpListAPIKeys, fuzzOtherOwner, "", false)
	path("list-keys-double-escaped", mixpeekkit.OpListAPIKeys, "owner%2540fuzz.test", "", true)
	path("list-keys-email-slash", mixpeekkit.OpListAPIKeys, "a/b@c.d", "", true)
	path("create-key-member", mixpeekkit.OpCreateAPIKey, fuzzMember, "", false)
	path("update-reader", mixpeekkit.OpUpdateAPIKey, fuzzOwner, fuzzReaderName, false)
	path("update-admin-key", mixpeekkit.OpUpdateAPIKey, fuzzOwner, "admin-key", false)
	path("update-key-unicode", mixpeekkit.OpUpdateAPIKey, fuzzOwner, "ключ", false)
	path("update-key-empty", mixpeekkit.OpUpdateAPIKey, fuzzOwnerPath, "", true)
	path("delete-reader", mixpeekkit.OpDeleteAPIKey, fuzzOwner, fuzzReaderName, false)
	path("delete-revoked", mixpeekkit.OpDeleteAPIKey, fuzzOwner, "retired", false)
	path("rotate-reader", mixpeekkit.OpRotateAPIKey, fuzzOwner, fuzzReaderName, false)
	path("rotate-admin-key", mixpeekkit.OpRotateAPIKey, fuzzOwner, "admin-key", false)
	path("rotate-expired", mixpeekkit.OpRotateAPIKey, fuzzOwner, "lapsed", false)
	// A plaintext key in the path, escaped so that it does not look like one.
	path("key-in-path-escaped-letter", mixpeekkit.OpRotateAPIKey, fuzzOwnerPath, "sk_%"+fmt.Sprintf("%X", reader[3])+reader[4:], true)
	path("key-in-path-escaped-underscore", mixpeekkit.OpDeleteAPIKey, fuzzOwnerPath, "sk%5F"+reader[3:], true)
	path("key-in-path-plain", mixpeekkit.OpUpdateAPIKey, fuzzOwner, reader, false)
	path("key-as-email", mixpeekkit.OpListAPIKeys, fuzzAdminKey, "", false)
	path("key-shape-escaped-letter", mixpeekkit.OpDeleteAPIKey, fuzzOwnerPath, "sk_%4C"+strings.Repeat("x", 40), true)
	path("key-as-secret-name", mixpeekkit.OpUpdateSecret, "sk_%4C"+strings.Repeat("y", 40), "", true)
	// Operations without parameters, with something after their path.
	path("create-secret-trailing-slash", mixpeekkit.OpCreateSecret, "/", "", true)
	path("list-secrets-escaped-slash", mixpeekkit.OpListSecrets, "/x", "", false)
	path("list-secrets-query", mixpeekkit.OpListSecrets, "?include_revoked=true", "", true)
	path("list-secrets-nothing", mixpeekkit.OpListSecrets, "", "", true)
	// The checker once took the %q form of an echoed invalid byte ("\xca") for part of a key.
	path("checker-echoed-invalid-byte", mixpeekkit.OpCreateAPIKey, "\xca"+fuzzAdminKey[10:25], "", false)

	// FuzzQuery: (raw query), to the API-key list and the journal.
	for _, q := range []struct{ name, query string }{
		{"none", ""}, {"true", "include_revoked=true"}, {"false", "include_revoked=false"},
		{"invalid-escape", "include_revoked=%zz"}, {"yes", "include_revoked=yes"}, {"On", "include_revoked=On"},
		{"escaped-letter", "include_revoked=tr%75e"}, {"escaped-name", "include%5Frevoked=true"}, {"empty-value", "include_revoked="},
		{"no-value", "include_revoked"}, {"twice", "include_revoked=1&include_revoked=0"}, {"maybe", "include_revoked=maybe"},
		{"upper-case-name", "INCLUDE_REVOKED=true"}, {"semicolon", "include_revoked=true;x=1"}, {"plus-spaces", "include_revoked=+true+"},
		{"ampersands", "&&&"}, {"equals", "="}, {"lone-percent", "%"}, {"invalid-escape-name", "%zz=1"}, {"percent-value", "a=%"},
		{"invalid-utf8", "include_revoked=%ff"}, {"key-as-token", "token=" + fuzzReaderKey}, {"key-escaped", "x=sk%5F" + fuzzReaderKey[3:]},
		{"key-as-api-key", "api_key=" + fuzzAdminKey + "&include_revoked=1"},
		{"key-mangled", "\xfa\xfa\xfa\xfaapi_key=" + fuzzAdminKey[:10] + "\"" + fuzzAdminKey[11:18] + "#" + fuzzAdminKey[19:34] + strings.Repeat("0", 32)}, {"seeded-value", "note=" + strings.ReplaceAll(fuzzSecretValues["db.password"], " ", "+")},
		{"status", "status=401"}, {"status-not-integer", "status=abc"}, {"limit-zero", "limit=0"}, {"limit-one", "limit=1"},
		{"limit-negative", "limit=-1"}, {"limit-fraction", "limit=1.5"}, {"limit-overflow", "limit=9223372036854775808"},
		{"limit-exponent", "limit=1e3"}, {"method-limit", "method=get&limit=1"}, {"path-prefix", "path_prefix=/v1/organizations/users"},
		{"key-name", "key_name=admin-key"}, {"operation-id", "operation_id=list_secrets_v1_organizations_secrets_get"},
		{"organization-id", "organization_id=org_x"}, {"status-twice", "status=200&status=401"},
	} {
		add("FuzzQuery", q.name, q.query)
	}

	// FuzzAuthorization: (header value).
	for _, a := range []struct{ name, value string }{
		{"admin-key", "Bearer " + fuzzAdminKey}, {"read-key", "Bearer " + fuzzReaderKey}, {"revoked-key", "Bearer " + fuzzRetiredKey},
		{"expired-key", "Bearer " + fuzzLapsedKey}, {"other-tenant-admin-key", "Bearer " + fuzzOtherAdminKey},
		{"control-token", "Bearer " + fuzzControlToken}, {"bearer-alone", "Bearer"}, {"bearer-space", "Bearer "},
		{"basic", "Basic dXNlcjpwYXNzd29yZA=="}, {"lower-case-scheme", "bearer " + fuzzAdminKey},
		{"extra-spaces", "Bearer    " + fuzzAdminKey + "   "}, {"tab", "Bearer\t" + fuzzAdminKey}, {"no-scheme", fuzzAdminKey},
		{"token-scheme", "Token " + fuzzAdminKey}, {"key-and-more", "Bearer " + fuzzAdminKey + "x"},
		{"unknown-key", "Bearer sk_" + strings.Repeat("Z", 43)}, {"very-long", "Bearer " + strings.Repeat("A", 16<<10)},
		{"empty", ""}, {"two-keys", "Bearer " + fuzzAdminKey + ", Bearer " + fuzzReaderKey},
		{"non-ascii", "Bearer ключ-не-ключ-4f2a"}, {"invalid-utf8", "Bearer \xff\xfe-not-a-key"},
		{"control-token-lower-case", "bearer " + fuzzControlToken},
	} {
		add("FuzzAuthorization", a.name, a.value)
	}

	// FuzzFixtures: (data, YAML).
	def, err := os.ReadFile("../fixtures/default.json")
	if err != nil {
		panic(err)
	}
	own, _ := json.MarshalIndent(fuzzSeedData(), "", "  ")
	fixture := func(name string, yaml bool, data string) { add("FuzzFixtures", name, []byte(data), yaml) }
	fixture("default", false, string(def))
	fixture("fuzz-seed", false, string(own))
	fixture("json-read-as-yaml", true, string(def))
	org := func(keys, secrets string) string {
		return `{"organizations": [{"name": "Acme", "users": [{"email": "owner@acme.test", "api_keys": [` +
			`{"name": "admin-key", "key": "` + fuzzAdminKey + `", "permissions": ["admin"]}` + keys + `]}], "secrets": [` + secrets + `]}]}`
	}
	fixture("keys-and-secrets", false, org(`, {"name": "ci", "key": "`+fuzzReaderKey+`", "permissions": ["read"], "expires_at": "2030-01-01T00:00:00Z"}`,
		`{"name": "s", "value": "fixture secret value 0f3e"}`))
	fixture("yaml", true, "organizations:\n  - name: Acme\n    users:\n      - email: owner@acme.test\n        api_keys:\n          - name: admin-key\n"+
		"            key: "+fuzzAdminKey+"\n            permissions: [admin]\n          - name: old\n            key: "+fuzzRetiredKey+
		"\n            permissions: [read]\n            status: revoked\n    secrets:\n      - name: s\n        value: yaml secret value 7d1c\n")
	fixture("expires-at-past-9999", false, org(`, {"name": "late", "key": "`+fuzzReaderKey+`", "permissions": ["read"], "expires_at": "9999-12-31T23:59:59-23:59"}`,
		`{"name": "s", "value": "late fixture value 2c8b"}`))
	fixture("expires-at-before-year-1", false, org(`, {"name": "early", "permissions": ["read"], "expires_at": "0000-01-01T00:00:00+23:59"}`,
		`{"name": "s", "value": "early fixture value 6a0d"}`))
	fixture("key-not-key-shaped", false, org(`, {"name": "bad", "key": "not-a-key-but-a-secret-9f8e", "permissions": ["read"]}`, ``))
	fixture("key-too-short", false, org(`, {"name": "short", "key": "sk_short_secret_1b", "permissions": ["read"]}`, ``))
	fixture("same-plaintext-twice", false, org(`, {"name": "copy", "key": "`+fuzzAdminKey+`", "permissions": ["read"]}`, ``))
	fixture("duplicate-secret-names", false, org(``, `{"name": "s", "value": "first duplicate 4e1a"}, {"name": "s", "value": "second duplicate 9b3c"}`))
	fixture("secret-name-too-long", false, org(``, `{"name": "`+strings.Repeat("n", 101)+`", "value": "long name value 3f7e"}`))
	fixture("secret-value-empty", false, org(``, `{"name": "s", "value": ""}`))
	fixture("unknown-permission", false, org(`, {"name": "k", "key": "`+fuzzReaderKey+`", "permissions": ["superuser"]}`, `{"name": "s", "value": "perm fixture value 5d2f"}`))
	fixture("status-expired", false, org(`, {"name": "k", "key": "`+fuzzReaderKey+`", "permissions": ["read"], "status": "expired"}`, ``))
	fixture("misspelt-value", false, `{"organizations": [{"name": "Acme", "users": [], "secrets": [{"name": "s", "valeu": "misspelt secret value 33aa"}]}]}`)
	fixture("value-not-a-string", false, `{"organizations": [{"name": "Acme", "users": [], "secrets": [{"name": "s", "value": 123456789}]}]}`)
	fixture("no-admin-key", false, `{"organizations": [{"name": "Acme", "users": [{"email": "a@b.c"}], "secrets": [{"name": "s", "value": "no admin value 8e4d"}]}]}`)
	fixture("bad-email", false, `{"organizations": [{"name": "Acme", "users": [{"email": "acme", "api_keys": [{"name": "admin-key", "key": "`+fuzzAdminKey+`", "permissions": ["admin"]}]}]}]}`)
	fixture("blank-name", false, `{"organizations": [{"name": " ", "users": [], "secrets": [{"name": "s", "value": "blank org value 1c9f"}]}]}`)
	fixture("revoked-admin-key", false, `{"organizations": [{"name": "Acme", "users": [{"email": "a@b.c", "api_keys": [{"name": "admin-key", "key": "`+fuzzAdminKey+`", "permissions": ["admin"], "status": "revoked"}]}]}]}`)
	fixture("invalid-utf8-value", false, "{\"organizations\": [{\"name\": \"Acme\", \"users\": [], \"secrets\": [{\"name\": \"s\", \"value\": \"bad \xff value 7a2e\"}]}]}")
	fixture("lone-surrogate-value", false, `{"organizations": [{"name": "Acme", "users": [], "secrets": [{"name": "s", "value": "lone \ud800 value 4b6c"}]}]}`)
	fixture("no-organization", false, `{"organizations": []}`)
	fixture("empty", false, ``)
	fixture("trailing-document", false, `{"organizations": []} {"organizations": []}`)
	fixture("unknown-field", false, `{"organizations": [], "extra": "unknown field value 0d5a"}`)
	fixture("invalid-yaml", true, "organizations: [\n")
	fixture("yaml-complex-key", true, "? {value: complex key secret 1a2b}\n: x\n")
	fixture("yaml-anchors", true, "a: &v {name: s, value: anchored secret 6f0b}\norganizations: [{name: Acme, users: [], secrets: [*v]}]\n")
	fixture("yaml-tab-indent", true, "organizations:\n\t- name: x\n")
	// Files that once ran the loader out of memory or time: aliases that expand past the
	// file's budget, an alias cycle, deep and wide data, a long name over many values, a
	// byte-order mark, a file one byte over its bound (fixtures/limits_test.go has each at its
	// bound).
	fixture("alias-bomb", true, memtest.AliasBomb("organizations: []\n", 20, 24000, 200, 50))
	fixture("alias-cycle", true, "organizations: []\na: &a [1, *a]\n")
	fixture("yaml-65-deep", true, "organizations: []\nx: "+strings.Repeat("[", 65)+strings.Repeat("]", 65)+"\n")
	fixture("json-9000-deep", false, `{"organizations": [], "x": `+strings.Repeat("[", 9000)+strings.Repeat("]", 9000)+`}`)
	fixture("json-100001-values", false, `{"organizations": [], "x": [0`+strings.Repeat(",0", 99_995)+`]}`)
	long := strings.Repeat("n", 100_000)
	fixture("long-name-over-values-json", false, `{"organizations": [], "`+long+`": [0`+strings.Repeat(",0", 1999)+`]}`)
	fixture("long-name-over-values-yaml", true, "organizations: []\n"+long+": [0"+strings.Repeat(",0", 1999)+"]\n")
	fixture("many-bad-organizations", false, `{"organizations": [0`+strings.Repeat(",0", 49_999)+`]}`)
	fixture("bom-json", false, "\ufeff"+string(def))
	fixture("bom-yaml", true, "\ufefforganizations: []\n")
	fixture("one-byte-over-the-file-bound", true, "organizations: []\n#"+strings.Repeat("x", 1<<20-19)+"\n")
	return seeds
}

// The committed seed corpus is what fuzzSeeds makes (written with -write-fuzz-corpus).
func TestFuzzSeedCorpus(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range fuzzSeeds() {
		file := filepath.Join("testdata", "fuzz", s.target, s.name)
		if seen[file] {
			t.Errorf("two seeds named %s", file)
		}
		seen[file] = true
		want := fuzzCorpusFile(s.args)
		if *writeFuzzCorpus {
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got, err := os.ReadFile(file); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is not as fuzzSeeds makes it: go test ./mockserver/ -run '^TestFuzzSeedCorpus$' -write-fuzz-corpus", file)
		}
	}
}

// The targets cover what the documents declare, every target has seeds, and make fuzz runs
// every target.
func TestFuzzTargetsCoverTheDocuments(t *testing.T) {
	fs := newFuzzServer(t)
	var withBody []string
	for _, op := range append(operations(), controlOperations()...) {
		if op, _ := fs.operation(op.id); op.route.Operation.RequestBody != nil {
			withBody = append(withBody, op.id)
		}
	}
	if a, b := slices.Sorted(slices.Values(withBody)), slices.Sorted(slices.Values(fuzzBodyOperations)); !slices.Equal(a, b) {
		t.Errorf("operations with a body: %v; FuzzBody sends to %v", a, b)
	}
	if n := len(operations()); n != len(mixpeekkit.Operations()) {
		t.Errorf("FuzzPathParams covers %d operations, openapi.yaml has %d", n, len(mixpeekkit.Operations()))
	}

	// Every Fuzz function of every _test.go file of the module, as ./package:Target.
	var all []string
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != ".." || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		file, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		for _, decl := range file.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && strings.HasPrefix(fn.Name.Name, "Fuzz") && fn.Recv == nil {
				all = append(all, "./"+filepath.ToSlash(filepath.Dir(strings.TrimPrefix(path, "../")))+":"+fn.Name.Name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	makefile, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^FUZZ_TARGETS\s*[:?]?=\s*((?:.*\\\n)*.*)$`).FindSubmatch(makefile)
	if m == nil {
		t.Fatal("the Makefile has no FUZZ_TARGETS")
	}
	listed := strings.Fields(strings.ReplaceAll(string(m[1]), "\\", " "))
	if !slices.Equal(slices.Sorted(slices.Values(listed)), slices.Sorted(slices.Values(all))) {
		t.Errorf("make fuzz runs %v; the module has %v", listed, all)
	}
	// The targets of fuzz_test.go take their seeds from fuzzSeeds.
	file, err := parser.ParseFile(token.NewFileSet(), "fuzz_test.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var targets []string
	for _, d := range file.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && strings.HasPrefix(fn.Name.Name, "Fuzz") && fn.Recv == nil {
			targets = append(targets, fn.Name.Name)
		}
	}
	perTarget := map[string]int{}
	for _, s := range fuzzSeeds() {
		perTarget[s.target]++
	}
	for _, target := range targets {
		if perTarget[target] == 0 {
			t.Errorf("%s has no seed", target)
		}
	}
}
