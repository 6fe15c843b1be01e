package identity

import (
	"bufio"
	"context"
	_ "embed"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/store"
)

// Purpose says which path asks whether an identifier may be used: the rules
// differ a little between them (an operator is not bound by the allowlist,
// and an existing account is not refused sign-in for a subaddress).
type Purpose int

const (
	ForSignUp   Purpose = iota // a new account through the frontend API or pages
	ForSignIn                  // signing in to an existing account
	ForAddition                // a signed-in user adding an identifier to their account
	ForAdmin                   // the operator creating a user or adding an identifier (Backend API)
	// ForInvitedSignUp is a sign-up that redeems an invitation: the operator
	// chose the address, so the allowlist and the restricted mode do not
	// apply; the blocklist and the email blocks still do.
	ForInvitedSignUp
)

// Identifier kinds the restrictions know. Usernames are never restricted.
const (
	KindEmail  = store.TypeEmail
	KindPhone  = store.TypePhone
	KindWallet = store.TypeWallet
)

// Sign-up modes (auth.sign_up.mode).
const (
	SignUpPublic     = "public"
	SignUpRestricted = "restricted"
)

// Matcher looks identifiers up in the lists: the store, or the transaction
// of a caller that holds row locks (a second connection from the pool while
// holding one can starve the pool under load).
type Matcher interface {
	MatchRestrictions(ctx context.Context, allowKeys, blockKeys []string) (store.RestrictionMatch, error)
}

// RestrictionStore is what the checks read.
type RestrictionStore interface {
	Matcher
	GetRestrictions(ctx context.Context) (store.Restrictions, error)
	UpdateRestrictions(ctx context.Context, fn func(*store.Restrictions) error) (store.Restrictions, error)
	InsertRestrictionIdentifier(ctx context.Context, r store.RestrictionIdentifier) error
	ListRestrictionIdentifiers(ctx context.Context, list string, limit, offset int) ([]store.RestrictionIdentifier, int64, error)
	DeleteRestrictionIdentifier(ctx context.Context, list, id string) error
}

// Restrictions enforces the allowlist, the blocklist, the email subaddress
// and disposable-domain blocks and the restricted sign-up mode. Every path
// that lets an identifier in (sign-up, sign-in, adding an email address,
// phone number or wallet, social sign-ups) calls Check or CheckAll, so the
// rule lives here once. A nil *Restrictions allows everything.
type Restrictions struct {
	store      RestrictionStore
	signUpMode string
	now        func() time.Time
}

// NewRestrictions wires the checks; signUpMode is public or restricted.
func NewRestrictions(s RestrictionStore, signUpMode string, now func() time.Time) *Restrictions {
	return &Restrictions{store: s, signUpMode: signUpMode, now: now}
}

// SignUpMode is public or restricted.
func (r *Restrictions) SignUpMode() string {
	if r == nil || r.signUpMode == "" {
		return SignUpPublic
	}
	return r.signUpMode
}

// Ident is one identifier to check: kind is KindEmail, KindPhone or KindWallet.
type Ident struct{ Kind, Value string }

// Check refuses an identifier the instance does not let in for purpose,
// with Clerk's not_allowed_access (or sign_up_mode_restricted). Case and
// email subaddresses never get around a block: User+x@Example.COM is
// blocked by user@example.com and by *@example.com.
func (r *Restrictions) Check(ctx context.Context, purpose Purpose, kind, value string) error {
	return r.CheckAll(ctx, purpose, []Ident{{kind, value}})
}

// CheckAll checks the identifiers of one account together: any blocked one
// refuses it, and where the allowlist applies one allowlisted identifier is
// enough. With no email address, phone number or wallet at all, a sign-up
// on an allowlist-only instance is refused.
func (r *Restrictions) CheckAll(ctx context.Context, purpose Purpose, idents []Ident) error {
	if r == nil {
		return nil
	}
	return r.CheckAllIn(ctx, r.store, purpose, idents)
}

// CheckAllIn is CheckAll reading the lists through m (a transaction; nil
// reads them from the store).
func (r *Restrictions) CheckAllIn(ctx context.Context, m Matcher, purpose Purpose, idents []Ident) error {
	if r == nil {
		return nil
	}
	if m == nil {
		m = r.store
	}
	var allowKeys, blockKeys []string
	var emails []emailParts
	param := ""
	for _, id := range idents {
		switch id.Kind {
		case KindEmail:
			e, ok := splitEmail(id.Value)
			if !ok {
				continue // not an address; format checks are the caller's
			}
			emails = append(emails, e)
			allowKeys = append(allowKeys, e.addr, "*@"+e.domain)
			blockKeys = append(blockKeys, e.addr, e.base+"@"+e.domain)
			for _, d := range e.domains() {
				blockKeys = append(blockKeys, "*@"+d)
			}
		case KindPhone:
			v := strings.TrimSpace(id.Value)
			allowKeys, blockKeys = append(allowKeys, v), append(blockKeys, v)
		case KindWallet:
			v := strings.ToLower(strings.TrimSpace(id.Value))
			allowKeys, blockKeys = append(allowKeys, v), append(blockKeys, v)
		default:
			continue
		}
		if param == "" {
			param = id.Kind
		}
	}
	found, err := m.MatchRestrictions(ctx, allowKeys, blockKeys)
	if err != nil {
		return apperr.Internal(err, "read restrictions")
	}
	listsApply := purpose != ForSignIn || !found.ListsDisabledOnSignIn
	if found.Blocklist && listsApply && found.Blocked {
		return notAllowed(param)
	}
	if purpose != ForSignIn {
		for _, e := range emails {
			if found.BlockEmailSubaddresses && e.base != e.local {
				return notAllowed(KindEmail)
			}
			if found.BlockDisposableEmailDomains && isDisposable(e) {
				return notAllowed(KindEmail)
			}
		}
	}
	if found.Allowlist && listsApply && purpose != ForAdmin && purpose != ForInvitedSignUp && !found.Allowed {
		return notAllowed(param)
	}
	if purpose == ForSignUp && r.signUpMode == SignUpRestricted && !found.Allowed {
		return signUpRestricted()
	}
	return nil
}

// ErrNotAllowed is Clerk's refusal of an identifier by the restrictions.
func notAllowed(param string) error {
	if param == "" {
		param = "identifier"
	}
	return apperr.New(apperr.KindForbidden, "not_allowed_access", "You are not allowed to access this application.",
		"This "+strings.ReplaceAll(param, "_", " ")+" is not allowed to access this application. "+
			"It may be blocked, use a subaddress (+, = or #) or a disposable email domain, or not be on the allowlist.").
		WithParam(param)
}

func signUpRestricted() error {
	return apperr.New(apperr.KindForbidden, "sign_up_mode_restricted", "Sign-ups are restricted.",
		"This application is in restricted mode: you can sign up only with an invitation or an allowlisted identifier.")
}

// IsRestrictionError reports whether err is a refusal by the restrictions.
func IsRestrictionError(err error) bool {
	e := apperr.As(err)
	return e != nil && (e.Code == "not_allowed_access" || e.Code == "sign_up_mode_restricted")
}

// emailParts is an address split for matching, all lower case.
type emailParts struct {
	addr, local, base, domain string // base: local without its subaddress
}

func splitEmail(raw string) (emailParts, bool) {
	addr := strings.ToLower(strings.TrimSpace(raw))
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") {
		return emailParts{}, false
	}
	base := local
	if i := strings.IndexAny(local, "+=#"); i >= 0 {
		base = local[:i]
	}
	if base == "" {
		base = local
	}
	return emailParts{addr: addr, local: local, base: base, domain: domain}, true
}

// domains is the address's domain and every parent domain that still has a
// dot: a.b.example.com, b.example.com, example.com. Blocking a domain
// blocks its subdomains.
func (e emailParts) domains() []string {
	out := []string{e.domain}
	d := e.domain
	for {
		_, rest, ok := strings.Cut(d, ".")
		if !ok || !strings.Contains(rest, ".") {
			return out
		}
		out, d = append(out, rest), rest
	}
}

//go:embed disposable_domains.txt
var disposableList string

var disposable = func() map[string]bool {
	m := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(disposableList))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = true
		}
	}
	return m
}()

func isDisposable(e emailParts) bool {
	for _, d := range e.domains() {
		if disposable[d] {
			return true
		}
	}
	return false
}

// UseRestrictions makes the user service enforce the restrictions when
// identifiers are added.
func (s *Service) UseRestrictions(r *Restrictions) { s.policy = r }

// identsOf lists a user's email addresses, phone numbers and wallets for a check.
func identsOf(u store.User) []Ident {
	out := make([]Ident, 0, len(u.Identifications))
	for _, i := range u.Identifications {
		out = append(out, Ident{Kind: i.Type, Value: i.Identifier})
	}
	return out
}
