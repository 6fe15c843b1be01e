package bapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/invitation"
)

// clerk-sdk-go's invitation.BulkCreate: invitations in the order given, each
// with its own link and email; a refused one stores and emails nothing, and
// says which it was.
func TestSDKBulkInvitations(t *testing.T) {
	t.Parallel()
	env, _ := startSDK(t)
	inv := invitation.NewClient(newRestrictionSDK(env.AdminURL, env.SecretKey).config)
	ctx := context.Background()
	invitationEmails := func() int {
		var n int
		if err := env.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM email_outbox WHERE kind = 'invitation'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	got := res(inv.BulkCreate(ctx, &invitation.BulkCreateParams{Invitations: []*invitation.CreateParams{
		{EmailAddress: "Ann@Example.com"},
		{EmailAddress: "bob@example.com", Notify: clerk.Bool(false)},
		{EmailAddress: "cy@example.com", RedirectURL: clerk.String("https://app.example.com/join")},
	}})).must(t)
	if len(got.Invitations) != 3 || got.Invitations[0].EmailAddress != "ann@example.com" || got.Invitations[1].EmailAddress != "bob@example.com" ||
		!strings.HasPrefix(got.Invitations[2].URL, "https://app.example.com/join?") || got.Invitations[0].URL == got.Invitations[1].URL {
		t.Fatalf("bulk invitations = %+v", got.Invitations)
	}
	if n := invitationEmails(); n != 2 {
		t.Fatalf("%d invitation emails, want 2 (one asked for none)", n)
	}

	refused := []struct {
		name   string
		emails []string
		status int
		code   string
		index  int
	}{
		{"a pending invitation", []string{"dee@example.com", "bob@example.com"}, 422, "duplicate_record", 1},
		{"an address twice", []string{"eve@example.com", "EVE@example.com"}, 422, "duplicate_record", 1},
		{"a bad address", []string{"not-an-address", "fay@example.com"}, 422, "form_param_format_invalid", 0},
		{"more than ten", strings.Split("a@x.example b@x.example c@x.example d@x.example e@x.example f@x.example g@x.example h@x.example i@x.example j@x.example k@x.example", " "), 422, "form_param_value_invalid", -1},
		{"none", nil, 422, "form_param_value_invalid", -1},
	}
	for _, c := range refused {
		p := &invitation.BulkCreateParams{Invitations: []*invitation.CreateParams{}}
		for _, e := range c.emails {
			p.Invitations = append(p.Invitations, &invitation.CreateParams{EmailAddress: e})
		}
		_, err := inv.BulkCreate(ctx, p)
		wantAPIError(t, err, c.status, c.code)
		var apiErr *clerk.APIErrorResponse
		errors.As(err, &apiErr)
		var meta struct {
			Index *int `json:"index"`
		}
		_ = json.Unmarshal(apiErr.Errors[0].Meta, &meta)
		if (c.index < 0) != (meta.Index == nil) || (meta.Index != nil && *meta.Index != c.index) {
			t.Fatalf("%s: meta = %s, want index %d", c.name, apiErr.Errors[0].Meta, c.index)
		}
	}
	all := res(inv.List(ctx, &invitation.ListParams{})).must(t)
	if all.TotalCount != 3 || invitationEmails() != 2 {
		t.Fatalf("after refused bulk requests: %d invitations, %d emails", all.TotalCount, invitationEmails())
	}
	if r, err := http.NewRequest(http.MethodPost, env.AdminURL+"/v1/invitations/bulk", strings.NewReader(`{"email_address":"x@example.com"}`)); err == nil {
		r.Header.Set("Authorization", "Bearer "+env.SecretKey)
		r.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("an object instead of an array: %d", resp.StatusCode)
		}
	}
}
