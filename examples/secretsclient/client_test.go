package secretsclient_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/mixpeekkit/mixpeekkit/examples/secretsclient"
	"github.com/mixpeekkit/mixpeekkit/mockserver/mockservertest"
)

// Each test runs against its own mock and writes what it did to testdata/, which is
// committed: mixpeek-conformance replay -recording testdata/<test>.recording.json checks a
// real server against it.

func TestPutCreatesThenUpdates(t *testing.T) {
	mock := mockservertest.NewServer(t)
	mock.RecordTo(t, "testdata/put.recording.json")
	c := &secretsclient.Client{BaseURL: mock.URL, APIKey: mock.AdminKey}
	ctx := context.Background()

	if err := c.Put(ctx, "stripe_api_key", "sk_test_first"); err != nil {
		t.Fatal(err)
	}
	if err := c.Put(ctx, "stripe_api_key", "sk_test_second"); err != nil {
		t.Fatal(err)
	}
	if got, _ := mock.SecretValue(mock.OrganizationID, "stripe_api_key"); got != "sk_test_second" {
		t.Errorf("stored %q, want the second value", got)
	}
	names, err := c.Names(ctx)
	if err != nil || !slices.Equal(names, []string{"stripe_api_key"}) {
		t.Errorf("Names = %v, %v", names, err)
	}
	if err := c.Delete(ctx, "stripe_api_key"); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, "stripe_api_key"); !errors.Is(err, secretsclient.ErrNotFound) {
		t.Errorf("deleting twice: %v, want ErrNotFound", err)
	}
}

func TestRotateDeployKey(t *testing.T) {
	mock := mockservertest.NewServer(t)
	mock.RecordTo(t, "testdata/rotate.recording.json")
	admin := &secretsclient.Client{BaseURL: mock.URL, APIKey: mock.AdminKey}
	ctx := context.Background()

	if err := admin.Put(ctx, "deploy_token", "tok-123456"); err != nil {
		t.Fatal(err)
	}
	old, err := admin.CreateKey(ctx, mock.OwnerEmail, "deploy", "read")
	if err != nil {
		t.Fatal(err)
	}
	var apiErr *secretsclient.APIError
	if err := admin.With(old).Put(ctx, "deploy_token", "tok-654321"); !errors.As(err, &apiErr) || apiErr.Status != 403 {
		t.Errorf("a read key storing a secret: %v, want a 403", err)
	}
	fresh, err := admin.RotateKey(ctx, mock.OwnerEmail, "deploy")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.With(old).Names(ctx); !errors.As(err, &apiErr) || apiErr.Status != 401 {
		t.Errorf("the old key after rotation: %v, want a 401", err)
	}
	if names, err := admin.With(fresh).Names(ctx); err != nil || !slices.Contains(names, "deploy_token") {
		t.Errorf("the new key: %v, %v", names, err)
	}
	if status, err := admin.KeyStatus(ctx, mock.OwnerEmail, "deploy"); err != nil || status != "active" {
		t.Errorf("KeyStatus = %q, %v", status, err)
	}
	if _, err := admin.With(fresh).CreateKey(ctx, mock.OwnerEmail, "escalate", "admin"); !errors.As(err, &apiErr) || apiErr.Status != 403 {
		t.Errorf("a read key creating keys: %v, want a 403", err)
	}
	if _, err := admin.RotateKey(ctx, mock.OwnerEmail, "nope"); !errors.Is(err, secretsclient.ErrNotFound) {
		t.Errorf("rotating a missing key: %v, want ErrNotFound", err)
	}
}
