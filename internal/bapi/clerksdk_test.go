package bapi_test

// Compatibility tests: drive the running server with Clerk's own Go SDK
// (github.com/clerk/clerk-sdk-go/v2) and assert on the SDK's typed results,
// so any field the SDK cannot decode, or any behaviour that differs from
// Clerk's, shows up here the way it would in a customer's application.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/emailaddress"
	"github.com/clerk/clerk-sdk-go/v2/jwks"
	"github.com/clerk/clerk-sdk-go/v2/phonenumber"
	"github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/latchkey/latchkey/internal/testserver"
)

// sdk holds SDK clients bound to one test server; never the SDK's global key.
type sdk struct {
	users  *user.Client
	emails *emailaddress.Client
	phones *phonenumber.Client
	jwks   *jwks.Client
}

func newSDK(env *testserver.Env, key string) sdk {
	config := &clerk.ClientConfig{}
	config.Key = clerk.String(key)
	config.URL = clerk.String(env.AdminURL + "/v1")
	// Password hashing under -race can exceed the SDK's default 5s timeout.
	config.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	return sdk{
		users:  user.NewClient(config),
		emails: emailaddress.NewClient(config),
		phones: phonenumber.NewClient(config),
		jwks:   jwks.NewClient(config),
	}
}

func startSDK(t *testing.T) (*testserver.Env, sdk) {
	t.Helper()
	env := testserver.Start(t)
	return env, newSDK(env, env.SecretKey)
}

const sdkPassword = "Latchkey-sdk-compat-7f3a"

// result holds an SDK call's outcome; res(c.users.Get(ctx, id)).must(t)
// fails the test on an error, showing it (for API errors, Clerk's envelope).
type result[T any] struct {
	v   T
	err error
}

func res[T any](v T, err error) result[T] { return result[T]{v, err} }

func (r result[T]) must(t *testing.T) T {
	t.Helper()
	if r.err != nil {
		t.Fatalf("unexpected error: %v", r.err)
	}
	return r.v
}

// wantAPIError asserts err is an *clerk.APIErrorResponse with the status,
// first error code and, if given, meta.param_name.
func wantAPIError(t *testing.T, err error, status int, code string, param ...string) {
	t.Helper()
	var apiErr *clerk.APIErrorResponse
	if !errors.As(err, &apiErr) {
		t.Fatalf("error = %v (%T), want *clerk.APIErrorResponse %d %s", err, err, status, code)
	}
	if apiErr.HTTPStatusCode != status || len(apiErr.Errors) == 0 || apiErr.Errors[0].Code != code {
		t.Fatalf("error = %s, want %d %s", apiErr.Error(), status, code)
	}
	if apiErr.Errors[0].Message == "" || apiErr.Errors[0].LongMessage == "" {
		t.Errorf("error %s lacks message or long_message", apiErr.Error())
	}
	if apiErr.TraceID == "" {
		t.Errorf("error %s lacks clerk_trace_id", apiErr.Error())
	}
	if len(param) > 0 {
		var meta struct {
			ParamName string `json:"param_name"`
		}
		if err := json.Unmarshal(apiErr.Errors[0].Meta, &meta); err != nil || meta.ParamName != param[0] {
			t.Fatalf("meta = %s, want param_name %q", apiErr.Errors[0].Meta, param[0])
		}
	}
}

// jsonEq asserts got is the JSON value want, ignoring formatting and key order.
func jsonEq(t *testing.T, what string, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %q is not JSON: %v", what, got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: bad expectation %q: %v", what, want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s = %s, want %s", what, got, want)
	}
}

func raw(s string) *json.RawMessage { return clerk.JSONRawMessage(json.RawMessage(s)) }

func deref(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func userIDs(users []*clerk.User) []string {
	out := make([]string, 0, len(users))
	for _, u := range users {
		out = append(out, u.ID)
	}
	return out
}

func emailByID(u *clerk.User, id string) *clerk.EmailAddress {
	for _, e := range u.EmailAddresses {
		if e.ID == id {
			return e
		}
	}
	return nil
}

func TestClerkSDKUserLifecycle(t *testing.T) {
	t.Parallel()
	env, c := startSDK(t)
	ctx := context.Background()
	start := time.Now().Add(-time.Minute).UnixMilli()

	created := res(c.users.Create(ctx, &user.CreateParams{
		EmailAddresses:  &[]string{"Grace.Hopper@Example.com"},
		PhoneNumbers:    &[]string{"+1 (555) 555-0100"},
		Username:        clerk.String("Grace_H"),
		Password:        clerk.String(sdkPassword),
		FirstName:       clerk.String("Grace"),
		LastName:        clerk.String("Hopper"),
		ExternalID:      clerk.String("ext-grace"),
		PublicMetadata:  raw(`{"plan":"pro","prefs":{"theme":"dark","lang":"en"},"tags":["a","b"]}`),
		PrivateMetadata: raw(`{"stripe_id":"cus_123"}`),
		UnsafeMetadata:  raw(`{"onboarded":false}`),
	})).must(t)
	if created.Object != "user" || created.ID == "" {
		t.Fatalf("create: object %q id %q", created.Object, created.ID)
	}
	if created.Response == nil || created.Response.StatusCode != http.StatusOK {
		t.Fatalf("create: SDK response %+v", created.Response)
	}
	if deref(created.Username) != "grace_h" || deref(created.FirstName) != "Grace" ||
		deref(created.LastName) != "Hopper" || deref(created.ExternalID) != "ext-grace" {
		t.Fatalf("create: username %q first %q last %q external %q", deref(created.Username),
			deref(created.FirstName), deref(created.LastName), deref(created.ExternalID))
	}
	if !created.PasswordEnabled || created.PasswordLastUpdatedAt == nil || *created.PasswordLastUpdatedAt < start {
		t.Fatalf("create: password_enabled %v, password_last_updated_at %v", created.PasswordEnabled, created.PasswordLastUpdatedAt)
	}
	if created.Banned || created.Locked || created.TwoFactorEnabled || !created.DeleteSelfEnabled {
		t.Fatalf("create: banned %v locked %v 2fa %v delete_self %v", created.Banned, created.Locked,
			created.TwoFactorEnabled, created.DeleteSelfEnabled)
	}
	if created.CreatedAt < start || created.UpdatedAt < created.CreatedAt {
		t.Fatalf("create: created_at %d updated_at %d (start %d): want Unix milliseconds", created.CreatedAt, created.UpdatedAt, start)
	}
	if len(created.EmailAddresses) != 1 || len(created.PhoneNumbers) != 1 {
		t.Fatalf("create: %d emails, %d phones", len(created.EmailAddresses), len(created.PhoneNumbers))
	}
	email, phone := created.EmailAddresses[0], created.PhoneNumbers[0]
	if email.Object != "email_address" || email.EmailAddress != "grace.hopper@example.com" || email.ID == "" ||
		deref(created.PrimaryEmailAddressID) != email.ID {
		t.Fatalf("create: email %+v, primary %q", email, deref(created.PrimaryEmailAddressID))
	}
	if email.Verification == nil || email.Verification.Status != "verified" || email.Reserved {
		t.Fatalf("create: email verification %+v reserved %v", email.Verification, email.Reserved)
	}
	if phone.Object != "phone_number" || phone.PhoneNumber != "+15555550100" ||
		deref(created.PrimaryPhoneNumberID) != phone.ID || phone.Verification == nil || phone.Verification.Status != "verified" {
		t.Fatalf("create: phone %+v, primary %q", phone, deref(created.PrimaryPhoneNumberID))
	}
	jsonEq(t, "public_metadata", created.PublicMetadata, `{"plan":"pro","prefs":{"theme":"dark","lang":"en"},"tags":["a","b"]}`)
	jsonEq(t, "private_metadata", created.PrivateMetadata, `{"stripe_id":"cus_123"}`)
	jsonEq(t, "unsafe_metadata", created.UnsafeMetadata, `{"onboarded":false}`)
	id := created.ID

	t.Run("Get", func(t *testing.T) {
		got := res(c.users.Get(ctx, id)).must(t)
		if got.ID != id || deref(got.Username) != "grace_h" || len(got.EmailAddresses) != 1 ||
			got.EmailAddresses[0].ID != email.ID || got.CreatedAt != created.CreatedAt {
			t.Fatalf("get: %+v", got)
		}
		jsonEq(t, "public_metadata", got.PublicMetadata, `{"plan":"pro","prefs":{"theme":"dark","lang":"en"},"tags":["a","b"]}`)
		jsonEq(t, "private_metadata", got.PrivateMetadata, `{"stripe_id":"cus_123"}`)
	})

	t.Run("Update", func(t *testing.T) {
		second := res(c.emails.Create(ctx, &emailaddress.CreateParams{
			UserID: clerk.String(id), EmailAddress: clerk.String("amazing.grace@example.com"), Verified: clerk.Bool(true),
		})).must(t)
		env.Clock.Advance(time.Second)
		upd := res(c.users.Update(ctx, id, &user.UpdateParams{
			FirstName:             clerk.String("Amazing"),
			LastName:              clerk.String("Grace"),
			Username:              clerk.String("amazing_grace"),
			PrimaryEmailAddressID: clerk.String(second.ID),
			PublicMetadata:        raw(`{"replaced":true}`),
		})).must(t)
		if deref(upd.FirstName) != "Amazing" || deref(upd.LastName) != "Grace" || deref(upd.Username) != "amazing_grace" {
			t.Fatalf("update: first %q last %q username %q", deref(upd.FirstName), deref(upd.LastName), deref(upd.Username))
		}
		if deref(upd.PrimaryEmailAddressID) != second.ID || len(upd.EmailAddresses) != 2 || emailByID(upd, second.ID) == nil {
			t.Fatalf("update: primary %q, emails %d", deref(upd.PrimaryEmailAddressID), len(upd.EmailAddresses))
		}
		if upd.UpdatedAt <= created.UpdatedAt {
			t.Fatalf("update: updated_at %d not after %d", upd.UpdatedAt, created.UpdatedAt)
		}
		// Update replaces the metadata it is given and leaves the rest alone.
		jsonEq(t, "public_metadata", upd.PublicMetadata, `{"replaced":true}`)
		jsonEq(t, "private_metadata", upd.PrivateMetadata, `{"stripe_id":"cus_123"}`)
		jsonEq(t, "unsafe_metadata", upd.UnsafeMetadata, `{"onboarded":false}`)

		// An unverified address cannot become primary through the user.
		unverified := res(c.emails.Create(ctx, &emailaddress.CreateParams{
			UserID: clerk.String(id), EmailAddress: clerk.String("unverified.grace@example.com"), Verified: clerk.Bool(false),
		})).must(t)
		_, err := c.users.Update(ctx, id, &user.UpdateParams{PrimaryEmailAddressID: clerk.String(unverified.ID)})
		wantAPIError(t, err, 422, "form_param_value_invalid", "primary_email_address_id")

		// Switch back so later subtests see the original primary.
		back := res(c.users.Update(ctx, id, &user.UpdateParams{PrimaryEmailAddressID: clerk.String(email.ID)})).must(t)
		if deref(back.PrimaryEmailAddressID) != email.ID {
			t.Fatalf("update back: primary %q", deref(back.PrimaryEmailAddressID))
		}
	})

	t.Run("UpdateMetadata", func(t *testing.T) {
		res(c.users.Update(ctx, id, &user.UpdateParams{
			PublicMetadata: raw(`{"plan":"pro","prefs":{"theme":"dark","lang":"en"},"drop":1}`),
		})).must(t)
		got := res(c.users.UpdateMetadata(ctx, id, &user.UpdateMetadataParams{
			PublicMetadata: raw(`{"prefs":{"lang":"fr","tz":null},"drop":null,"seats":3}`),
			UnsafeMetadata: raw(`{"onboarded":true,"step":{"n":2}}`),
		})).must(t)
		jsonEq(t, "public_metadata", got.PublicMetadata, `{"plan":"pro","prefs":{"theme":"dark","lang":"fr"},"seats":3}`)
		jsonEq(t, "private_metadata", got.PrivateMetadata, `{"stripe_id":"cus_123"}`)
		jsonEq(t, "unsafe_metadata", got.UnsafeMetadata, `{"onboarded":true,"step":{"n":2}}`)

		got = res(c.users.UpdateMetadata(ctx, id, &user.UpdateMetadataParams{
			PrivateMetadata: raw(`{"stripe_id":null,"tier":"gold"}`),
			UnsafeMetadata:  raw(`{"step":{"n":null}}`),
		})).must(t)
		jsonEq(t, "private_metadata", got.PrivateMetadata, `{"tier":"gold"}`)
		jsonEq(t, "unsafe_metadata", got.UnsafeMetadata, `{"onboarded":true,"step":{}}`)
		jsonEq(t, "public_metadata", got.PublicMetadata, `{"plan":"pro","prefs":{"theme":"dark","lang":"fr"},"seats":3}`)

		// The merge is stored, not just echoed.
		again := res(c.users.Get(ctx, id)).must(t)
		jsonEq(t, "stored private_metadata", again.PrivateMetadata, `{"tier":"gold"}`)
	})

	t.Run("BanUnban", func(t *testing.T) {
		banned := res(c.users.Ban(ctx, id)).must(t)
		if !banned.Banned || banned.ID != id {
			t.Fatalf("ban: banned %v id %q", banned.Banned, banned.ID)
		}
		if got := res(c.users.Get(ctx, id)).must(t); !got.Banned {
			t.Fatal("get after ban: banned false")
		}
		list := res(c.users.List(ctx, &user.ListParams{Banned: clerk.Bool(true)})).must(t)
		if list.TotalCount != 1 || len(list.Users) != 1 || list.Users[0].ID != id {
			t.Fatalf("list banned: total %d ids %v", list.TotalCount, userIDs(list.Users))
		}
		if unbanned := res(c.users.Unban(ctx, id)).must(t); unbanned.Banned {
			t.Fatal("unban: banned true")
		}
	})

	t.Run("LockUnlock", func(t *testing.T) {
		locked := res(c.users.Lock(ctx, id)).must(t)
		if !locked.Locked {
			t.Fatal("lock: locked false")
		}
		if got := res(c.users.Get(ctx, id)).must(t); !got.Locked {
			t.Fatal("get after lock: locked false")
		}
		unlocked := res(c.users.Unlock(ctx, id)).must(t)
		if unlocked.Locked || unlocked.LockoutExpiresInSeconds != nil {
			t.Fatalf("unlock: locked %v lockout_expires_in_seconds %v", unlocked.Locked, unlocked.LockoutExpiresInSeconds)
		}
	})

	t.Run("VerifyPassword", func(t *testing.T) {
		ok := res(c.users.VerifyPassword(ctx, &user.VerifyPasswordParams{UserID: id, Password: sdkPassword})).must(t)
		if !ok.Verified {
			t.Fatal("verify right password: verified false")
		}
		wrong, err := c.users.VerifyPassword(ctx, &user.VerifyPasswordParams{UserID: id, Password: sdkPassword + "x"})
		wantAPIError(t, err, 422, "password_incorrect", "password")
		if wrong.Verified {
			t.Fatal("verify wrong password: verified true")
		}
		_, err = c.users.VerifyPassword(ctx, &user.VerifyPasswordParams{UserID: "user_doesnotexist", Password: sdkPassword})
		wantAPIError(t, err, 404, "resource_not_found")

		// A user without a password: Clerk answers 400, not 422.
		nopw := res(c.users.Create(ctx, &user.CreateParams{EmailAddresses: &[]string{"nopw@example.com"}})).must(t)
		if nopw.PasswordEnabled {
			t.Fatal("create without password: password_enabled true")
		}
		_, err = c.users.VerifyPassword(ctx, &user.VerifyPasswordParams{UserID: nopw.ID, Password: sdkPassword})
		wantAPIError(t, err, 400, "no_password_set", "password")
	})

	t.Run("Delete", func(t *testing.T) {
		del := res(c.users.Delete(ctx, id)).must(t)
		if !del.Deleted || del.ID != id || del.Object != "user" {
			t.Fatalf("delete: %+v", del)
		}
		_, err := c.users.Get(ctx, id)
		wantAPIError(t, err, 404, "resource_not_found")
		_, err = c.users.Delete(ctx, id)
		wantAPIError(t, err, 404, "resource_not_found")
		_, err = c.emails.Get(ctx, email.ID)
		wantAPIError(t, err, 404, "resource_not_found")
		// The deleted user's identifiers are free again.
		again := res(c.users.Create(ctx, &user.CreateParams{
			EmailAddresses: &[]string{"grace.hopper@example.com"}, ExternalID: clerk.String("ext-grace"),
		})).must(t)
		if again.ID == id || deref(again.ExternalID) != "ext-grace" {
			t.Fatalf("re-create: %+v", again)
		}
	})
}

func TestClerkSDKUserList(t *testing.T) {
	t.Parallel()
	env, c := startSDK(t)
	ctx := context.Background()

	type seed struct {
		email, username, first, last, external string
	}
	seeds := []seed{
		{"alice@example.com", "alice", "Alice", "Liddell", "ext-1"},
		{"bob@example.com", "bobby", "Bob", "Builder", "ext-2"},
		{"carol@example.org", "carol", "Carol", "Danvers", "ext-3"},
		{"dave@example.org", "dave_d", "Dave", "Lister", ""},
		{"erin@example.net", "erin_e", "Erin", "Brockovich", ""},
	}
	ids := make([]string, len(seeds)) // in creation order
	for i, s := range seeds {
		p := &user.CreateParams{
			EmailAddresses: &[]string{s.email}, Username: clerk.String(s.username),
			FirstName: clerk.String(s.first), LastName: clerk.String(s.last),
		}
		if s.external != "" {
			p.ExternalID = clerk.String(s.external)
		}
		ids[i] = res(c.users.Create(ctx, p)).must(t).ID
		env.Clock.Advance(time.Second) // distinct created_at, so order is defined
	}
	reversed := make([]string, len(ids))
	for i, id := range ids {
		reversed[len(ids)-1-i] = id
	}

	list := func(t *testing.T, p *user.ListParams) *clerk.UserList {
		t.Helper()
		return res(c.users.List(ctx, p)).must(t)
	}
	wantIDs := func(t *testing.T, l *clerk.UserList, total int64, want ...string) {
		t.Helper()
		if got := userIDs(l.Users); l.TotalCount != total || !reflect.DeepEqual(got, append([]string{}, want...)) {
			t.Fatalf("list = total %d %v, want total %d %v", l.TotalCount, got, total, want)
		}
	}

	t.Run("Default", func(t *testing.T) {
		l := list(t, &user.ListParams{})
		wantIDs(t, l, 5, reversed...) // newest first by default
		for _, u := range l.Users {
			if u.Object != "user" || len(u.EmailAddresses) != 1 || u.Username == nil {
				t.Fatalf("list item: %+v", u)
			}
		}
	})
	t.Run("OrderBy", func(t *testing.T) {
		wantIDs(t, list(t, &user.ListParams{OrderBy: clerk.String("-created_at")}), 5, reversed...)
		wantIDs(t, list(t, &user.ListParams{OrderBy: clerk.String("+created_at")}), 5, ids...)
		wantIDs(t, list(t, &user.ListParams{OrderBy: clerk.String("username")}), 5, ids[0], ids[1], ids[2], ids[3], ids[4])
		wantIDs(t, list(t, &user.ListParams{OrderBy: clerk.String("-last_name")}), 5, ids[3], ids[0], ids[2], ids[1], ids[4])
		_, err := c.users.List(ctx, &user.ListParams{OrderBy: clerk.String("password")})
		wantAPIError(t, err, 422, "form_param_value_invalid", "order_by")
	})
	t.Run("LimitOffset", func(t *testing.T) {
		p := &user.ListParams{OrderBy: clerk.String("+created_at")}
		p.Limit, p.Offset = clerk.Int64(2), clerk.Int64(0)
		wantIDs(t, list(t, p), 5, ids[0], ids[1]) // total_count ignores paging
		p.Offset = clerk.Int64(2)
		wantIDs(t, list(t, p), 5, ids[2], ids[3])
		p.Offset = clerk.Int64(4)
		wantIDs(t, list(t, p), 5, ids[4])
		p.Offset = clerk.Int64(10)
		wantIDs(t, list(t, p), 5)
		p.Limit, p.Offset = clerk.Int64(0), nil
		_, err := c.users.List(ctx, p)
		wantAPIError(t, err, 422, "form_param_value_invalid", "limit")
	})
	t.Run("EmailAddresses", func(t *testing.T) {
		wantIDs(t, list(t, &user.ListParams{EmailAddresses: []string{"BOB@example.com", "erin@example.net", "nobody@example.com"},
			OrderBy: clerk.String("+created_at")}), 2, ids[1], ids[4])
	})
	t.Run("Usernames", func(t *testing.T) {
		wantIDs(t, list(t, &user.ListParams{Usernames: []string{"carol", "Dave_D"}, OrderBy: clerk.String("+created_at")}),
			2, ids[2], ids[3])
	})
	t.Run("ExternalIDs", func(t *testing.T) {
		wantIDs(t, list(t, &user.ListParams{ExternalIDs: []string{"ext-1", "ext-3"}, OrderBy: clerk.String("+created_at")}),
			2, ids[0], ids[2])
	})
	t.Run("UserIDs", func(t *testing.T) {
		wantIDs(t, list(t, &user.ListParams{UserIDs: []string{ids[4], ids[1]}}), 2, ids[4], ids[1])
		wantIDs(t, list(t, &user.ListParams{UserIDs: []string{"-" + ids[0], "-" + ids[4]}}), 3, ids[3], ids[2], ids[1])
	})
	t.Run("Query", func(t *testing.T) {
		// Partial, case-insensitive, across email, username and names.
		wantIDs(t, list(t, &user.ListParams{Query: clerk.String("EXAMPLE.ORG")}), 2, ids[3], ids[2])
		wantIDs(t, list(t, &user.ListParams{Query: clerk.String("brock")}), 1, ids[4])
		wantIDs(t, list(t, &user.ListParams{Query: clerk.String("bobb")}), 1, ids[1])
		wantIDs(t, list(t, &user.ListParams{Query: clerk.String("zzz-no-match")}), 0)
	})
	t.Run("CombinedFilters", func(t *testing.T) {
		p := &user.ListParams{Query: clerk.String("example.org"), Usernames: []string{"carol", "alice"}}
		wantIDs(t, list(t, p), 1, ids[2])
	})
	t.Run("Count", func(t *testing.T) {
		n := res(c.users.Count(ctx, &user.ListParams{})).must(t)
		if n.TotalCount != 5 || n.Object != "total_count" {
			t.Fatalf("count: %+v", n)
		}
		n = res(c.users.Count(ctx, &user.ListParams{EmailAddresses: []string{"alice@example.com", "dave@example.org"}})).must(t)
		if n.TotalCount != 2 {
			t.Fatalf("count by email: %d", n.TotalCount)
		}
		n = res(c.users.Count(ctx, &user.ListParams{Query: clerk.String("nothing-matches")})).must(t)
		if n.TotalCount != 0 {
			t.Fatalf("count no match: %d", n.TotalCount)
		}
	})
}

func TestClerkSDKEmailAddressesAndPhoneNumbers(t *testing.T) {
	t.Parallel()
	_, c := startSDK(t)
	ctx := context.Background()

	u := res(c.users.Create(ctx, &user.CreateParams{
		EmailAddresses: &[]string{"owner@example.com"}, Username: clerk.String("owner"),
	})).must(t)
	firstEmail := u.EmailAddresses[0].ID

	t.Run("EmailAddresses", func(t *testing.T) {
		verified := res(c.emails.Create(ctx, &emailaddress.CreateParams{
			UserID: clerk.String(u.ID), EmailAddress: clerk.String("Work@Example.com"), Verified: clerk.Bool(true),
		})).must(t)
		if verified.Object != "email_address" || verified.ID == "" || verified.EmailAddress != "work@example.com" ||
			verified.Verification == nil || verified.Verification.Status != "verified" || verified.Reserved {
			t.Fatalf("create verified: %+v verification %+v", verified, verified.Verification)
		}
		if verified.LinkedTo == nil {
			t.Fatal("create verified: linked_to missing")
		}
		unverified := res(c.emails.Create(ctx, &emailaddress.CreateParams{
			UserID: clerk.String(u.ID), EmailAddress: clerk.String("side@example.com"), Verified: clerk.Bool(false),
		})).must(t)
		if unverified.EmailAddress != "side@example.com" ||
			(unverified.Verification != nil && unverified.Verification.Status == "verified") {
			t.Fatalf("create unverified: %+v verification %+v", unverified, unverified.Verification)
		}
		// Neither became primary: the user already had one.
		owner := res(c.users.Get(ctx, u.ID)).must(t)
		if deref(owner.PrimaryEmailAddressID) != firstEmail || len(owner.EmailAddresses) != 3 {
			t.Fatalf("after create: primary %q, %d emails", deref(owner.PrimaryEmailAddressID), len(owner.EmailAddresses))
		}

		got := res(c.emails.Get(ctx, unverified.ID)).must(t)
		if got.ID != unverified.ID || got.EmailAddress != "side@example.com" {
			t.Fatalf("get: %+v", got)
		}

		upd := res(c.emails.Update(ctx, unverified.ID, &emailaddress.UpdateParams{Verified: clerk.Bool(true)})).must(t)
		if upd.Verification == nil || upd.Verification.Status != "verified" {
			t.Fatalf("update verified: verification %+v", upd.Verification)
		}
		upd = res(c.emails.Update(ctx, unverified.ID, &emailaddress.UpdateParams{Primary: clerk.Bool(true)})).must(t)
		if upd.ID != unverified.ID {
			t.Fatalf("update primary: %+v", upd)
		}
		owner = res(c.users.Get(ctx, u.ID)).must(t)
		if deref(owner.PrimaryEmailAddressID) != unverified.ID {
			t.Fatalf("after update primary: primary %q, want %q", deref(owner.PrimaryEmailAddressID), unverified.ID)
		}
		upd = res(c.emails.Update(ctx, verified.ID, &emailaddress.UpdateParams{Verified: clerk.Bool(false)})).must(t)
		if upd.Verification != nil && upd.Verification.Status == "verified" {
			t.Fatalf("update unverified: verification %+v", upd.Verification)
		}

		// The primary cannot be deleted while others remain.
		_, err := c.emails.Delete(ctx, unverified.ID)
		wantAPIError(t, err, 422, "primary_identification_deletion_failed", "email_address")

		del := res(c.emails.Delete(ctx, verified.ID)).must(t)
		if !del.Deleted || del.ID != verified.ID || del.Object != "email_address" {
			t.Fatalf("delete: %+v", del)
		}
		_, err = c.emails.Get(ctx, verified.ID)
		wantAPIError(t, err, 404, "resource_not_found")
		owner = res(c.users.Get(ctx, u.ID)).must(t)
		if len(owner.EmailAddresses) != 2 || emailByID(owner, verified.ID) != nil {
			t.Fatalf("after delete: %d emails", len(owner.EmailAddresses))
		}

		// Another user's address is taken.
		_, err = c.emails.Create(ctx, &emailaddress.CreateParams{
			UserID: clerk.String(u.ID), EmailAddress: clerk.String("OWNER@example.com"),
		})
		wantAPIError(t, err, 422, "form_identifier_exists", "email_address")
		_, err = c.emails.Create(ctx, &emailaddress.CreateParams{
			UserID: clerk.String("user_doesnotexist"), EmailAddress: clerk.String("ghost@example.com"),
		})
		wantAPIError(t, err, 404, "resource_not_found")
		_, err = c.emails.Create(ctx, &emailaddress.CreateParams{
			UserID: clerk.String(u.ID), EmailAddress: clerk.String("not-an-email"),
		})
		wantAPIError(t, err, 422, "form_param_format_invalid", "email_address")
	})

	t.Run("PhoneNumbers", func(t *testing.T) {
		first := res(c.phones.Create(ctx, &phonenumber.CreateParams{
			UserID: clerk.String(u.ID), PhoneNumber: clerk.String("+44 20 7946 0018"), Verified: clerk.Bool(true),
		})).must(t)
		if first.Object != "phone_number" || first.ID == "" || first.PhoneNumber != "+442079460018" ||
			first.Verification == nil || first.Verification.Status != "verified" {
			t.Fatalf("create: %+v verification %+v", first, first.Verification)
		}
		// The user's first phone number becomes primary.
		owner := res(c.users.Get(ctx, u.ID)).must(t)
		if deref(owner.PrimaryPhoneNumberID) != first.ID || len(owner.PhoneNumbers) != 1 {
			t.Fatalf("after create: primary phone %q, %d phones", deref(owner.PrimaryPhoneNumberID), len(owner.PhoneNumbers))
		}
		second := res(c.phones.Create(ctx, &phonenumber.CreateParams{
			UserID: clerk.String(u.ID), PhoneNumber: clerk.String("+15555550123"),
		})).must(t)
		if second.Verification != nil && second.Verification.Status == "verified" {
			t.Fatalf("create unverified: verification %+v", second.Verification)
		}

		got := res(c.phones.Get(ctx, first.ID)).must(t)
		if got.ID != first.ID || got.PhoneNumber != "+442079460018" {
			t.Fatalf("get: %+v", got)
		}
		// An email id is not a phone number.
		_, err := c.phones.Get(ctx, firstEmail)
		wantAPIError(t, err, 404, "resource_not_found")

		upd := res(c.phones.Update(ctx, second.ID, &phonenumber.UpdateParams{
			Verified: clerk.Bool(true), ReservedForSecondFactor: clerk.Bool(true),
		})).must(t)
		if upd.Verification == nil || upd.Verification.Status != "verified" || !upd.ReservedForSecondFactor {
			t.Fatalf("update: %+v verification %+v", upd, upd.Verification)
		}

		del := res(c.phones.Delete(ctx, second.ID)).must(t)
		if !del.Deleted || del.ID != second.ID || del.Object != "phone_number" {
			t.Fatalf("delete: %+v", del)
		}
		_, err = c.phones.Get(ctx, second.ID)
		wantAPIError(t, err, 404, "resource_not_found")
		// The last phone number may go, primary or not; the user keeps their email.
		res(c.phones.Delete(ctx, first.ID)).must(t)
		owner = res(c.users.Get(ctx, u.ID)).must(t)
		if owner.PrimaryPhoneNumberID != nil || len(owner.PhoneNumbers) != 0 {
			t.Fatalf("after deleting all phones: primary %q, %d phones", deref(owner.PrimaryPhoneNumberID), len(owner.PhoneNumbers))
		}
		_, err = c.phones.Create(ctx, &phonenumber.CreateParams{
			UserID: clerk.String(u.ID), PhoneNumber: clerk.String("555-0100"),
		})
		wantAPIError(t, err, 422, "form_param_format_invalid", "phone_number")
	})
}

func TestClerkSDKJWKSAndAuthentication(t *testing.T) {
	t.Parallel()
	env, c := startSDK(t)
	ctx := context.Background()

	t.Run("JWKS", func(t *testing.T) {
		set := res(c.jwks.Get(ctx, &jwks.GetParams{})).must(t)
		if len(set.Keys) == 0 {
			t.Fatal("jwks: no keys")
		}
		for _, k := range set.Keys {
			if k.KeyID == "" || k.Algorithm != "RS256" || k.Use != "sig" {
				t.Fatalf("jwks key: kid %q alg %q use %q", k.KeyID, k.Algorithm, k.Use)
			}
			// The SDK parsed the key material into a usable RSA public key.
			pub, ok := k.Key.(interface{ Size() int })
			if !ok || pub.Size() < 256 {
				t.Fatalf("jwks key %s: parsed key %T, want an RSA public key of at least 2048 bits", k.KeyID, k.Key)
			}
		}
		var rawSet struct {
			Keys []struct{ Kty, N, E string } `json:"keys"`
		}
		if err := json.Unmarshal(set.Response.RawJSON, &rawSet); err != nil || len(rawSet.Keys) != len(set.Keys) {
			t.Fatalf("jwks raw: %s (%v)", set.Response.RawJSON, err)
		}
		for _, k := range rawSet.Keys {
			if k.Kty != "RSA" || k.N == "" || k.E == "" {
				t.Fatalf("jwks raw key: %+v", k)
			}
		}
	})

	t.Run("WrongSecretKey", func(t *testing.T) {
		bad := newSDK(env, "sk_test_"+string(bytes.Repeat([]byte("x"), 40)))
		_, err := bad.users.List(ctx, &user.ListParams{})
		wantAPIError(t, err, 401, "authentication_invalid")
		_, err = bad.jwks.Get(ctx, &jwks.GetParams{})
		wantAPIError(t, err, 401, "authentication_invalid")
		_, err = bad.users.Create(ctx, &user.CreateParams{EmailAddresses: &[]string{"intruder@example.com"}})
		wantAPIError(t, err, 401, "authentication_invalid")
		// Nothing was created.
		if n := res(c.users.Count(ctx, &user.ListParams{})).must(t); n.TotalCount != 0 {
			t.Fatalf("count after rejected create: %d", n.TotalCount)
		}
	})

	t.Run("EmptySecretKey", func(t *testing.T) {
		_, err := newSDK(env, "").users.Get(ctx, "user_x")
		wantAPIError(t, err, 401, "authentication_invalid")
	})
}

func TestClerkSDKErrorEnvelopes(t *testing.T) {
	t.Parallel()
	_, c := startSDK(t)
	ctx := context.Background()

	res(c.users.Create(ctx, &user.CreateParams{
		EmailAddresses: &[]string{"taken@example.com"}, PhoneNumbers: &[]string{"+15555550199"},
		Username: clerk.String("taken_name"), ExternalID: clerk.String("ext-taken"),
	})).must(t)

	cases := []struct {
		name   string
		params *user.CreateParams
		status int
		code   string
		param  string
	}{
		{"DuplicateEmail", &user.CreateParams{EmailAddresses: &[]string{"TAKEN@example.com"}},
			422, "form_identifier_exists", "email_address"},
		{"DuplicatePhone", &user.CreateParams{EmailAddresses: &[]string{"p@example.com"}, PhoneNumbers: &[]string{"+1 555 555 0199"}},
			422, "form_identifier_exists", "phone_number"},
		{"DuplicateUsername", &user.CreateParams{EmailAddresses: &[]string{"u@example.com"}, Username: clerk.String("Taken_Name")},
			422, "form_identifier_exists", "username"},
		{"DuplicateExternalID", &user.CreateParams{EmailAddresses: &[]string{"x@example.com"}, ExternalID: clerk.String("ext-taken")},
			422, "form_identifier_exists", "external_id"},
		{"MissingRequiredEmail", &user.CreateParams{Username: clerk.String("no_email")},
			422, "form_param_missing", "email_address"},
		{"InvalidEmail", &user.CreateParams{EmailAddresses: &[]string{"not an email"}},
			422, "form_param_format_invalid", "email_address"},
		{"ShortUsername", &user.CreateParams{EmailAddresses: &[]string{"s@example.com"}, Username: clerk.String("ab")},
			422, "form_username_invalid_length", "username"},
		{"ShortPassword", &user.CreateParams{EmailAddresses: &[]string{"pw@example.com"}, Password: clerk.String("short")},
			422, "form_password_length_too_short", "password"},
		{"MetadataNotObject", &user.CreateParams{EmailAddresses: &[]string{"m@example.com"}, PublicMetadata: raw(`[1,2]`)},
			422, "form_param_format_invalid", "public_metadata"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.users.Create(ctx, tc.params)
			wantAPIError(t, err, tc.status, tc.code, tc.param)
		})
	}

	t.Run("UnknownUser", func(t *testing.T) {
		_, err := c.users.Get(ctx, "user_doesnotexist")
		wantAPIError(t, err, 404, "resource_not_found")
		_, err = c.users.Update(ctx, "user_doesnotexist", &user.UpdateParams{FirstName: clerk.String("x")})
		wantAPIError(t, err, 404, "resource_not_found")
		_, err = c.users.Ban(ctx, "user_doesnotexist")
		wantAPIError(t, err, 404, "resource_not_found")
		_, err = c.users.UpdateMetadata(ctx, "user_doesnotexist", &user.UpdateMetadataParams{PublicMetadata: raw(`{}`)})
		wantAPIError(t, err, 404, "resource_not_found")
	})

	// The failed creates left nothing behind.
	if n := res(c.users.Count(ctx, &user.ListParams{})).must(t); n.TotalCount != 1 {
		t.Fatalf("count after failed creates: %d", n.TotalCount)
	}
}
