package suite

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

// preflight makes sure the server answers and the credentials are an admin key of the user
// (and PeerAPIKey, when set, an admin key too), so a run does not fail every check for the
// wrong reason.
func (s *Suite) preflight(ctx context.Context) error {
	ctx = context.WithValue(ctx, checkKey{}, "preflight")
	code, answered, err := s.probe(ctx, Request{Method: "GET", Path: UsersKeysPath(s.UserEmail), Auth: Bearer(s.APIKey)})
	switch {
	case err != nil:
		return err
	case code == http.StatusUnauthorized:
		return fmt.Errorf("conformance: the API key was refused (401)")
	case code == http.StatusForbidden:
		return fmt.Errorf("conformance: the API key is not an admin key (403 on listing API keys)")
	case code == http.StatusNotFound:
		// A wrong path in the base URL (a missing or extra /api) answers 404 too: listing
		// secrets, which needs no user, tells the two apart.
		secrets, _, err := s.probe(ctx, Request{Method: "GET", Path: SecretsPath, Auth: Bearer(s.APIKey)})
		if err != nil {
			return err
		}
		if secrets == http.StatusNotFound {
			return fmt.Errorf("conformance: no such endpoint at %s%s (404, and 404 for the user's API keys too): is the path of the base URL right?", s.Base.Redacted(), SecretsPath)
		}
		return fmt.Errorf("conformance: user %q not found with this API key (404)", s.UserEmail)
	case code != http.StatusOK:
		return fmt.Errorf("conformance: listing the user's API keys answered %s, want 200", answered)
	}
	if s.PeerAPIKey == "" {
		return nil
	}
	peer := Bearer(s.PeerAPIKey)
	code, answered, err = s.probe(ctx, Request{Method: "GET", Path: SecretsPath, Auth: peer})
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("conformance: the peer API key cannot list secrets: listing them answered %s, want 200", answered)
	}
	if s.Sweeping {
		return nil // a sweep needs no more of the peer key than listing its secrets
	}
	// An admin key gets 422 for a create-secret body that breaks the contract; a read key
	// 403, which would make every isolation probe pass for the wrong reason. The bad body
	// stores nothing on a conforming server.
	code, answered, err = s.probe(ctx, Request{Method: "POST", Path: SecretsPath, Auth: peer, Body: `{"secret_name": ""}`})
	switch {
	case err != nil:
		return err
	case code == http.StatusForbidden:
		return fmt.Errorf("conformance: the peer API key is not an admin key (a bad create answered %s, want 422)", answered)
	case code != http.StatusUnprocessableEntity:
		return fmt.Errorf("conformance: the peer API key could not be checked: a bad create answered %s, want 422 (or 403 for a key that is not an admin key)", answered)
	}
	return nil
}

// probe sends a preflight request and returns the status of its answer, and what was
// answered as a message can say it (the status, and the error type and message of an
// ErrorResponse, redacted): preflight asks only whether the suite can run, so the answer is
// not checked against the contract.
func (s *Suite) probe(ctx context.Context, r Request) (int, string, error) {
	ex, resp, err := s.Send(ctx, r)
	if resp != nil {
		return resp.StatusCode, s.answered(resp.StatusCode, ex), nil // even when its body could not be read whole
	}
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.DeadlineExceeded) {
		return 0, "", fmt.Errorf("conformance: interrupted: %w", cause)
	}
	if ex != nil && strings.Contains(ex.Error, " timed out after ") {
		return 0, "", fmt.Errorf("conformance: %s", ex.Error) // it was reached, and did not answer in time
	}
	if ex != nil && ex.Error != "" {
		return 0, "", fmt.Errorf("conformance: cannot reach %s: %s", s.Base.Redacted(), ex.Error)
	}
	return 0, "", fmt.Errorf("conformance: %w", err)
}

// answered words an answer for a preflight message: "500 InternalServerError: the message".
func (s *Suite) answered(status int, ex *Exchange) string {
	text := strconv.Itoa(status)
	if ex == nil {
		return text
	}
	if typ := ex.ErrorType(); typ != "" {
		text += " " + typ
	}
	if msg, _ := ex.Field("error").(map[string]any); msg != nil {
		if m, _ := msg["message"].(string); m != "" {
			text += ": " + s.Redact(sensitive.Cut(m, 200, len(m)))
		}
	}
	return text
}
