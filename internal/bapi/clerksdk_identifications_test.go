package bapi_test

import (
	"context"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/emailaddress"
	"github.com/clerk/clerk-sdk-go/v2/phonenumber"
	"github.com/clerk/clerk-sdk-go/v2/user"
)

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
