package mockserver

type createSecretRequest struct {
	SecretName  string `json:"secret_name"`
	SecretValue string `json:"secret_value"`
}

type updateSecretRequest struct {
	SecretValue string `json:"secret_value"`
}

// secretResponse carries only the flag of the operation that ran, as upstream's examples do.
type secretResponse struct {
	SecretName string `json:"secret_name"`
	Created    *bool  `json:"created,omitempty"`
	Updated    *bool  `json:"updated,omitempty"`
	Deleted    *bool  `json:"deleted,omitempty"`
}

type secretsListResponse struct {
	Secrets []string `json:"secrets"`
	Count   int      `json:"count"`
}

var yes = func() *bool { t := true; return &t }()

func (s *Server) createSecret(c *call) (any, error) {
	var req createSecretRequest
	if err := decodeBody(c, &req); err != nil {
		return nil, err
	}
	tok, err := s.ring.Encrypt([]byte(req.SecretValue), c.now)
	if err != nil {
		return nil, err
	}
	err = s.inCallerOrg(c, func(_ *state, org *organization) error {
		if org.secrets[req.SecretName] != nil {
			return errSecretExists(req.SecretName) // the stored value stays as it was
		}
		org.secrets[req.SecretName] = &secret{Token: tok, CreatedAt: c.now, UpdatedAt: c.now}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return secretResponse{SecretName: req.SecretName, Created: yes}, nil
}

func (s *Server) listSecrets(c *call) (any, error) {
	var out secretsListResponse
	err := s.inCallerOrg(c, func(_ *state, org *organization) error {
		out.Secrets = org.sortedSecretNames()
		return nil
	})
	out.Count = len(out.Secrets)
	return out, err
}

func (s *Server) updateSecret(c *call) (any, error) {
	name := c.vars["secret_name"]
	var req updateSecretRequest
	if err := decodeBody(c, &req); err != nil {
		return nil, err
	}
	tok, err := s.ring.Encrypt([]byte(req.SecretValue), c.now)
	if err != nil {
		return nil, err
	}
	err = s.inCallerOrg(c, func(_ *state, org *organization) error {
		sec := org.secrets[name]
		if sec == nil {
			return errSecretNotFound(name)
		}
		org.secrets[name] = &secret{Token: tok, CreatedAt: sec.CreatedAt, UpdatedAt: c.now}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return secretResponse{SecretName: name, Updated: yes}, nil
}

func (s *Server) deleteSecret(c *call) (any, error) {
	name := c.vars["secret_name"]
	err := s.inCallerOrg(c, func(_ *state, org *organization) error {
		if org.secrets[name] == nil {
			return errSecretNotFound(name)
		}
		delete(org.secrets, name)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return secretResponse{SecretName: name, Deleted: yes}, nil
}
