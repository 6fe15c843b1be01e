package bapi_test

import (
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

type userOut struct {
	ID                    string  `json:"id"`
	Object                string  `json:"object"`
	Username              *string `json:"username"`
	PrimaryEmailAddressID *string `json:"primary_email_address_id"`
	EmailAddresses        []struct {
		ID           string `json:"id"`
		EmailAddress string `json:"email_address"`
	} `json:"email_addresses"`
	PasswordEnabled bool           `json:"password_enabled"`
	PublicMetadata  map[string]any `json:"public_metadata"`
}

func TestCreateAndGetUser(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t)
	var u userOut
	status := call(t, env, "POST", "/users", map[string]any{
		"email_address": []string{"Ada@Example.com"}, "username": "Ada_L", "password": "analytical-engine-1843",
	}, &u)
	if status != 200 || u.Object != "user" || u.Username == nil || *u.Username != "ada_l" || !u.PasswordEnabled {
		t.Fatalf("create: %d %+v", status, u)
	}
	if len(u.EmailAddresses) != 1 || u.EmailAddresses[0].EmailAddress != "ada@example.com" ||
		u.PrimaryEmailAddressID == nil || *u.PrimaryEmailAddressID != u.EmailAddresses[0].ID {
		t.Fatalf("email: %+v", u)
	}
	var got userOut
	if status := call(t, env, "GET", "/users/"+u.ID, nil, &got); status != 200 || got.ID != u.ID {
		t.Fatalf("get: %d %+v", status, got)
	}
	var e apiError
	expectError(t, call(t, env, "POST", "/users", map[string]any{"email_address": []string{"ADA@example.com"}}, &e),
		e, 422, "form_identifier_exists", "email_address")
}
