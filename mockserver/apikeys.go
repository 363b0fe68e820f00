package mockserver

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

type apiKeyCreateRequest struct {
	Name              string       `json:"name"`
	Description       *string      `json:"description"`
	Permissions       []permission `json:"permissions"` // absent: openapi.yaml's default, ["read"]
	Scopes            []Scope      `json:"scopes"`
	RateLimitOverride *integer     `json:"rate_limit_override"`
	ExpiresAt         *instant     `json:"expires_at"`
}

// apiKeyUpdateRequest tells a field that is absent from one that is null.
type apiKeyUpdateRequest struct {
	Name              optional[string]       `json:"name"`
	Description       optional[string]       `json:"description"`
	Permissions       optional[[]permission] `json:"permissions"`
	Scopes            optional[[]Scope]      `json:"scopes"`
	RateLimitOverride optional[integer]      `json:"rate_limit_override"`
	ExpiresAt         optional[instant]      `json:"expires_at"`
	Status            optional[string]       `json:"status"`
}

// optional is a JSON field that may be absent (set false), null, or a value.
type optional[T any] struct {
	set, null bool
	v         T
}

func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.set = true
	if string(b) == "null" {
		o.null = true
		return nil
	}
	return json.Unmarshal(b, &o.v)
}

// value reports the field's value when it is present and not null.
func (o optional[T]) value() (T, bool) { return o.v, o.set && !o.null }

// elemType is T, for decodeBody's exact reading of what an optional holds.
func (optional[T]) elemType() reflect.Type { return reflect.TypeFor[T]() }

// APIKey is an API key as the contract's APIKeyModel shows it, never with its plaintext: the
// answers of the API-key operations, and what Server.APIKeys returns. Nullable fields are
// written as null, as a FastAPI server writes them; times are UTC.
type APIKey struct {
	KeyID             string     `json:"key_id"`
	KeyHash           string     `json:"key_hash"`
	KeyPrefix         string     `json:"key_prefix"`
	KeyType           string     `json:"key_type"`
	SubscriptionID    *string    `json:"subscription_id"`
	InternalID        string     `json:"internal_id"`
	OrganizationID    string     `json:"organization_id"`
	UserID            string     `json:"user_id"`
	Name              string     `json:"name"`
	Description       string     `json:"description"`
	Permissions       []string   `json:"permissions"`
	Scopes            []Scope    `json:"scopes"`
	RateLimitOverride *int       `json:"rate_limit_override"`
	Status            string     `json:"status"` // active, revoked or expired
	ExpiresAt         *time.Time `json:"expires_at"`
	LastUsedAt        *time.Time `json:"last_used_at"`
	CreatedAt         time.Time  `json:"created_at"`
	CreatedBy         *string    `json:"created_by"`
	RevokedAt         *time.Time `json:"revoked_at"`
	RevokedBy         *string    `json:"revoked_by"`
	AllowedOrigins    []string   `json:"allowed_origins"`
}

// Scope limits a key to one resource, as the contract's APIKeyScope.
type Scope struct {
	ResourceType string   `json:"resource_type"`
	ResourceID   string   `json:"resource_id"`
	Operations   []string `json:"operations"`
}

// apiKeyCreateResponse is APIKeyCreateResponse: the model and, this once, the plaintext.
type apiKeyCreateResponse struct {
	APIKey
	Key string `json:"key"`
}

type apiKeyListResponse struct {
	Results []APIKey `json:"results"`
	Total   int      `json:"total"`
}

type genericSuccessResponse struct {
	Success bool   `json:"success"`
	Message string `json:"message"`
}

func (k *apiKey) model(now time.Time) APIKey {
	m := APIKey{
		KeyID: k.KeyID, KeyHash: k.Hash, KeyPrefix: k.Prefix, KeyType: "standard",
		InternalID: k.InternalID, OrganizationID: k.user.org.ID, UserID: k.user.ID,
		Name: k.Name, Description: k.Description, Permissions: make([]string, len(k.Permissions)),
		Scopes: make([]Scope, len(k.Scopes)), RateLimitOverride: k.RateLimitOverride, Status: k.status(now),
		ExpiresAt: k.ExpiresAt, LastUsedAt: k.LastUsedAt, CreatedAt: k.CreatedAt, CreatedBy: k.CreatedBy,
		RevokedAt: k.RevokedAt, RevokedBy: k.RevokedBy,
	}
	for i, p := range k.Permissions {
		m.Permissions[i] = string(p)
	}
	for i, sc := range k.Scopes {
		m.Scopes[i] = Scope{sc.ResourceType, sc.ResourceID, slices.Clone(sc.Operations)}
	}
	return m
}

// newMaterial is new key material: a plaintext, and what is kept of it. It is drawn only once
// a request has passed every check, so a refused request does not shift the IDs and keys of a
// seeded random source.
func (s *Server) newMaterial() (plaintext, hash, prefix string, err error) {
	if plaintext, err = sensitive.NewKey(s.ids); err != nil {
		return "", "", "", err
	}
	return plaintext, sensitive.Hash(plaintext), sensitive.Prefix(plaintext), nil
}

// userOf finds the user named by the path in the caller's organization.
func userOf(org *organization, c *call) (*user, error) {
	email := c.vars["user_email"]
	u := org.user(email)
	if u == nil {
		return nil, errUserNotFound(email)
	}
	return u, nil
}

// liveKeyOf finds the user's live key named by the path. The user is returned whenever it
// exists, so a caller can look further when the key does not.
func liveKeyOf(org *organization, c *call) (*user, *apiKey, error) {
	u, err := userOf(org, c)
	if err != nil {
		return nil, nil, err
	}
	k := u.key(c.vars["key_name"])
	if k == nil {
		return u, nil, errKeyNotFound(c.vars["user_email"], c.vars["key_name"])
	}
	return u, k, nil
}

func (s *Server) createKey(c *call) (any, error) {
	var req apiKeyCreateRequest
	if err := decodeBody(c, &req); err != nil {
		return nil, err
	}
	k := &apiKey{
		Name: req.Name, Description: deref(req.Description), Permissions: append([]permission{}, req.Permissions...),
		Scopes: append([]Scope{}, req.Scopes...), RateLimitOverride: intOrNil(req.RateLimitOverride),
		CreatedAt: c.now, CreatedBy: &c.caller.userID,
	}
	if req.ExpiresAt != nil {
		k.ExpiresAt = &req.ExpiresAt.Time
	}
	var out apiKeyCreateResponse
	err := s.inCallerOrg(c, func(st *state, org *organization) error {
		u, err := userOf(org, c)
		if err != nil {
			return err
		}
		if u.nameTaken(k.Name) {
			return errKeyExists(u.Email, k.Name)
		}
		plaintext, hash, prefix, err := s.newMaterial()
		if err != nil {
			return err
		}
		k.Hash, k.Prefix, k.user = hash, prefix, u
		if k.KeyID, err = s.ids.keyID(); err != nil {
			return err
		}
		if k.InternalID, err = s.ids.internalID(); err != nil {
			return err
		}
		u.addKey(k)
		st.byHash[k.Hash] = k
		out = apiKeyCreateResponse{APIKey: k.model(c.now), Key: plaintext}
		return nil
	})
	return out, err
}

func (s *Server) listKeys(c *call) (any, error) {
	// openapi.yaml has checked that the value is a boolean, as strconv reads booleans.
	includeRevoked, _ := strconv.ParseBool(c.r.URL.Query().Get("include_revoked"))
	out := apiKeyListResponse{Results: []APIKey{}}
	err := s.inCallerOrg(c, func(_ *state, org *organization) error {
		u, err := userOf(org, c)
		if err != nil {
			return err
		}
		for _, k := range u.keys {
			if k.RevokedAt == nil || includeRevoked {
				out.Results = append(out.Results, k.model(c.now))
			}
		}
		return nil
	})
	out.Total = len(out.Results)
	return out, err
}

func (s *Server) updateKey(c *call) (any, error) {
	var req apiKeyUpdateRequest
	if err := decodeBody(c, &req); err != nil {
		return nil, err
	}
	var out APIKey
	err := s.inCallerOrg(c, func(_ *state, org *organization) error {
		u, k, err := liveKeyOf(org, c)
		if err != nil {
			if status, ok := req.Status.value(); ok && status == statusActive && u != nil && u.revokedKey(c.vars["key_name"]) != nil {
				return errKeyRevokedForGood(c.vars["key_name"])
			}
			return err
		}
		if k.Name == adminKeyName {
			return errAdminKeyProtected("changed")
		}
		// Work out the whole change first: a refused request changes nothing.
		next := k.clone()
		if name, ok := req.Name.value(); ok && name != k.Name {
			if u.nameTaken(name) {
				return errKeyNameTaken(name)
			}
			next.Name = name
		}
		if req.Description.set {
			next.Description, _ = req.Description.value() // null: "", as upstream shows no description
		}
		if p, ok := req.Permissions.value(); ok {
			next.Permissions = append([]permission{}, p...)
		}
		if req.Scopes.set {
			sc, _ := req.Scopes.value()
			next.Scopes = append([]Scope{}, sc...)
		}
		if req.RateLimitOverride.set {
			n, ok := req.RateLimitOverride.value()
			next.RateLimitOverride = nil
			if ok {
				next.RateLimitOverride = intOrNil(&n)
			}
		}
		if req.ExpiresAt.set {
			next.ExpiresAt = nil
			if t, ok := req.ExpiresAt.value(); ok {
				next.ExpiresAt = &t.Time
			}
		}
		if status, ok := req.Status.value(); ok {
			switch {
			case status == statusRevoked:
				next.revoke(c.now, c.caller.userID)
			case status == statusExpired:
				return errStatusNotSettable(status)
			case next.status(c.now) == statusExpired:
				return errKeyStaysExpired(k.Name)
			}
		}
		oldName := k.Name
		*k = *next
		u.keyChanged(k, oldName)
		out = k.model(c.now)
		return nil
	})
	return out, err
}

func (s *Server) deleteKey(c *call) (any, error) {
	err := s.inCallerOrg(c, func(_ *state, org *organization) error {
		_, k, err := liveKeyOf(org, c)
		if err != nil {
			return err
		}
		if k.Name == adminKeyName {
			return errAdminKeyProtected("deleted")
		}
		k.revoke(c.now, c.caller.userID)
		k.user.keyChanged(k, "")
		return nil
	})
	return genericSuccessResponse{Success: true, Message: fmt.Sprintf("API key %q revoked", c.vars["key_name"])}, err
}

func (s *Server) rotateKey(c *call) (any, error) {
	var out apiKeyCreateResponse
	err := s.inCallerOrg(c, func(st *state, org *organization) error {
		_, k, err := liveKeyOf(org, c)
		if err != nil {
			return err
		}
		if k.Name == adminKeyName {
			return errAdminKeyProtected("rotated")
		}
		plaintext, hash, prefix, err := s.newMaterial()
		if err != nil {
			return err
		}
		// No grace period: the old plaintext stops authenticating now.
		delete(st.byHash, k.Hash)
		k.Hash, k.Prefix, k.LastUsedAt = hash, prefix, nil
		st.byHash[k.Hash] = k
		out = apiKeyCreateResponse{APIKey: k.model(c.now), Key: plaintext}
		return nil
	})
	return out, err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func intOrNil(n *integer) *int {
	if n == nil {
		return nil
	}
	i := int(*n)
	return &i
}
