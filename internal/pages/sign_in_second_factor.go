package pages

import (
	"net/http"
	"strings"

	"github.com/latchkey/latchkey/internal/signin"
)

// afterFirstFactor moves a sign-in on once its first factor is proved: to
// the second factor when one is due, else out of the flow.
func (p *Pages) afterFirstFactor(w http.ResponseWriter, r *http.Request, si signin.SignInView, redirect string) error {
	if si.SignIn.Status == signin.NeedsSecondFactor {
		return p.to(w, r, "/sign-in/second-factor", redirect)
	}
	return p.done(w, r, redirect)
}

type secondFactorData struct {
	Strategy    string // the factor the form asks for
	Label, Hint string
	// phone_code: the masked number, and whether a code was texted to it
	// for this sign-in (else the page offers to send one).
	To     string
	Sent   bool
	Others []secondFactorChoice
}

type secondFactorChoice struct{ Strategy, Text string }

var secondFactorTexts = map[string][3]string{
	// strategy: label, hint, text of the link that switches to it
	signin.StrategyTOTP:       {"Authentication code", "Enter the 6-digit code from your authenticator app.", "Use your authenticator app"},
	signin.StrategyBackupCode: {"Backup code", "Enter one of the backup codes you saved when you set up two-step verification. Each works once.", "Use a backup code"},
	signin.StrategyPhoneCode:  {"Verification code", "Enter the 6-digit code we texted to %s. It expires in 10 minutes.", "Text a code to %s"},
}

// secondFactorData picks the factor to ask for: the one asked in the query
// if the sign-in offers it, else the first offered.
func (p *Pages) secondFactorData(si signin.SignInView, want string) secondFactorData {
	d := secondFactorData{}
	for _, f := range si.SecondFactors {
		if f.Strategy == want && d.Strategy == "" {
			d.Strategy, d.To = want, f.SafeIdentifier
		}
	}
	if d.Strategy == "" && len(si.SecondFactors) > 0 {
		d.Strategy, d.To = si.SecondFactors[0].Strategy, si.SecondFactors[0].SafeIdentifier
	}
	t := secondFactorTexts[d.Strategy]
	d.Label, d.Hint = t[0], strings.ReplaceAll(t[1], "%s", d.To)
	if ver := si.SecondVerification; d.Strategy == signin.StrategyPhoneCode && ver != nil {
		d.Sent = len(ver.SecretHash) > 0 && ver.Status == "unverified"
	}
	for _, f := range si.SecondFactors {
		if f.Strategy != d.Strategy {
			d.Others = append(d.Others, secondFactorChoice{Strategy: f.Strategy,
				Text: strings.ReplaceAll(secondFactorTexts[f.Strategy][2], "%s", f.SafeIdentifier)})
		}
	}
	return d
}

func (p *Pages) secondFactorPage(w http.ResponseWriter, r *http.Request) error {
	v, si, ok, err := p.flowStep(w, r, "Two-step verification", signin.NeedsSecondFactor)
	if !ok || err != nil {
		return err
	}
	v.Data = p.secondFactorData(si, r.URL.Query().Get("strategy"))
	return p.render(w, http.StatusOK, "sign_in_second_factor", v)
}

func (p *Pages) secondFactorSubmit(w http.ResponseWriter, r *http.Request) error {
	v, si, ok, err := p.flowStep(w, r, "Two-step verification", signin.NeedsSecondFactor)
	if !ok || err != nil {
		return err
	}
	d := p.secondFactorData(si, r.PostFormValue("strategy"))
	_, err = p.engine.AttemptSecondFactor(r.Context(), si.SignIn.ClientID, si.SignIn.ID,
		signin.AttemptInput{Strategy: d.Strategy, Code: strings.TrimSpace(r.PostFormValue("code")), IP: clientIP(r)})
	if err != nil {
		v.fieldErrors(err, "code")
		v.Data = d
		return p.render(w, statusFor(err), "sign_in_second_factor", v)
	}
	return p.done(w, r, v.RedirectURL)
}

// secondFactorSend texts a code for phone_code and shows the form for it.
func (p *Pages) secondFactorSend(w http.ResponseWriter, r *http.Request) error {
	v, si, ok, err := p.flowStep(w, r, "Two-step verification", signin.NeedsSecondFactor)
	if !ok || err != nil {
		return err
	}
	res, err := p.engine.PrepareSecondFactor(r.Context(), si.SignIn.ClientID, si.SignIn.ID,
		signin.PrepareSecondInput{Strategy: signin.StrategyPhoneCode, IP: clientIP(r)})
	if err != nil {
		v.fieldErrors(err, "code")
		v.Data = p.secondFactorData(si, signin.StrategyPhoneCode)
		return p.render(w, statusFor(err), "sign_in_second_factor", v)
	}
	v.Data = p.secondFactorData(res, signin.StrategyPhoneCode)
	return p.render(w, http.StatusOK, "sign_in_second_factor", v)
}
