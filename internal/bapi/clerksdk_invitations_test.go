package bapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/blocklistidentifier"
	"github.com/clerk/clerk-sdk-go/v2/instancesettings"
	"github.com/clerk/clerk-sdk-go/v2/invitation"
	"github.com/clerk/clerk-sdk-go/v2/user"
)

// Invitations through clerk-sdk-go: create (with its link), list with
// filters, revoke, and the refusals an operator can run into.
func TestSDKInvitations(t *testing.T) {
	t.Parallel()
	env, c := startSDK(t)
	r := newRestrictionSDK(env.AdminURL, env.SecretKey)
	inv := invitation.NewClient(r.config)
	ctx := context.Background()

	meta := json.RawMessage(`{"plan":"team"}`)
	first := res(inv.Create(ctx, &invitation.CreateParams{EmailAddress: "New.Member@Example.com", PublicMetadata: &meta,
		RedirectURL: clerk.String("https://app.example.com/accept?from=mail"), ExpiresInDays: clerk.Int64(7)})).must(t)
	if first.Object != "invitation" || !strings.HasPrefix(first.ID, "inv_") || first.EmailAddress != "new.member@example.com" ||
		first.Status != "pending" || first.Revoked || string(first.PublicMetadata) != `{"plan":"team"}` || first.ExpiresAt == nil ||
		*first.ExpiresAt-first.CreatedAt != 7*24*3600*1000 {
		t.Fatalf("invitation = %+v", first)
	}
	link, err := url.Parse(first.URL)
	if err != nil || link.Host != "app.example.com" || link.Query().Get("from") != "mail" ||
		len(link.Query().Get("__clerk_ticket")) < 43 || link.Query().Get("__clerk_status") != "sign_up" {
		t.Fatalf("invitation url = %q", first.URL)
	}
	second := res(inv.Create(ctx, &invitation.CreateParams{EmailAddress: "other@example.com", Notify: clerk.Bool(false)})).must(t)
	if !strings.HasPrefix(second.URL, env.Server.Config.PublicURL+"/sign-up?") {
		t.Fatalf("default url = %q (want the hosted sign-up page)", second.URL)
	}

	// Refusals: a pending invitation already, an existing account, bad values, a blocked address.
	_, err = inv.Create(ctx, &invitation.CreateParams{EmailAddress: "new.member@example.com"})
	wantAPIError(t, err, http.StatusUnprocessableEntity, "duplicate_record", "email_address")
	again := res(inv.Create(ctx, &invitation.CreateParams{EmailAddress: "new.member@example.com", IgnoreExisting: clerk.Bool(true), Notify: clerk.Bool(false)})).must(t)
	res(c.users.Create(ctx, &user.CreateParams{EmailAddresses: &[]string{"member@example.com"}})).must(t)
	_, err = inv.Create(ctx, &invitation.CreateParams{EmailAddress: "Member@example.com"})
	wantAPIError(t, err, http.StatusUnprocessableEntity, "form_identifier_exists", "email_address")
	_, err = inv.Create(ctx, &invitation.CreateParams{EmailAddress: "not-an-address"})
	wantAPIError(t, err, http.StatusUnprocessableEntity, "form_param_format_invalid", "email_address")
	_, err = inv.Create(ctx, &invitation.CreateParams{EmailAddress: "x@example.com", ExpiresInDays: clerk.Int64(0)})
	wantAPIError(t, err, http.StatusUnprocessableEntity, "form_param_value_invalid", "expires_in_days")
	_, err = inv.Create(ctx, &invitation.CreateParams{EmailAddress: "x@example.com", RedirectURL: clerk.String("javascript:alert(1)")})
	wantAPIError(t, err, http.StatusUnprocessableEntity, "form_param_value_invalid", "redirect_url")
	res(r.block.Create(ctx, &blocklistidentifier.CreateParams{Identifier: clerk.String("*@spam.example")})).must(t)
	res(r.instance.UpdateRestrictions(ctx, &instancesettings.UpdateRestrictionsParams{Blocklist: clerk.Bool(true)})).must(t)
	_, err = inv.Create(ctx, &invitation.CreateParams{EmailAddress: "Bot+1@SPAM.example"})
	wantAPIError(t, err, http.StatusForbidden, "not_allowed_access", "email_address")

	revoked := res(inv.Revoke(ctx, first.ID)).must(t)
	if revoked.Status != "revoked" || !revoked.Revoked || revoked.URL != "" {
		t.Fatalf("revoked = %+v", revoked)
	}
	_, err = inv.Revoke(ctx, first.ID)
	wantAPIError(t, err, http.StatusUnprocessableEntity, "revoke_invitation_failed")
	_, err = inv.Revoke(ctx, "inv_unknown")
	wantAPIError(t, err, http.StatusNotFound, "resource_not_found")

	all := res(inv.List(ctx, &invitation.ListParams{})).must(t)
	if all.TotalCount != 3 || len(all.Invitations) != 3 || all.Invitations[0].ID != again.ID || all.Invitations[2].ID != first.ID {
		t.Fatalf("all invitations (newest first) = %+v", all.Invitations)
	}
	pending := res(inv.List(ctx, &invitation.ListParams{Statuses: []string{"pending"}, Query: clerk.String("new.member")})).must(t)
	if pending.TotalCount != 1 || pending.Invitations[0].ID != again.ID {
		t.Fatalf("pending invitations for new.member = %+v", pending.Invitations)
	}
	p := &invitation.ListParams{OrderBy: clerk.String("created_at")}
	p.Limit, p.Offset = clerk.Int64(1), clerk.Int64(1)
	page := res(inv.List(ctx, p)).must(t)
	if page.TotalCount != 3 || len(page.Invitations) != 1 || page.Invitations[0].ID != second.ID {
		t.Fatalf("second oldest = %+v", page.Invitations)
	}
	_, err = inv.List(ctx, &invitation.ListParams{Statuses: []string{"lost"}})
	wantAPIError(t, err, http.StatusUnprocessableEntity, "form_param_value_invalid", "status")
}
