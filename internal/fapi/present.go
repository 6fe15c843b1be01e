package fapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/latchkey/latchkey/internal/present"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/signin"
	"github.com/latchkey/latchkey/internal/store"
)

// Frontend API objects in Clerk's shapes (fapi Client.* schemas).

type verificationJSON struct {
	Object   string         `json:"object"`
	Status   string         `json:"status"`
	Strategy string         `json:"strategy"`
	Attempts int            `json:"attempts"`
	ExpireAt int64          `json:"expire_at"`
	Error    *errorJSONLite `json:"error,omitempty"`
	NextStep string         `json:"next_action,omitempty"`
	Nonce    string         `json:"nonce,omitempty"` // what a wallet signs (web3), or passkey request options (JSON), as Clerk sends them
	// ExternalVerificationRedirectURL is the provider's authorization URL
	// of an OAuth strategy, on the response that starts it.
	ExternalVerificationRedirectURL string `json:"external_verification_redirect_url,omitempty"`
}

type errorJSONLite struct {
	Code        string `json:"code"`
	Message     string `json:"message"`
	LongMessage string `json:"long_message"`
}

func verificationOf(v *store.Verification) *verificationJSON {
	if v == nil {
		return nil
	}
	out := &verificationJSON{Object: "verification", Status: v.Status, Strategy: v.Strategy, Attempts: v.Attempts,
		ExpireAt: present.Ms(v.ExpireAt)}
	if v.ErrorCode != nil && *v.ErrorCode == "client_mismatch" {
		out.Error = &errorJSONLite{Code: "verification_client_mismatch", Message: "Opened on another device",
			LongMessage: "The link was opened in a different browser or device. Open it where you started signing in."}
	}
	return out
}

// flowErrorOf is why a provider round trip failed, as the verification's error.
func flowErrorOf(e *store.FlowError) *errorJSONLite {
	if e == nil {
		return nil
	}
	return &errorJSONLite{Code: e.Code, Message: e.Message, LongMessage: e.LongMessage}
}

type factorJSON struct {
	Strategy       string `json:"strategy"`
	SafeIdentifier string `json:"safe_identifier,omitempty"`
	EmailAddressID string `json:"email_address_id,omitempty"`
	PhoneNumberID  string `json:"phone_number_id,omitempty"`
	Primary        bool   `json:"primary,omitempty"`
	Web3WalletID   string `json:"web3_wallet_id,omitempty"`
}

type userDataJSON struct {
	FirstName *string `json:"first_name"`
	LastName  *string `json:"last_name"`
	ImageURL  string  `json:"image_url"`
	HasImage  bool    `json:"has_image"`
}

type signInJSON struct {
	Object                   string            `json:"object"`
	ID                       string            `json:"id"`
	Status                   string            `json:"status"`
	SupportedIdentifiers     []string          `json:"supported_identifiers"`
	SupportedFirstFactors    []factorJSON      `json:"supported_first_factors"`
	SupportedSecondFactors   []mfaFactorJSON   `json:"supported_second_factors"`
	FirstFactorVerification  *verificationJSON `json:"first_factor_verification"`
	SecondFactorVerification *verificationJSON `json:"second_factor_verification"`
	Identifier               *string           `json:"identifier"`
	UserData                 *userDataJSON     `json:"user_data"`
	CreatedSessionID         *string           `json:"created_session_id"`
	AbandonAt                int64             `json:"abandon_at"`
}

func (a *API) supportedIdentifiers() []string {
	ids := a.Config.Auth.Identifiers
	out := []string{}
	if ids.EmailAddress.Enabled {
		out = append(out, "email_address")
	}
	if ids.PhoneNumber.Enabled {
		out = append(out, "phone_number")
	}
	if ids.Username.Enabled {
		out = append(out, "username")
	}
	return out
}

func (a *API) signInOf(v signin.SignInView) signInJSON {
	si := v.SignIn
	out := signInJSON{Object: "sign_in_attempt", ID: si.ID, Status: si.Status,
		SupportedIdentifiers: a.supportedIdentifiers(), SupportedFirstFactors: []factorJSON{},
		FirstFactorVerification: verificationOf(v.Verification), Identifier: si.Identifier,
		CreatedSessionID: si.CreatedSessionID, AbandonAt: present.Ms(si.AbandonAt)}
	if out.FirstFactorVerification != nil {
		out.FirstFactorVerification.Nonce = v.Nonce
	}
	for _, f := range v.Factors {
		out.SupportedFirstFactors = append(out.SupportedFirstFactors, factorJSON{Strategy: f.Strategy,
			SafeIdentifier: f.SafeIdentifier, EmailAddressID: f.EmailAddressID, PhoneNumberID: f.PhoneNumberID, Primary: f.Primary,
			Web3WalletID: f.Web3WalletID})
	}
	if out.FirstFactorVerification != nil {
		out.FirstFactorVerification.Nonce = v.Nonce
	}
	out.SupportedSecondFactors, out.SecondFactorVerification = secondFactorsOf(v), verificationOf(v.SecondVerification)
	if out.FirstFactorVerification == nil && si.FirstFactorStrategy != nil && si.FirstFactorStatus != nil {
		out.FirstFactorVerification = &verificationJSON{Object: "verification", Status: *si.FirstFactorStatus, Strategy: *si.FirstFactorStrategy,
			ExternalVerificationRedirectURL: v.ExternalVerificationRedirectURL, Error: flowErrorOf(v.ExternalError)}
	}
	if si.Identifier != nil {
		// Names are shown only once the person has proved who they are, so a
		// sign-in reveals nothing about an account to someone who only typed
		// its identifier.
		out.UserData = &userDataJSON{}
		if si.Status == signin.Complete && v.User != nil {
			out.UserData.FirstName, out.UserData.LastName = v.User.FirstName, v.User.LastName
		}
	}
	return out
}

type signUpVerificationsJSON struct {
	EmailAddress    *verificationJSON `json:"email_address"`
	PhoneNumber     *verificationJSON `json:"phone_number"`
	Web3Wallet      *verificationJSON `json:"web3_wallet"`
	ExternalAccount *verificationJSON `json:"external_account"`
}

type signUpJSON struct {
	Object           string                  `json:"object"`
	ID               string                  `json:"id"`
	Status           string                  `json:"status"`
	RequiredFields   []string                `json:"required_fields"`
	OptionalFields   []string                `json:"optional_fields"`
	MissingFields    []string                `json:"missing_fields"`
	UnverifiedFields []string                `json:"unverified_fields"`
	Verifications    signUpVerificationsJSON `json:"verifications"`
	Username         *string                 `json:"username"`
	EmailAddress     *string                 `json:"email_address"`
	PhoneNumber      *string                 `json:"phone_number"`
	Web3Wallet       *string                 `json:"web3_wallet"`
	PasswordEnabled  bool                    `json:"password_enabled"`
	FirstName        *string                 `json:"first_name"`
	LastName         *string                 `json:"last_name"`
	UnsafeMetadata   json.RawMessage         `json:"unsafe_metadata"`
	PublicMetadata   json.RawMessage         `json:"public_metadata"`
	CustomAction     bool                    `json:"custom_action"`
	ExternalID       *string                 `json:"external_id"`
	CreatedSessionID *string                 `json:"created_session_id"`
	CreatedUserID    *string                 `json:"created_user_id"`
	AbandonAt        int64                   `json:"abandon_at"`
	LegalAcceptedAt  *int64                  `json:"legal_accepted_at"`
}

func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func signUpOf(v signin.SignUpView) signUpJSON {
	su := v.SignUp
	out := signUpJSON{Object: "sign_up_attempt", ID: su.ID, Status: su.Status,
		RequiredFields: orEmpty(v.Required), OptionalFields: orEmpty(v.Optional), MissingFields: orEmpty(v.Missing),
		UnverifiedFields: orEmpty(v.Unverified), Username: su.Username, EmailAddress: su.EmailAddress,
		PhoneNumber: su.PhoneNumber, PasswordEnabled: v.PasswordSet,
		FirstName: su.FirstName, LastName: su.LastName, UnsafeMetadata: su.UnsafeMetadata,
		PublicMetadata: json.RawMessage(`{}`), CreatedSessionID: su.CreatedSessionID, CreatedUserID: su.CreatedUserID,
		AbandonAt: present.Ms(su.AbandonAt), LegalAcceptedAt: present.MsPtr(su.LegalAcceptedAt)}
	if len(out.UnsafeMetadata) == 0 {
		out.UnsafeMetadata = json.RawMessage(`{}`)
	}
	if su.EmailAddress != nil {
		ev := verificationOf(v.Verification)
		if ev == nil {
			ev = &verificationJSON{Object: "verification", Status: "unverified", Strategy: "email_code", NextStep: "needs_prepare"}
		}
		if su.EmailVerifiedAt != nil {
			ev.Status, ev.NextStep = "verified", ""
			if su.InvitationID != nil {
				ev.Strategy = signin.StrategyTicket
			}
		} else if ev.Status == "unverified" && v.Verification != nil {
			ev.NextStep = "needs_attempt"
		}
		out.Verifications.EmailAddress = ev
	}
	out.Verifications.PhoneNumber = phoneVerificationOf(v)
	out.Web3Wallet, out.Verifications.Web3Wallet = su.Web3Wallet, web3SignUpVerification(v)
	if su.ExternalStrategy != nil {
		out.Verifications.ExternalAccount = &verificationJSON{Object: "verification", Status: v.ExternalStatus,
			Strategy: *su.ExternalStrategy, ExternalVerificationRedirectURL: v.ExternalVerificationRedirectURL,
			Error: flowErrorOf(v.ExternalError)}
	}
	return out
}

type publicUserDataJSON struct {
	FirstName  *string `json:"first_name"`
	LastName   *string `json:"last_name"`
	ImageURL   string  `json:"image_url"`
	HasImage   bool    `json:"has_image"`
	Identifier string  `json:"identifier"`
}

type sessionJSON struct {
	Object                   string             `json:"object"`
	ID                       string             `json:"id"`
	Status                   string             `json:"status"`
	ExpireAt                 int64              `json:"expire_at"`
	AbandonAt                int64              `json:"abandon_at"`
	LastActiveAt             int64              `json:"last_active_at"`
	LastActiveOrganizationID *string            `json:"last_active_organization_id"`
	Actor                    any                `json:"actor"`
	User                     *present.User      `json:"user"`
	PublicUserData           publicUserDataJSON `json:"public_user_data"`
	FactorVerificationAge    []int64            `json:"factor_verification_age"`
	CreatedAt                int64              `json:"created_at"`
	UpdatedAt                int64              `json:"updated_at"`
}

func (a *API) sessionOf(ctx context.Context, s store.Session) sessionJSON {
	now := a.Sessions.Now()
	out := sessionJSON{Object: "session", ID: s.ID, Status: a.Sessions.Status(s), ExpireAt: present.Ms(a.Sessions.ExpireAt(s)),
		AbandonAt: present.Ms(s.ExpireAt), LastActiveAt: present.Ms(s.LastActiveAt), CreatedAt: present.Ms(s.CreatedAt),
		UpdatedAt: present.Ms(s.UpdatedAt), FactorVerificationAge: []int64{int64(now.Sub(s.FirstFactorVerifiedAt).Minutes()), -1}}
	if s.SecondFactorVerifiedAt != nil {
		out.FactorVerificationAge[1] = int64(now.Sub(*s.SecondFactorVerifiedAt).Minutes())
	}
	if u, err := a.Users.GetUser(ctx, s.UserID); err == nil {
		pu := present.UserOf(a.Users, u, false)
		out.User = &pu
		out.PublicUserData = publicUserDataJSON{FirstName: u.FirstName, LastName: u.LastName, Identifier: present.PrimaryIdentifier(u)}
	}
	return out
}

type clientJSON struct {
	Object                     string        `json:"object"`
	ID                         string        `json:"id"`
	Sessions                   []sessionJSON `json:"sessions"`
	SignIn                     *signInJSON   `json:"sign_in"`
	SignUp                     *signUpJSON   `json:"sign_up"`
	LastActiveSessionID        *string       `json:"last_active_session_id"`
	LastAuthenticationStrategy *string       `json:"last_authentication_strategy"`
	CookieExpiresAt            *int64        `json:"cookie_expires_at"`
	CaptchaBypass              bool          `json:"captcha_bypass"`
	CreatedAt                  int64         `json:"created_at"`
	UpdatedAt                  int64         `json:"updated_at"`
}

// clientJSON renders the request's client as it is now (nil without one):
// its active sessions and its sign-in and sign-up still in progress.
func (a *API) clientJSON(r *http.Request) (*clientJSON, error) {
	c, err := a.refreshClient(r)
	if err != nil || c == nil {
		return nil, err
	}
	ctx := r.Context()
	exp := present.Ms(c.ExpiresAt)
	out := &clientJSON{Object: "client", ID: c.ID, Sessions: []sessionJSON{}, LastActiveSessionID: c.LastActiveSessionID,
		LastAuthenticationStrategy: c.LastAuthenticationStrategy, CookieExpiresAt: &exp,
		CreatedAt: present.Ms(c.CreatedAt), UpdatedAt: present.Ms(c.UpdatedAt)}
	sessions, err := a.Sessions.ClientSessions(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for _, s := range sessions {
		if a.Sessions.Status(s) == session.StatusActive {
			out.Sessions = append(out.Sessions, a.sessionOf(ctx, s))
		}
	}
	if c.LastActiveSessionID != nil && len(out.Sessions) == 0 {
		out.LastActiveSessionID = nil
	}
	if c.SignInID != nil {
		if v, err := a.Engine.GetSignIn(ctx, c.ID, *c.SignInID); err == nil && v.SignIn.Status != signin.Complete && v.SignIn.Status != signin.Abandoned {
			sj := a.signInOf(v)
			out.SignIn = &sj
		}
	}
	if c.SignUpID != nil {
		if v, err := a.Engine.GetSignUp(ctx, c.ID, *c.SignUpID); err == nil && v.SignUp.Status != signin.Complete && v.SignUp.Status != signin.Abandoned {
			sj := signUpOf(v)
			out.SignUp = &sj
		}
	}
	return out, nil
}
