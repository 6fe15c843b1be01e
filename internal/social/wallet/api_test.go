package wallet_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/user"
	"golang.org/x/oauth2"

	"github.com/latchkey/latchkey/internal/social/upstreamtest"
)

// The wallet's list shapes and edge cases: paginated or bare, limit and
// offset, a user without accounts, an unknown user.
func TestWalletListShapes(t *testing.T) {
	s := newStack(t, upstreamtest.Client{})
	acct := s.connect("turing")

	var paged struct {
		Data       []walletToken `json:"data"`
		TotalCount int           `json:"total_count"`
	}
	path := "/users/" + acct.userID + "/oauth_access_tokens/" + provider
	if st := s.call(http.MethodGet, path+"?paginated=true", &paged); st != http.StatusOK || paged.TotalCount != 1 ||
		len(paged.Data) != 1 || paged.Data[0].Token != acct.tok.AccessToken {
		t.Fatalf("paginated: %d %+v", st, paged)
	}
	if st := s.call(http.MethodGet, path+"?paginated=true&offset=1", &paged); st != http.StatusOK || paged.TotalCount != 1 ||
		len(paged.Data) != 0 {
		t.Fatalf("past the end: %d %+v", st, paged)
	}
	// Another provider, or a user with no account: an empty list.
	var none []walletToken
	if st := s.call(http.MethodGet, "/users/"+acct.userID+"/oauth_access_tokens/oauth_github", &none); st != http.StatusOK || none == nil || len(none) != 0 {
		t.Fatalf("other provider: %d %+v", st, none)
	}
	var e clerkErrors
	if st := s.call(http.MethodGet, "/users/user_nope/oauth_access_tokens/"+provider, &e); st != http.StatusNotFound ||
		e.Errors[0].Code != "resource_not_found" {
		t.Fatalf("unknown user: %d %+v", st, e)
	}
	if st := s.call(http.MethodGet, path+"?paginated=maybe", &e); st != http.StatusUnprocessableEntity ||
		e.Errors[0].Meta["param_name"] != "paginated" {
		t.Fatalf("bad paginated: %d %+v", st, e)
	}
}

// When the provider cannot be reached: a token still valid (inside the
// margin) is handed out as it is; an expired one is a clear 503, and the
// account is not marked as needing re-authorization for a passing failure.
func TestWalletUpstreamUnreachable(t *testing.T) {
	s := newStack(t, upstreamtest.Client{})
	acct := s.connect("hamilton")
	dead := *s.cfg
	dead.Endpoint = oauth2.Endpoint{TokenURL: "http://127.0.0.1:1/token", AuthStyle: oauth2.AuthStyleInHeader}
	s.env.Server.Wallet.UseProviders(providers{provider: &dead})

	s.env.Clock.Advance(time.Hour - 30*time.Second) // inside the 1-minute margin, not expired
	if got := s.tokens(acct.userID); got[0].Token != acct.tok.AccessToken {
		t.Fatalf("wallet %+v, want the still-valid token", got)
	}
	s.env.Clock.Advance(time.Minute) // expired
	var e clerkErrors
	if st := s.call(http.MethodGet, "/users/"+acct.userID+"/oauth_access_tokens/"+provider, &e); st != http.StatusServiceUnavailable ||
		e.Errors[0].Code != "oauth_token_retrieval_error" || e.Errors[0].Meta["needs_reauthorization"] != nil {
		t.Fatalf("expired and unreachable: %d %+v", st, e)
	}
	// The provider is back: the refresh goes through with the same refresh token.
	s.env.Server.Wallet.UseProviders(providers{provider: s.cfg})
	if got := s.tokens(acct.userID); got[0].Token == acct.tok.AccessToken || !s.upstreamAccepts(got[0].Token) {
		t.Fatalf("after recovery: %+v", got)
	}
}

// DELETE /v1/users/{id}/external_accounts/{id} through clerk-sdk-go: the
// account and its tokens go; another user's account is not reachable
// through the wrong user id.
func TestDeleteExternalAccount(t *testing.T) {
	s := newStack(t, upstreamtest.Client{})
	ctx := context.Background()
	mine := s.connect("noether")
	other := s.connect("germain")

	_, err := s.users.DeleteExternalAccount(ctx, &user.DeleteExternalAccountParams{UserID: mine.userID, ID: other.accountID})
	wantStatus(t, err, http.StatusNotFound)

	del, err := s.users.DeleteExternalAccount(ctx, &user.DeleteExternalAccountParams{UserID: mine.userID, ID: mine.accountID})
	if err != nil || !del.Deleted || del.ID != mine.accountID || del.Object != "external_account" {
		t.Fatalf("delete: %+v %v", del, err)
	}
	if got := s.tokens(mine.userID); len(got) != 0 {
		t.Fatalf("tokens after delete: %+v", got)
	}
	var n int
	if err := s.env.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM external_accounts WHERE id = $1`, mine.accountID).Scan(&n); err != nil || n != 0 {
		t.Fatalf("row left: %d %v", n, err)
	}
	_, err = s.users.DeleteExternalAccount(ctx, &user.DeleteExternalAccountParams{UserID: mine.userID, ID: mine.accountID})
	wantStatus(t, err, http.StatusNotFound)
	if got := s.tokens(other.userID); len(got) != 1 {
		t.Fatal("the other user's account went too")
	}
}

func wantStatus(t *testing.T, err error, status int) {
	t.Helper()
	var apiErr *clerk.APIErrorResponse
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != status {
		t.Fatalf("error %v, want HTTP %d", err, status)
	}
}
