package fapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/config"
)

type invitationObj struct {
	Object         string          `json:"object"`
	ID             string          `json:"id"`
	EmailAddress   string          `json:"email_address"`
	Status         string          `json:"status"`
	URL            *string         `json:"url"`
	PublicMetadata json.RawMessage `json:"public_metadata"`
}

var ticketRe = regexp.MustCompile(`\S+__clerk_ticket=[A-Za-z0-9_\-]+\S*`)

// invite creates an invitation through the Backend API and returns it with
// the ticket taken from the email that reached to.
func (h *harness) invite(to string, body map[string]any) (invitationObj, string) {
	h.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	body["email_address"] = to
	var inv invitationObj
	if st := h.admin(http.MethodPost, "/invitations", body, &inv); st != http.StatusOK || inv.ID == "" {
		h.t.Fatalf("invite %s: %d %+v", to, st, inv)
	}
	m := h.sink.WaitFor(h.t, to, mailWait)
	link := ticketRe.FindString(m.Text)
	if link == "" {
		h.t.Fatalf("no invitation link in the email to %s: %q", to, m.Text)
	}
	u, err := url.Parse(link)
	if err != nil {
		h.t.Fatal(err)
	}
	if inv.URL == nil || *inv.URL != link {
		h.t.Fatalf("the emailed link %q is not the invitation's url %v", link, inv.URL)
	}
	return inv, u.Query().Get("__clerk_ticket")
}

func restrictedMode(c *config.Config) { c.Auth.SignUp.Mode = "restricted" }

func TestInvitationLetsSignUpInRestrictedMode(t *testing.T) {
	h := start(t, restrictedMode)
	h.list("allowlist", "*@corp.example")
	h.restrict(map[string]bool{"allowlist": true})
	inv, ticket := h.invite("Guest@Outside.Example", map[string]any{"public_metadata": map[string]any{"role": "guest"}})
	if inv.Object != "invitation" || inv.Status != "pending" || inv.EmailAddress != "guest@outside.example" ||
		!strings.HasPrefix(*inv.URL, "http") || !strings.Contains(*inv.URL, "/sign-up?") {
		t.Fatalf("invitation = %+v", inv)
	}
	// Without the ticket the address is neither allowlisted nor invited.
	h.browser().post("/client/sign_ups", form("email_address", "guest@outside.example", "password", "correct-horse-battery-9")).
		fails(t, http.StatusForbidden, "not_allowed_access")
	// A ticket only for the invited address.
	h.browser().post("/client/sign_ups", form("strategy", "ticket", "ticket", ticket, "email_address", "other@outside.example")).
		fails(t, http.StatusUnprocessableEntity, "form_param_value_invalid")
	h.browser().post("/client/sign_ups", form("strategy", "ticket")).fails(t, http.StatusUnprocessableEntity, "form_param_missing")
	h.browser().post("/client/sign_ups", form("strategy", "ticket", "ticket", ticket+"x")).
		fails(t, http.StatusUnprocessableEntity, "ticket_invalid")

	b := h.browser()
	su := b.post("/client/sign_ups", form("strategy", "ticket", "ticket", ticket)).ok(t).signUp(t)
	if su.Status != "missing_requirements" || su.EmailAddress == nil || *su.EmailAddress != "guest@outside.example" ||
		len(su.UnverifiedFields) != 0 || su.Verifications.EmailAddress == nil ||
		su.Verifications.EmailAddress.Status != "verified" || su.Verifications.EmailAddress.Strategy != "ticket" {
		t.Fatalf("sign-up with a ticket = %+v (want the invited address, verified, only the password missing)", su)
	}
	// The invited address stays.
	b.do(http.MethodPatch, "/client/sign_ups/"+su.ID, form("email_address", "swap@outside.example")).
		fails(t, http.StatusUnprocessableEntity, "form_param_value_invalid")
	su = b.do(http.MethodPatch, "/client/sign_ups/"+su.ID, form("password", "correct-horse-battery-9")).ok(t).signUp(t)
	if su.Status != "complete" || su.CreatedUserID == nil {
		t.Fatalf("sign-up = %+v", su)
	}
	var u struct {
		PublicMetadata map[string]any `json:"public_metadata"`
		EmailAddresses []struct {
			Verification struct{ Status, Strategy string } `json:"verification"`
		} `json:"email_addresses"`
	}
	h.admin(http.MethodGet, "/users/"+*su.CreatedUserID, nil, &u)
	if u.PublicMetadata["role"] != "guest" || len(u.EmailAddresses) != 1 || u.EmailAddresses[0].Verification.Strategy != "ticket" {
		t.Fatalf("invited user = %+v", u)
	}
	var invs []invitationObj
	h.admin(http.MethodGet, "/invitations?status=accepted", nil, &invs)
	if len(invs) != 1 || invs[0].ID != inv.ID || invs[0].URL != nil {
		t.Fatalf("accepted invitations = %+v", invs)
	}
	// A ticket is spent once.
	h.browser().post("/client/sign_ups", form("strategy", "ticket", "ticket", ticket)).
		fails(t, http.StatusUnprocessableEntity, "ticket_invalid")
	h.browser().signInPassword(t, "guest@outside.example", "correct-horse-battery-9")
}

func TestRevokedOrExpiredInvitationLetsNobodyIn(t *testing.T) {
	h := start(t, restrictedMode)
	_, revokedTicket := h.invite("revoked@example.com", nil)
	inv2, raceTicket := h.invite("race@example.com", nil)
	_, expiredTicket := h.invite("late@example.com", map[string]any{"expires_in_days": 1})

	var all []invitationObj
	h.admin(http.MethodGet, "/invitations?status=pending&query=REVOKED", nil, &all)
	if len(all) != 1 || all[0].EmailAddress != "revoked@example.com" {
		t.Fatalf("pending invitations matching revoked = %+v", all)
	}
	var revoked invitationObj
	if st := h.admin(http.MethodPost, "/invitations/"+all[0].ID+"/revoke", nil, &revoked); st != http.StatusOK || revoked.Status != "revoked" {
		t.Fatalf("revoke: %d %+v", st, revoked)
	}
	h.browser().post("/client/sign_ups", form("strategy", "ticket", "ticket", revokedTicket)).
		fails(t, http.StatusUnprocessableEntity, "ticket_invalid")

	// Revoked while its sign-up is under way: the sign-up cannot complete.
	b := h.browser()
	su := b.post("/client/sign_ups", form("strategy", "ticket", "ticket", raceTicket)).ok(t).signUp(t)
	h.admin(http.MethodPost, "/invitations/"+inv2.ID+"/revoke", nil, nil)
	b.do(http.MethodPatch, "/client/sign_ups/"+su.ID, form("password", "correct-horse-battery-9")).
		fails(t, http.StatusUnprocessableEntity, "ticket_invalid")
	var e struct{ Errors []apiErr }
	if st := h.admin(http.MethodPost, "/invitations/"+inv2.ID+"/revoke", nil, &e); st != http.StatusUnprocessableEntity ||
		len(e.Errors) != 1 || e.Errors[0].Code != "revoke_invitation_failed" {
		t.Fatalf("second revoke: %d %+v", st, e)
	}

	h.env.Clock.Advance(25 * time.Hour)
	h.browser().post("/client/sign_ups", form("strategy", "ticket", "ticket", expiredTicket)).
		fails(t, http.StatusUnprocessableEntity, "ticket_expired")
	h.admin(http.MethodGet, "/invitations?status=expired", nil, &all)
	if len(all) != 1 || all[0].EmailAddress != "late@example.com" || all[0].Status != "expired" {
		t.Fatalf("expired invitations = %+v", all)
	}
}

func TestInvitationStillBoundByTheBlocklist(t *testing.T) {
	h := start(t, restrictedMode)
	h.list("blocklist", "*@evil.example")
	h.restrict(map[string]bool{"blocklist": true})
	var e struct{ Errors []apiErr }
	if st := h.admin(http.MethodPost, "/invitations", map[string]any{"email_address": "Someone+x@EVIL.example"}, &e); st != http.StatusForbidden ||
		len(e.Errors) != 1 || e.Errors[0].Code != "not_allowed_access" {
		t.Fatalf("inviting a blocked address: %d %+v", st, e)
	}
	// Blocked after the invitation went out: the ticket no longer gets in.
	_, ticket := h.invite("friend@later.example", nil)
	h.list("blocklist", "*@later.example")
	h.browser().post("/client/sign_ups", form("strategy", "ticket", "ticket", ticket)).
		fails(t, http.StatusForbidden, "not_allowed_access")
}
