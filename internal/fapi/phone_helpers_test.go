package fapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/notify"
	"github.com/latchkey/latchkey/internal/notify/smstest"
)

// phoneHarness is a harness whose texts go to a fake Twilio.
type phoneHarness struct {
	*harness
	sms *smstest.Fake
}

// startPhone runs Latchkey with phone_code on, texts delivered through the
// Twilio-compatible adapter to a local fake, the SMS allowlist set to the
// US/Canada (+1) and the UK (+44), and email optional at sign-up.
func startPhone(t *testing.T, mutate ...func(*config.Config)) *phoneHarness {
	t.Helper()
	fake := smstest.Start(t)
	base := func(c *config.Config) {
		c.Auth.FirstFactors.PhoneCode = true
		c.Auth.Identifiers.EmailAddress.Required = false
		c.SMS = notify.SMSConfig{Twilio: notify.Twilio{BaseURL: fake.URL(), AccountSID: smstest.AccountSID,
			AuthToken: smstest.AuthToken, From: smstest.From}, AllowedCallingCodes: []int{1, 44}}
	}
	h := start(t, append([]func(*config.Config){base}, mutate...)...)
	t.Cleanup(func() {
		if bad := fake.BadRequests(); len(bad) > 0 {
			t.Errorf("requests to the SMS provider without Twilio's shape: %v", bad)
		}
	})
	return &phoneHarness{harness: h, sms: fake}
}

// textCode waits for the next text to number and returns its code.
func (h *phoneHarness) textCode(number string) string {
	h.t.Helper()
	m := h.sms.WaitFor(h.t, number, mailWait)
	if m.From != smstest.From {
		h.t.Fatalf("text sent from %q, want %q", m.From, smstest.From)
	}
	c := codeRe.FindStringSubmatch(m.Body)
	if c == nil {
		h.t.Fatalf("no code in the text to %s: %q", number, m.Body)
	}
	return c[1]
}

// phoneFactor is a supported first factor with its phone handle.
type phoneFactor struct {
	Strategy       string `json:"strategy"`
	SafeIdentifier string `json:"safe_identifier"`
	PhoneNumberID  string `json:"phone_number_id"`
}

// phoneFactorOf finds the phone_code factor of a sign-in response.
func phoneFactorOf(t *testing.T, r *resp) (phoneFactor, bool) {
	t.Helper()
	var si struct {
		Factors []phoneFactor `json:"supported_first_factors"`
	}
	if err := json.Unmarshal(r.Response, &si); err != nil {
		t.Fatal(err)
	}
	for _, f := range si.Factors {
		if f.Strategy == "phone_code" {
			return f, true
		}
	}
	return phoneFactor{}, false
}

// phoneUser is the part of a Backend API user with phone numbers.
type phoneUser struct {
	ID           string `json:"id"`
	PhoneNumbers []struct {
		ID           string `json:"id"`
		PhoneNumber  string `json:"phone_number"`
		Verification *struct {
			Status   string `json:"status"`
			Strategy string `json:"strategy"`
		} `json:"verification"`
	} `json:"phone_numbers"`
	PrimaryPhoneNumberID *string `json:"primary_phone_number_id"`
}

// createPhoneUser makes a user with a verified phone number and a password.
func (h *harness) createPhoneUser(number, password string) phoneUser {
	h.t.Helper()
	var u phoneUser
	if st := h.admin(http.MethodPost, "/users", map[string]any{"phone_number": []string{number}, "password": password}, &u); st != http.StatusOK || u.ID == "" {
		h.t.Fatalf("create user %s: %d %+v", number, st, u)
	}
	return u
}
