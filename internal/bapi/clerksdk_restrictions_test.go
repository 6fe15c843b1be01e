package bapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/allowlistidentifier"
	"github.com/clerk/clerk-sdk-go/v2/blocklistidentifier"
	"github.com/clerk/clerk-sdk-go/v2/emailaddress"
	"github.com/clerk/clerk-sdk-go/v2/instancesettings"
	"github.com/clerk/clerk-sdk-go/v2/invitation"
	"github.com/clerk/clerk-sdk-go/v2/user"
)

// restrictionSDK holds the SDK's list and instance clients for one server.
type restrictionSDK struct {
	allow    *allowlistidentifier.Client
	block    *blocklistidentifier.Client
	instance *instancesettings.Client
	config   *clerk.ClientConfig
}

func newRestrictionSDK(url, key string) restrictionSDK {
	config := &clerk.ClientConfig{}
	config.Key = clerk.String(key)
	config.URL = clerk.String(url + "/v1")
	return restrictionSDK{allow: allowlistidentifier.NewClient(config), block: blocklistidentifier.NewClient(config),
		instance: instancesettings.NewClient(config), config: config}
}

func TestSDKAllowlistAndBlocklistIdentifiers(t *testing.T) {
	t.Parallel()
	env, _ := startSDK(t)
	r := newRestrictionSDK(env.AdminURL, env.SecretKey)
	ctx := context.Background()

	domain := res(r.allow.Create(ctx, &allowlistidentifier.CreateParams{Identifier: clerk.String("*@Example.COM")})).must(t)
	if domain.Object != "allowlist_identifier" || domain.Identifier != "*@example.com" || domain.IdentifierType != "email_address" || domain.CreatedAt == 0 {
		t.Fatalf("allowlisted domain = %+v", domain)
	}
	phone := res(r.allow.Create(ctx, &allowlistidentifier.CreateParams{Identifier: clerk.String("+1 (555) 555-0100")})).must(t)
	if phone.Identifier != "+15555550100" || phone.IdentifierType != "phone_number" {
		t.Fatalf("allowlisted phone = %+v", phone)
	}
	wallet := res(r.allow.Create(ctx, &allowlistidentifier.CreateParams{Identifier: clerk.String("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")})).must(t)
	if wallet.Identifier != "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed" || wallet.IdentifierType != "web3_wallet" {
		t.Fatalf("allowlisted wallet = %+v (want the EIP-55 form)", wallet)
	}
	_, err := r.allow.Create(ctx, &allowlistidentifier.CreateParams{Identifier: clerk.String("*@example.com")})
	wantAPIError(t, err, http.StatusUnprocessableEntity, "duplicate_record", "identifier")
	for _, bad := range []string{"", "not an identifier", "*@", "*@nodot", "+12", "0x1234", "0x5AAEB6053f3e94c9b9a09f33669435e7ef1beaed"} {
		_, err := r.allow.Create(ctx, &allowlistidentifier.CreateParams{Identifier: clerk.String(bad)})
		var apiErr *clerk.APIErrorResponse
		if err == nil || !asAPIError(err, &apiErr) || apiErr.HTTPStatusCode != http.StatusUnprocessableEntity {
			t.Errorf("allowlisting %q: err = %v, want a 422", bad, err)
		}
	}
	// notify invites the allowlisted address.
	res(r.allow.Create(ctx, &allowlistidentifier.CreateParams{Identifier: clerk.String("a@example.org"), Notify: clerk.Bool(true)})).must(t)
	invs := res(invitation.NewClient(r.config).List(ctx, &invitation.ListParams{})).must(t)
	if invs.TotalCount != 1 || invs.Invitations[0].EmailAddress != "a@example.org" || invs.Invitations[0].Status != "pending" {
		t.Fatalf("invitations after notify = %+v", invs.Invitations)
	}

	list := res(r.allow.List(ctx, &allowlistidentifier.ListParams{})).must(t)
	if list.TotalCount != 4 || len(list.AllowlistIdentifiers) != 4 || list.AllowlistIdentifiers[0].ID != domain.ID {
		t.Fatalf("allowlist = %d %+v", list.TotalCount, list.AllowlistIdentifiers)
	}
	del := res(r.allow.Delete(ctx, phone.ID)).must(t)
	if !del.Deleted || del.ID != phone.ID || del.Object != "allowlist_identifier" {
		t.Fatalf("delete = %+v", del)
	}
	_, err = r.allow.Delete(ctx, phone.ID)
	wantAPIError(t, err, http.StatusNotFound, "resource_not_found")

	blocked := res(r.block.Create(ctx, &blocklistidentifier.CreateParams{Identifier: clerk.String("Spam@Example.net")})).must(t)
	if blocked.Object != "blocklist_identifier" || blocked.Identifier != "spam@example.net" {
		t.Fatalf("blocklisted = %+v", blocked)
	}
	// An allowlist id is not a blocklist entry.
	_, err = r.block.Delete(ctx, domain.ID)
	wantAPIError(t, err, http.StatusNotFound, "resource_not_found")
	blist := res(r.block.List(ctx, &blocklistidentifier.ListParams{})).must(t)
	if blist.TotalCount != 1 || blist.BlocklistIdentifiers[0].ID != blocked.ID {
		t.Fatalf("blocklist = %+v", blist)
	}

	// Without paginated=true the list is a bare array, as Clerk's.
	var bare []map[string]any
	if st := adminJSON(t, env.AdminURL, env.SecretKey, http.MethodGet, "/v1/allowlist_identifiers", &bare); st != 200 || len(bare) != 3 {
		t.Fatalf("bare list: %d %v", st, bare)
	}
}

func TestSDKRestrictionsBlockUserCreationAndAdditions(t *testing.T) {
	t.Parallel()
	env, c := startSDK(t)
	r := newRestrictionSDK(env.AdminURL, env.SecretKey)
	ctx := context.Background()

	existing := res(c.users.Create(ctx, &user.CreateParams{EmailAddresses: &[]string{"owner@example.org"}})).must(t)
	res(r.block.Create(ctx, &blocklistidentifier.CreateParams{Identifier: clerk.String("*@blocked.example")})).must(t)
	res(r.block.Create(ctx, &blocklistidentifier.CreateParams{Identifier: clerk.String("mallory@example.org")})).must(t)

	// The blocklist is off: entries alone change nothing.
	res(c.users.Create(ctx, &user.CreateParams{EmailAddresses: &[]string{"early@blocked.example"}})).must(t)

	settings := res(r.instance.UpdateRestrictions(ctx, &instancesettings.UpdateRestrictionsParams{Blocklist: clerk.Bool(true)})).must(t)
	if settings.Object != "instance_restrictions" || !settings.Blocklist || settings.Allowlist || settings.BlockEmailSubaddresses {
		t.Fatalf("restrictions = %+v", settings)
	}
	for _, email := range []string{"someone@blocked.example", "Someone@BLOCKED.Example", "x@sub.blocked.example",
		"mallory@example.org", "MALLORY+work@Example.org"} {
		_, err := c.users.Create(ctx, &user.CreateParams{EmailAddresses: &[]string{email}})
		wantAPIError(t, err, http.StatusForbidden, "not_allowed_access", "email_address")
		_, err = c.emails.Create(ctx, &emailaddress.CreateParams{UserID: clerk.String(existing.ID), EmailAddress: clerk.String(email)})
		wantAPIError(t, err, http.StatusForbidden, "not_allowed_access", "email_address")
	}
	res(c.emails.Create(ctx, &emailaddress.CreateParams{UserID: clerk.String(existing.ID), EmailAddress: clerk.String("fine@example.org")})).must(t)

	// Subaddresses and disposable domains, each behind its switch.
	res(c.users.Create(ctx, &user.CreateParams{EmailAddresses: &[]string{"a+tag@example.org"}})).must(t)
	res(c.users.Create(ctx, &user.CreateParams{EmailAddresses: &[]string{"b@mailinator.com"}})).must(t)
	settings = res(r.instance.UpdateRestrictions(ctx, &instancesettings.UpdateRestrictionsParams{
		BlockEmailSubaddresses: clerk.Bool(true), BlockDisposableEmailDomains: clerk.Bool(true)})).must(t)
	if !settings.Blocklist || !settings.BlockEmailSubaddresses || !settings.BlockDisposableEmailDomains {
		t.Fatalf("restrictions after the second update = %+v", settings)
	}
	for _, email := range []string{"c+tag@example.org", "c=tag@example.org", "c#tag@example.org", "d@Mailinator.com", "e@eu.yopmail.com"} {
		_, err := c.users.Create(ctx, &user.CreateParams{EmailAddresses: &[]string{email}})
		wantAPIError(t, err, http.StatusForbidden, "not_allowed_access", "email_address")
	}
	// The operator is not bound by the allowlist: only sign-ups are.
	res(r.instance.UpdateRestrictions(ctx, &instancesettings.UpdateRestrictionsParams{Allowlist: clerk.Bool(true)})).must(t)
	res(c.users.Create(ctx, &user.CreateParams{EmailAddresses: &[]string{"not.listed@example.org"}})).must(t)

	_, err := r.instance.UpdateRestrictions(ctx, &instancesettings.UpdateRestrictionsParams{IgnoreDotsForGmailAddresses: clerk.Bool(true)})
	wantAPIError(t, err, http.StatusUnprocessableEntity, "feature_not_enabled")
}

func asAPIError(err error, target **clerk.APIErrorResponse) bool { return errors.As(err, target) }

// adminJSON calls the Backend API without the SDK and decodes the body.
func adminJSON(t *testing.T, base, key, method, path string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp.StatusCode
}
