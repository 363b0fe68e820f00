package mockserver

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

// principal is who is calling: a snapshot taken at authentication, so that the permission
// check needs no lock. Handlers find the organization by ID under the lock (inCallerOrg).
type principal struct {
	orgID   string
	userID  string
	keyName string
	perms   []permission
}

func (p *principal) has(need permission) bool {
	return slices.Contains(p.perms, permAdmin) || slices.Contains(p.perms, need)
}

// authenticate finds the live key presented as "Authorization: Bearer <key>" and records
// its use. Only the hash of the presented key is ever compared or kept.
func (s *Server) authenticate(r *http.Request, now time.Time) (*principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, errUnauthorized("missing Authorization header: send Authorization: Bearer <api key>")
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, errUnauthorized("the Authorization scheme must be Bearer")
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, errUnauthorized("the Authorization header carries no API key")
	}
	hash := sensitive.Hash(token)
	pend := pendingOf(r.Context())
	pend.keyHash = hash
	var p *principal
	err := s.store.do(func(st *state) error {
		k := st.byHash[hash]
		if k != nil {
			pend.recOrg = k.user.org.ID
		}
		switch {
		case k == nil:
			return errUnauthorized("invalid API key")
		case k.status(now) == statusRevoked:
			return errUnauthorized("this API key has been revoked")
		case k.status(now) == statusExpired:
			return errUnauthorized("this API key has expired")
		}
		k.LastUsedAt = &now
		p = &principal{orgID: k.user.org.ID, userID: k.user.ID, keyName: k.Name, perms: slices.Clone(k.Permissions)}
		return nil
	})
	return p, err
}

// inCallerOrg runs f with the state locked and the caller's organization. An organization
// removed since the call authenticated took the key with it: 401.
func (s *Server) inCallerOrg(c *call, f func(st *state, org *organization) error) error {
	return s.store.do(func(st *state) error {
		o := st.org(c.caller.orgID)
		if o == nil {
			return errUnauthorized("the organization of this API key no longer exists")
		}
		return f(st, o)
	})
}
