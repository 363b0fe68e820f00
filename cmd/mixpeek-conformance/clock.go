package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// mockClock is the Config.Sleep of -mock-clock: it moves the clock of this project's mock
// forward (POST /_mock/clock with {"advance": d}) instead of waiting, so the expiry check
// takes milliseconds, not seconds. The control API is not part of the contract, so it is the
// command's, not the suite's; moving the mock's clock moves it for every organization the mock
// holds. controlToken is the mock's control token ("" when it has none); client sends the
// request (http.DefaultClient when nil).
func mockClock(baseURL, controlToken string, client *http.Client) func(ctx context.Context, d time.Duration) error {
	if client == nil {
		client = http.DefaultClient
	}
	url := strings.TrimRight(baseURL, "/") + "/_mock/clock"
	return func(ctx context.Context, d time.Duration) error {
		body, err := json.Marshal(map[string]string{"advance": d.String()})
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		if controlToken != "" {
			req.Header.Set("Authorization", "Bearer "+controlToken)
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("moving the mock's clock: %w", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			detail, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
			return fmt.Errorf("moving the mock's clock: POST %s answered %d (is the target this project's mock, and the control token right?): %s",
				url, resp.StatusCode, bytes.TrimSpace(detail))
		}
		return nil
	}
}
