package pages

import (
	"net/http"
	"strings"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/signin"
)

type signUpField struct {
	Name, Label, Type, Autocomplete, Value, Error, Hint string
	Required                                            bool
}

type signUpData struct {
	Fields []signUpField
	Ticket string // an invitation's __clerk_ticket, carried through the form
}

// signUpFields are the inputs the instance asks for, in display order.
func (p *Pages) signUpFields(v *view) []signUpField {
	a := p.config.Auth
	var out []signUpField
	add := func(on bool, f signUpField) {
		if on {
			f.Value, f.Error = v.Values[f.Name], v.Errors[f.Name]
			out = append(out, f)
		}
	}
	add(a.SignUp.FirstName != "off", signUpField{Name: "first_name", Label: "First name", Type: "text", Autocomplete: "given-name", Required: a.SignUp.FirstName == "required"})
	add(a.SignUp.LastName != "off", signUpField{Name: "last_name", Label: "Last name", Type: "text", Autocomplete: "family-name", Required: a.SignUp.LastName == "required"})
	add(a.Identifiers.Username.Enabled, signUpField{Name: "username", Label: "Username", Type: "text", Autocomplete: "username",
		Required: a.Identifiers.Username.Required, Hint: "4–64 letters, numbers, '-' or '_'."})
	// With an invitation the invited address is the account's: no field.
	add(a.Identifiers.EmailAddress.Enabled && v.Values["ticket"] == "", signUpField{Name: "email_address", Label: "Email address", Type: "email", Autocomplete: "email", Required: a.Identifiers.EmailAddress.Required})
	// A phone number is asked for when it can be verified by text, or must be given.
	add(a.Identifiers.PhoneNumber.Enabled && (p.engine.SMSEnabled() || a.Identifiers.PhoneNumber.Required), signUpField{Name: "phone_number", Label: "Phone number", Type: "tel", Autocomplete: "tel",
		Required: a.Identifiers.PhoneNumber.Required, Hint: "With the country code, e.g. +15555550100."})
	add(a.FirstFactors.Password, signUpField{Name: "password", Label: "Password", Type: "password", Autocomplete: "new-password",
		Required: p.engine.PasswordRequired(), Hint: "At least 8 characters."})
	for i := range out {
		if out[i].Name == "password" {
			out[i].Value = "" // never echo a password back into the page
		}
	}
	return out
}

func (p *Pages) renderSignUp(w http.ResponseWriter, status int, v *view) error {
	v.Data = signUpData{Fields: p.signUpFields(v), Ticket: v.Values["ticket"]}
	return p.render(w, status, "sign_up", v)
}

func (p *Pages) signUpPage(w http.ResponseWriter, r *http.Request) error {
	v, err := p.newView(w, r, "Sign up")
	if err != nil {
		return err
	}
	if done, err := p.alreadySignedIn(w, r, v.RedirectURL); done || err != nil {
		return err
	}
	v.Values["ticket"] = r.URL.Query().Get("__clerk_ticket")
	return p.renderSignUp(w, http.StatusOK, v)
}

func formPtr(r *http.Request, name string) *string {
	if _, ok := r.PostForm[name]; !ok {
		return nil
	}
	v := strings.TrimSpace(r.PostFormValue(name))
	if name == "password" {
		v = r.PostFormValue(name) // passwords are taken as typed
	}
	if v == "" {
		return nil
	}
	return &v
}

func (p *Pages) signUpSubmit(w http.ResponseWriter, r *http.Request) error {
	v, err := p.newView(w, r, "Sign up")
	if err != nil {
		return err
	}
	in := signin.SignUpInput{IP: clientIP(r)}
	for _, f := range []struct {
		name string
		dst  **string
	}{{"email_address", &in.EmailAddress}, {"username", &in.Username}, {"first_name", &in.FirstName},
		{"last_name", &in.LastName}, {"password", &in.Password}, {"phone_number", &in.PhoneNumber}, {"ticket", &in.Ticket}} {
		*f.dst = formPtr(r, f.name)
		v.Values[f.name] = r.PostFormValue(f.name)
	}
	for _, f := range p.signUpFields(v) {
		if f.Required && formPtr(r, f.Name) == nil {
			v.Errors[f.Name] = f.Label + " is required."
		}
	}
	if len(v.Errors) > 0 {
		return p.renderSignUp(w, http.StatusUnprocessableEntity, v)
	}
	clientID := stateOf(r).client.ID
	su, err := p.engine.CreateSignUp(r.Context(), clientID, in)
	if err != nil {
		if e := apperr.As(err); e != nil && e.Code == "session_exists" {
			return p.done(w, r, v.RedirectURL)
		}
		v.fieldErrors(err, "email_address", "username", "first_name", "last_name", "password", "phone_number")
		return p.renderSignUp(w, statusFor(err), v)
	}
	if su.SignUp.Status == signin.Complete || len(su.Unverified) > 0 {
		if err := p.signUpNext(w, r, v, su); err != nil {
			v.fieldErrors(err, "email_address", "phone_number")
			return p.renderSignUp(w, statusFor(err), v)
		}
		return nil
	}
	v.Error = "Please fill in: " + strings.Join(su.Missing, ", ") + "."
	return p.renderSignUp(w, http.StatusUnprocessableEntity, v)
}
