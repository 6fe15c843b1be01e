package bapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/emailaddress"
	"github.com/clerk/clerk-sdk-go/v2/user"
)

const sdkPassword = "Latchkey-sdk-compat-7f3a"

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
