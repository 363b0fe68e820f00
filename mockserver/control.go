package mockserver

import (
	"net/http"

	"github.com/gorilla/mux"
)

// controlPrefix is where the control API lives, outside the contract.
const controlPrefix = "/_mock"

// controlRoutes serves the control API. It needs no API key and is not checked against
// openapi.yaml; it never shows a plaintext secret value or API key.
func (s *Server) controlRoutes(r *mux.Router) {
	r.Path(controlPrefix + "/health").Methods(http.MethodGet).HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s.write(w, http.StatusOK, mustMarshal(map[string]string{"status": "ok"}), nil)
	})
	r.Path(controlPrefix + "/reset").Methods(http.MethodPost).HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s.Reset()
		s.write(w, http.StatusOK, mustMarshal(map[string]bool{"reset": true}), nil)
	})
	r.Path(controlPrefix + "/state").Methods(http.MethodGet).HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s.write(w, http.StatusOK, mustMarshal(s.State()), nil)
	})
}

// State is what /_mock/state shows: everything the store keeps, which is never a plaintext.
type State struct {
	Organizations []OrganizationState `json:"organizations"`
}

// OrganizationState is one organization: its users with their keys, and its secrets.
type OrganizationState struct {
	ID      string        `json:"organization_id"`
	Name    string        `json:"name"`
	Users   []UserState   `json:"users"`
	Secrets []SecretState `json:"secrets"`
}

// UserState is a user with every key, revoked ones included, as APIKeyModel JSON.
type UserState struct {
	ID      string   `json:"user_id"`
	Email   string   `json:"email"`
	APIKeys []APIKey `json:"api_keys"`
}

// SecretState is a stored secret: its name and Fernet token.
type SecretState struct {
	Name      string `json:"secret_name"`
	Token     string `json:"token"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

// State returns a copy of what the store holds now.
func (s *Server) State() State {
	now := s.now()
	out := State{Organizations: []OrganizationState{}}
	_ = s.store.do(func(st *state) error {
		for _, o := range st.orgs {
			os := OrganizationState{ID: o.ID, Name: o.Name, Users: []UserState{}, Secrets: []SecretState{}}
			for _, u := range o.users {
				us := UserState{ID: u.ID, Email: u.Email, APIKeys: []APIKey{}}
				for _, k := range u.keys {
					us.APIKeys = append(us.APIKeys, k.model(now))
				}
				os.Users = append(os.Users, us)
			}
			for _, name := range o.sortedSecretNames() {
				sec := o.secrets[name]
				os.Secrets = append(os.Secrets, SecretState{Name: name, Token: string(sec.Token),
					CreatedAt: timestamp(sec.CreatedAt), UpdatedAt: timestamp(sec.UpdatedAt)})
			}
			out.Organizations = append(out.Organizations, os)
		}
		return nil
	})
	return out
}
