package mockservertest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/fixtures"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
	"github.com/mixpeekkit/mixpeekkit/mockserver/mockservertest"
)

// In a test, mockservertest.NewServer(t) does the same and closes the server at the end.
func ExampleStart() {
	mock, err := mockservertest.Start(mockserver.Options{})
	if err != nil {
		panic(err)
	}
	defer mock.Close()

	// The code under test stores a secret; Client() sends the admin key.
	resp, err := mock.Client(mock.AdminKey).Post(mock.URL+"/v1/organizations/secrets", "application/json",
		strings.NewReader(`{"secret_name": "stripe_api_key", "secret_value": "sk_test_1"}`))
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, mock.OwnerEmail)

	// What was stored, decrypted: only in-process, never over HTTP.
	value, _ := mock.SecretValue(mock.OrganizationID, "stripe_api_key")
	fmt.Println(value)
	// Output:
	// 201 admin@example.com
	// sk_test_1
}

// Seed data from the fixtures builders: an organization with a read-only key and two secrets.
func Example_fixtures() {
	acme := fixtures.Org("Acme", "owner@acme.test", "").
		WithReadOnlyKey("ci", fixtures.KeyFor("acme/ci")).
		WithSecrets(2)
	mock, err := mockservertest.Start(mockserver.Options{Seed: fixtures.SeedOf(acme)})
	if err != nil {
		panic(err)
	}
	defer mock.Close()

	resp, _ := mock.Client(fixtures.KeyFor("acme/ci")).Get(mock.URL + "/v1/organizations/secrets")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(body))
	// Output: 200 {"secrets":["secret_1","secret_2"],"count":2}
}

// The request journal shows what the code under test sent, secret values redacted.
func Example_journal() {
	mock, _ := mockservertest.Start(mockserver.Options{})
	defer mock.Close()
	resp, _ := mock.Client(mock.AdminKey).Post(mock.URL+"/v1/organizations/secrets", "application/json",
		strings.NewReader(`{"secret_name": "github_token", "secret_value": "ghp_123"}`))
	resp.Body.Close()

	for _, e := range mock.Requests() {
		body, _ := json.Marshal(e.RequestBody)
		fmt.Println(e.Method, e.Path, e.Status, e.KeyName, string(body))
	}
	// Output: POST /v1/organizations/secrets 201 admin-key {"secret_name":"github_token","secret_value":"[REDACTED]"}
}

// A fault makes the mock fail on purpose: here the next list answers 500, then it recovers.
func Example_faults() {
	mock, _ := mockservertest.Start(mockserver.Options{})
	defer mock.Close()
	_, _ = mock.AddFault(mockserver.Fault{
		OperationID: mixpeekkit.OpListSecrets, Status: http.StatusInternalServerError, Times: 1,
	})
	for i := 0; i < 2; i++ {
		resp, _ := mock.Client(mock.AdminKey).Get(mock.URL + "/v1/organizations/secrets")
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
	// Output:
	// 500
	// 200
}

// A deterministic server answers the same requests with the same bytes in every run, and its
// clock moves only when told to: here a key expires.
func Example_deterministic() {
	mock, _ := mockservertest.Start(mockservertest.Deterministic(7))
	defer mock.Close()
	resp, _ := mock.Client(mock.AdminKey).Post(mock.URL+"/v1/organizations/users/admin%40example.com/api-keys", "application/json",
		strings.NewReader(`{"name": "ci", "expires_at": "2026-01-01T01:00:00Z"}`))
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	fmt.Println(m["key_id"], m["status"], m["created_at"])

	_ = mock.AdvanceClock(2 * time.Hour)
	keys, _ := mock.APIKeys(mock.OrganizationID, "admin@example.com")
	for _, k := range keys {
		if k.Name == "ci" {
			fmt.Println(k.Status)
		}
	}
	// Output:
	// key_JrIKnfkKr5oVVHE active 2026-01-01T00:00:00Z
	// expired
}

// The recording of what a test did: the names it chose are symbols, its values lengths.
// RecordTo(t, path) writes it when the test passes, for mixpeek-conformance replay.
func Example_recording() {
	mock, _ := mockservertest.Start(mockserver.Options{})
	defer mock.Close()
	resp, _ := mock.Client(mock.AdminKey).Post(mock.URL+"/v1/organizations/secrets", "application/json",
		strings.NewReader(`{"secret_name": "stripe_api_key", "secret_value": "sk_test_1"}`))
	resp.Body.Close()

	rec, _ := mock.Recording(mock.OrganizationID)
	data, _ := rec.Marshal()
	fmt.Print(string(data))
	// Output:
	// {
	//   "format": "mixpeek-recording",
	//   "version": 1,
	//   "symbols": {
	//     "$secret1": {
	//       "kind": "secret"
	//     },
	//     "$user": {
	//       "kind": "user",
	//       "owner": true
	//     }
	//   },
	//   "calls": [
	//     {
	//       "seq": 1,
	//       "operation_id": "create_secret_v1_organizations_secrets_post",
	//       "as": "$admin",
	//       "body": {
	//         "secret_name": "$secret1",
	//         "secret_value": "$value:9"
	//       },
	//       "status": 201,
	//       "response": {
	//         "shape": {
	//           "created": "boolean",
	//           "secret_name": "string"
	//         }
	//       }
	//     }
	//   ]
	// }
}
