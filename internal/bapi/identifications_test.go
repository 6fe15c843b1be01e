package bapi_test

import (
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

type identOut struct {
	ID           string `json:"id"`
	Object       string `json:"object"`
	EmailAddress string `json:"email_address"`
	PhoneNumber  string `json:"phone_number"`
	Verification *struct {
		Status   string `json:"status"`
		Strategy string `json:"strategy"`
	} `json:"verification"`
}

func TestEmailAddressLifecycleKeepsAPrimary(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t)
	var u userOut
	call(t, env, "POST", "/users", map[string]any{"email_address": []string{"first@example.com"}}, &u)
	firstID := *u.PrimaryEmailAddressID

	var second identOut
	if s := call(t, env, "POST", "/email_addresses", map[string]any{"user_id": u.ID, "email_address": "Second@Example.com"}, &second); s != 200 ||
		second.Object != "email_address" || second.EmailAddress != "second@example.com" || second.Verification != nil {
		t.Fatalf("add: %d %+v", s, second)
	}
	call(t, env, "GET", "/users/"+u.ID, nil, &u)
	if *u.PrimaryEmailAddressID != firstID || len(u.EmailAddresses) != 2 {
		t.Fatalf("adding a second email changed the primary: %+v", u)
	}

	var e apiError
	expectError(t, call(t, env, "DELETE", "/email_addresses/"+firstID, nil, &e), e, 422, "primary_identification_deletion_failed", "email_address")

	var upd identOut
	if s := call(t, env, "PATCH", "/email_addresses/"+second.ID, map[string]any{"verified": true, "primary": true}, &upd); s != 200 ||
		upd.Verification == nil || upd.Verification.Status != "verified" || upd.Verification.Strategy != "admin" {
		t.Fatalf("patch: %d %+v", s, upd)
	}
	call(t, env, "GET", "/users/"+u.ID, nil, &u)
	if *u.PrimaryEmailAddressID != second.ID {
		t.Fatalf("primary not switched: %+v", u)
	}
	var del struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Deleted bool   `json:"deleted"`
	}
	if s := call(t, env, "DELETE", "/email_addresses/"+firstID, nil, &del); s != 200 || !del.Deleted || del.Object != "email_address" || del.ID != firstID {
		t.Fatalf("delete non-primary: %d %+v", s, del)
	}
	// The last email of an instance that requires one stays.
	expectError(t, call(t, env, "DELETE", "/email_addresses/"+second.ID, nil, &e), e, 422, "last_required_identification_deletion_failed", "email_address")
	// An email id is not a phone number id.
	expectError(t, call(t, env, "GET", "/phone_numbers/"+second.ID, nil, &e), e, 404, "resource_not_found")
	expectError(t, call(t, env, "POST", "/email_addresses", map[string]any{"user_id": "user_missing", "email_address": "x@example.com"}, &e), e, 404, "resource_not_found")
	expectError(t, call(t, env, "POST", "/email_addresses", map[string]any{"user_id": u.ID, "email_address": "not-an-email"}, &e), e, 422, "form_param_format_invalid", "email_address")
}

func TestPhoneNumbersAreE164AndUnique(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t)
	var a, b userOut
	call(t, env, "POST", "/users", map[string]any{"email_address": []string{"a@example.com"}}, &a)
	call(t, env, "POST", "/users", map[string]any{"email_address": []string{"b@example.com"}}, &b)
	var p identOut
	if s := call(t, env, "POST", "/phone_numbers", map[string]any{"user_id": a.ID, "phone_number": "+1 (555) 555-0100", "verified": true}, &p); s != 200 ||
		p.PhoneNumber != "+15555550100" || p.Object != "phone_number" {
		t.Fatalf("add phone: %d %+v", s, p)
	}
	var e apiError
	expectError(t, call(t, env, "POST", "/phone_numbers", map[string]any{"user_id": b.ID, "phone_number": "+15555550100"}, &e), e, 422, "form_identifier_exists", "phone_number")
	expectError(t, call(t, env, "POST", "/phone_numbers", map[string]any{"user_id": b.ID, "phone_number": "555-0100"}, &e), e, 422, "form_param_format_invalid", "phone_number")
	var got struct {
		PrimaryPhoneNumberID *string `json:"primary_phone_number_id"`
	}
	call(t, env, "GET", "/users/"+a.ID, nil, &got)
	if got.PrimaryPhoneNumberID == nil || *got.PrimaryPhoneNumberID != p.ID {
		t.Fatalf("the first phone did not become primary: %+v", got)
	}
	var list []userOut
	call(t, env, "GET", "/users?phone_number=%2B1%20555%20555%200100", nil, &list)
	if len(list) != 1 || list[0].ID != a.ID {
		t.Fatalf("phone filter: %+v", list)
	}
}
