package notify

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"regexp"
	"strings"
	texttemplate "text/template"
	"time"
)

// Kind names a message template.
type Kind string

// Message kinds.
const (
	KindVerificationCode  Kind = "verification_code"   // sign-up, or adding an email address
	KindSignInCode        Kind = "sign_in_code"        // passwordless sign-in, or a second step
	KindSignInLink        Kind = "sign_in_link"        // magic link
	KindPasswordResetCode Kind = "password_reset_code" // forgotten password
	KindInvitation        Kind = "invitation"          // the operator invites an address to sign up
)

var kinds = []Kind{KindVerificationCode, KindSignInCode, KindSignInLink, KindPasswordResetCode, KindInvitation}

// Brand is how messages present the application.
type Brand struct {
	AppName string
	LogoURL string // absolute http(s) URL of an image; optional
	Color   string // primary colour as #rgb or #rrggbb; optional
}

const defaultColor = "#4f46e5"

var hexColor = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// sanitize keeps only values that are safe and sensible in an email.
func (b Brand) sanitize() Brand {
	b.AppName = strings.Join(strings.FieldsFunc(b.AppName, isControl), " ")
	if b.AppName == "" {
		b.AppName = "Latchkey"
	}
	if !hexColor.MatchString(b.Color) {
		b.Color = defaultColor
	}
	if u, err := url.Parse(b.LogoURL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		b.LogoURL = ""
	}
	return b
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

//go:embed templates
var templateFS embed.FS

type kindTemplates struct {
	html *htmltemplate.Template
	text *texttemplate.Template
}

// templates holds each kind's parsed templates; parsing at init makes a broken
// template fail every test rather than a user's sign-up.
var templates = func() map[Kind]kindTemplates {
	m := make(map[Kind]kindTemplates, len(kinds))
	for _, k := range kinds {
		m[k] = kindTemplates{
			html: htmltemplate.Must(htmltemplate.ParseFS(templateFS, "templates/layout.html", "templates/"+string(k)+".html")),
			text: texttemplate.Must(texttemplate.ParseFS(templateFS, "templates/layout.txt", "templates/"+string(k)+".txt")),
		}
	}
	return m
}()

// templateData is what every template sees.
type templateData struct {
	AppName   string
	LogoURL   string
	Color     string
	To        string
	Code      string
	URL       string
	ExpiresIn string // "10 minutes"
}

type rendered struct {
	Subject, Text, HTML string
}

func render(kind Kind, d templateData) (rendered, error) {
	t, ok := templates[kind]
	if !ok {
		return rendered{}, fmt.Errorf("notify: unknown message kind %q", kind)
	}
	var subject, text, html bytes.Buffer
	if err := t.text.ExecuteTemplate(&subject, "subject", d); err != nil {
		return rendered{}, fmt.Errorf("notify: render %s subject: %w", kind, err)
	}
	if err := t.text.ExecuteTemplate(&text, "layout", d); err != nil {
		return rendered{}, fmt.Errorf("notify: render %s text: %w", kind, err)
	}
	if err := t.html.ExecuteTemplate(&html, "layout", d); err != nil {
		return rendered{}, fmt.Errorf("notify: render %s html: %w", kind, err)
	}
	return rendered{
		Subject: strings.Join(strings.FieldsFunc(subject.String(), isControl), " "),
		Text:    text.String(),
		HTML:    html.String(),
	}, nil
}

// expiresIn says how long ttl is in whole minutes (days from two days on),
// rounded up.
func expiresIn(ttl time.Duration) string {
	if ttl >= 48*time.Hour { // invitations: days, not tens of thousands of minutes
		return fmt.Sprintf("%d days", int((ttl+24*time.Hour-1)/(24*time.Hour)))
	}
	m := int((ttl + time.Minute - 1) / time.Minute)
	if m <= 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", m)
}
