package bapi_test

import (
	"context"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/user"
)

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
