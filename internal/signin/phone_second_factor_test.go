package signin_test

import (
	"context"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/signin"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/testserver"
)

// SendPhoneCodeToVerified, the hook for phone_code as a second factor,
// texts a code only to a verified number of that user inside the SMS
// allowlist, and records a phone_code verification holding the code's hash.
func TestSendPhoneCodeToVerified(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, func(c *config.Config) {
		c.Auth.FirstFactors.PhoneCode = true
		c.SMS.AllowedCallingCodes = []int{1}
		c.Auth.RateLimits.EmailsPerMinute = 2
	})
	ctx := context.Background()
	users, engine := env.Server.Users, env.Server.Engine
	u, err := users.CreateUser(ctx, identity.CreateUserInput{EmailAddresses: []string{"sf@example.com"},
		PhoneNumbers: []string{"+15555550188", "+33612345600"}})
	if err != nil {
		t.Fatal(err)
	}
	other, err := users.CreateUser(ctx, identity.CreateUserInput{EmailAddresses: []string{"other@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	unverified, err := users.AddIdentification(ctx, identity.AddIdentificationInput{Type: store.TypePhone, UserID: u.ID, PhoneNumber: "+15555550189"})
	if err != nil {
		t.Fatal(err)
	}
	_, client, err := env.Server.Sessions.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	phoneID := map[string]string{}
	for _, i := range u.Identifications {
		phoneID[i.Identifier] = i.ID
	}
	send := func(userID, identID string) (store.Verification, error) {
		var ver store.Verification
		err := env.DB.Tx(ctx, func(tx *store.Tx) error {
			var err error
			ver, err = engine.SendPhoneCodeToVerified(ctx, tx, client.ID, userID, identID)
			return err
		})
		return ver, err
	}
	refused := []struct {
		name, user, ident, code string
	}{
		{"an unverified number", u.ID, unverified.ID, "phone_number_not_verified"},
		{"a number outside the allowlist", u.ID, phoneID["+33612345600"], "unsupported_country_code"},
		{"another user's number", other.ID, phoneID["+15555550188"], "resource_not_found"},
	}
	for _, c := range refused {
		if _, err := send(c.user, c.ident); err == nil || apperr.As(err) == nil || apperr.As(err).Code != c.code {
			t.Errorf("%s: err = %v, want %s", c.name, err, c.code)
		}
	}
	ver, err := send(u.ID, phoneID["+15555550188"])
	if err != nil {
		t.Fatal(err)
	}
	if ver.Strategy != signin.StrategyPhoneCode || ver.Status != "unverified" || len(ver.SecretHash) == 0 ||
		ver.IdentificationID == nil || *ver.IdentificationID != phoneID["+15555550188"] {
		t.Fatalf("verification = %+v", ver)
	}
	// The rate limits are the caller's (prepare_second_factor applies them
	// before its transaction; see fapi's TestMFAPhoneCodeRateLimited).
	if _, err := send(u.ID, phoneID["+15555550188"]); err != nil {
		t.Fatal(err)
	}
	rows, err := env.DB.RecentSMS(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].To != "+15555550188" || !strings.Contains(rows[0].Body, "sign-in code") {
		t.Fatalf("texts = %+v", rows)
	}
}
