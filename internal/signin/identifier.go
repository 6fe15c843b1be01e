package signin

import (
	"context"
	"errors"
	"strings"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/store"
)

// identifierKind tells how a typed identifier is looked up.
func (s *Service) parseIdentifier(raw string) (kind, value string, err error) {
	raw = strings.TrimSpace(raw)
	ids := s.settings.Auth.Identifiers
	switch {
	case strings.Contains(raw, "@") && ids.EmailAddress.Enabled:
		v, err := identity.NormalizeEmail("identifier", raw)
		return store.TypeEmail, v, err
	case strings.HasPrefix(raw, "+") && ids.PhoneNumber.Enabled:
		v, err := identity.NormalizePhone("identifier", raw)
		return store.TypePhone, v, err
	case identity.IsWalletAddress(raw) && s.Web3Enabled():
		v, err := identity.NormalizeWallet("identifier", raw)
		return identity.KindWallet, v, err
	case ids.Username.Enabled && raw != "" && !strings.ContainsAny(raw, "@+"):
		v, err := identity.NormalizeUsername(raw)
		if err != nil {
			return "", "", apperr.ParamInvalid("identifier", "Enter a valid email address, phone number or username.")
		}
		return "username", v, nil
	}
	return "", "", apperr.ParamInvalid("identifier", "Enter a valid email address, phone number or username.")
}

// findUser resolves an identifier to its user, or nil for nobody. A banned
// user is found like any other and refused only once the first factor is
// proven (user_banned), so a ban is never revealed to someone who merely
// typed the identifier.
func (s *Service) findUser(ctx context.Context, kind, value string) (*store.User, error) {
	id, err := s.store.UserIDByIdentifier(ctx, kind, value)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, translate(err)
	}
	u, err := s.store.GetUser(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, translate(err)
	}
	return &u, nil
}

// maskEmail shows enough of an address to recognise it: a***@e***.com.
func maskEmail(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" || domain == "" {
		return "***"
	}
	label, tld, _ := strings.Cut(domain, ".")
	out := local[:1] + "***@" + label[:1] + "***"
	if tld != "" {
		out += "." + tld[strings.LastIndex(tld, ".")+1:]
	}
	return out
}
