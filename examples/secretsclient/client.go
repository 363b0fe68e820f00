// Package secretsclient is an example consumer of the Mixpeek organization secrets and API-key
// endpoints: the kind of code this kit's users test. It stores secrets (creating them, or
// updating them when they exist), removes them, and rotates a deploy key, revoking the old one.
//
// Its tests run against mockservertest and record what they did (RecordTo): the recordings
// under testdata/ are replayed against a real server by mixpeek-conformance replay, which
// says whether the server behaves as the mock did when these tests passed.
package secretsclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Client calls the API with one key.
type Client struct {
	BaseURL string
	APIKey  string
	HTTP    *http.Client // http.DefaultClient when nil
}

// APIError is an answer that is not the success the client expects: its status and error.type.
type APIError struct {
	Status int
	Type   string
}

func (e *APIError) Error() string { return fmt.Sprintf("mixpeek: %d %s", e.Status, e.Type) }

// ErrNotFound is what Delete and Rotate return for a name the server does not have.
var ErrNotFound = errors.New("mixpeek: not found")

// Put stores a secret: it creates it, or, when the name is taken (409), replaces its value.
func (c *Client) Put(ctx context.Context, name, value string) error {
	body := map[string]string{"secret_name": name, "secret_value": value}
	err := c.do(ctx, "POST", "/v1/organizations/secrets", body, http.StatusCreated, nil)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusConflict {
		return c.do(ctx, "PUT", "/v1/organizations/secrets/"+url.PathEscape(name), map[string]string{"secret_value": value}, http.StatusOK, nil)
	}
	return err
}

// Names lists the organization's secret names.
func (c *Client) Names(ctx context.Context) ([]string, error) {
	var out struct {
		Secrets []string `json:"secrets"`
	}
	err := c.do(ctx, "GET", "/v1/organizations/secrets", nil, http.StatusOK, &out)
	return out.Secrets, err
}

// Delete removes a secret (ErrNotFound when there is none).
func (c *Client) Delete(ctx context.Context, name string) error {
	return notFound(c.do(ctx, "DELETE", "/v1/organizations/secrets/"+url.PathEscape(name), nil, http.StatusOK, nil))
}

// CreateKey creates an API key for a user and returns its plaintext.
func (c *Client) CreateKey(ctx context.Context, email, name string, permissions ...string) (string, error) {
	var out struct {
		Key string `json:"key"`
	}
	body := map[string]any{"name": name, "permissions": permissions}
	if err := c.do(ctx, "POST", keysPath(email), body, http.StatusOK, &out); err != nil {
		return "", err
	}
	if out.Key == "" {
		return "", errors.New("mixpeek: the create answer has no key")
	}
	return out.Key, nil
}

// RotateKey gives a key new material and returns the new plaintext; the old one stops working.
func (c *Client) RotateKey(ctx context.Context, email, name string) (string, error) {
	var out struct {
		Key string `json:"key"`
	}
	if err := notFound(c.do(ctx, "POST", keysPath(email)+"/"+url.PathEscape(name)+"/rotate", nil, http.StatusOK, &out)); err != nil {
		return "", err
	}
	if out.Key == "" {
		return "", errors.New("mixpeek: the rotate answer has no key")
	}
	return out.Key, nil
}

// KeyStatus is the status of a user's key as the list shows it, revoked keys included ("" when
// the list does not have it).
func (c *Client) KeyStatus(ctx context.Context, email, name string) (string, error) {
	var out struct {
		Results []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"results"`
	}
	if err := c.do(ctx, "GET", keysPath(email)+"?include_revoked=true", nil, http.StatusOK, &out); err != nil {
		return "", err
	}
	status := ""
	for _, k := range out.Results {
		if k.Name == name {
			status = k.Status // the newest of that name wins
		}
	}
	return status, nil
}

// With is a copy of the client that sends another key.
func (c *Client) With(key string) *Client {
	d := *c
	d.APIKey = key
	return &d
}

func keysPath(email string) string {
	return "/v1/organizations/users/" + url.QueryEscape(email) + "/api-keys"
}

func notFound(err error) error {
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound {
		return ErrNotFound
	}
	return err
}

// do sends one request and decodes the answer into out when it has the status want.
func (c *Client) do(ctx context.Context, method, path string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.APIKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		var e struct {
			Error struct {
				Type string `json:"type"`
			} `json:"error"`
		}
		_ = json.Unmarshal(data, &e)
		return &APIError{Status: resp.StatusCode, Type: e.Error.Type}
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}
