package contract

import (
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

// Unwrap is the schema a declaration stands for: OpenAPI 3.0 writes a nullable $ref as
// allOf: [$ref] with nullable: true.
func Unwrap(s *openapi3.Schema) *openapi3.Schema {
	for s != nil && len(s.Properties) == 0 && s.Type == nil && len(s.AllOf) == 1 && s.AllOf[0].Value != nil {
		s = s.AllOf[0].Value
	}
	return s
}

// Property is the schema of a declared property of an object schema (nil when there is none).
func Property(object *openapi3.Schema, name string) *openapi3.Schema {
	object = Unwrap(object)
	if object == nil || object.Properties[name] == nil {
		return nil
	}
	return object.Properties[name].Value
}

// Complete fills in, in place, what a decoded answer leaves out, as the contract reads an
// absent member: the schema's default where it declares one (a key's status is active),
// null where the member is nullable (a key never used has last_used_at null), at every
// depth. A server may write such members or leave them out; whoever reads its answers
// through Complete sees the same thing either way.
func Complete(v any, schema *openapi3.Schema) {
	switch x := v.(type) {
	case map[string]any:
		object := Unwrap(schema)
		if object == nil {
			return
		}
		for name, ref := range object.Properties {
			p := ref.Value
			if p == nil {
				continue
			}
			value, present := x[name]
			switch {
			case present:
				Complete(value, p)
			case p.Default != nil:
				x[name] = p.Default
			case Nullable(p):
				x[name] = nil
			}
		}
	case []any:
		for _, e := range x {
			Complete(e, Items(schema))
		}
	}
}

// Required says whether an object schema requires the member name.
func Required(object *openapi3.Schema, name string) bool {
	object = Unwrap(object)
	return object != nil && slices.Contains(object.Required, name)
}

// Nullable says whether a declaration allows null: itself, or the schema it stands for.
func Nullable(s *openapi3.Schema) bool {
	return s != nil && (s.Nullable || Unwrap(s).Nullable)
}

// Items is the schema of an array schema's items (nil when it declares none).
func Items(array *openapi3.Schema) *openapi3.Schema {
	if array = Unwrap(array); array == nil || array.Items == nil {
		return nil
	}
	return array.Items.Value
}

// Member is a member of a request body as every surface that keeps or shows a body sees it
// (the journal, the recording, the proxy), the one rule of all of them: its schema (nil when
// the object's schema does not declare it), and whether its value is known to be secret: one
// the schema marks writeOnly (secret_value), or one the kit's redaction rule names
// (sensitive.SecretMember). The journal and the recording keep no value of an undeclared
// member either (it may be a secret sent under a mistaken name); the proxy, which accuses an
// answer of echoing a secret, goes by the known ones only.
func Member(object *openapi3.Schema, name string) (schema *openapi3.Schema, secret bool) {
	p := Property(object, name)
	return p, (p != nil && p.WriteOnly) || sensitive.SecretMember(name)
}

// SecretStrings calls f with every string a decoded body holds under a member known to be
// secret (Member), at any depth; schema is the body's.
func SecretStrings(v any, schema *openapi3.Schema, f func(string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p, secret := Member(schema, k)
			if secret {
				allStrings(e, f)
			} else {
				SecretStrings(e, p, f)
			}
		}
	case []any:
		for _, e := range x {
			SecretStrings(e, Items(schema), f)
		}
	}
}

func allStrings(v any, f func(string)) {
	switch x := v.(type) {
	case string:
		f(x)
	case map[string]any:
		for _, e := range x {
			allStrings(e, f)
		}
	case []any:
		for _, e := range x {
			allStrings(e, f)
		}
	}
}

// ShortName is an operationId without its path part: create_api_key for
// create_api_key_v1_organizations_users__user_email__api_keys_post. Reports and check IDs
// name operations with it.
func ShortName(operationID string) string {
	short, _, _ := strings.Cut(operationID, "_v1_")
	return short
}
