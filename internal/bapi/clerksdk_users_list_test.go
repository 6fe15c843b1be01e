package bapi_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/user"
)

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
