package identity

import (
	"context"
	"errors"
	"strings"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/store"
)

// Id prefixes of list entries, as Clerk's.
const (
	allowlistPrefix = "alid"
	blocklistPrefix = "blid"
)

// RestrictionsUpdate is the body of PATCH /v1/instance/restrictions; nil
// leaves a switch as it is.
type RestrictionsUpdate struct {
	Allowlist                   *bool `json:"allowlist"`
	Blocklist                   *bool `json:"blocklist"`
	ListsDisabledOnSignIn       *bool `json:"allowlist_blocklist_disabled_on_sign_in"`
	BlockEmailSubaddresses      *bool `json:"block_email_subaddresses"`
	BlockDisposableEmailDomains *bool `json:"block_disposable_email_domains"`
	IgnoreDotsForGmailAddresses *bool `json:"ignore_dots_for_gmail_addresses"`
}

// Settings returns the switches in force.
func (r *Restrictions) Settings(ctx context.Context) (store.Restrictions, error) {
	s, err := r.store.GetRestrictions(ctx)
	if err != nil {
		return s, apperr.Internal(err, "read restrictions")
	}
	return s, nil
}

// Update changes the switches; every replica sees the change on its next check.
func (r *Restrictions) Update(ctx context.Context, in RestrictionsUpdate) (store.Restrictions, error) {
	if in.IgnoreDotsForGmailAddresses != nil && *in.IgnoreDotsForGmailAddresses {
		return store.Restrictions{}, unsupported("ignore_dots_for_gmail_addresses")
	}
	out, err := r.store.UpdateRestrictions(ctx, func(s *store.Restrictions) error {
		for _, f := range []struct {
			in  *bool
			dst *bool
		}{{in.Allowlist, &s.Allowlist}, {in.Blocklist, &s.Blocklist}, {in.ListsDisabledOnSignIn, &s.ListsDisabledOnSignIn},
			{in.BlockEmailSubaddresses, &s.BlockEmailSubaddresses}, {in.BlockDisposableEmailDomains, &s.BlockDisposableEmailDomains}} {
			if f.in != nil {
				*f.dst = *f.in
			}
		}
		s.UpdatedAt = r.now()
		return nil
	})
	if err != nil {
		return out, apperr.Internal(err, "update restrictions")
	}
	return out, nil
}

// AddToList puts an identifier on the allowlist or blocklist: an email
// address, a whole email domain as "*@example.com", an E.164 phone number
// or a 0x wallet address. It is stored in the form the checks compare.
func (r *Restrictions) AddToList(ctx context.Context, list, raw string) (store.RestrictionIdentifier, error) {
	key, typ, err := restrictionKey(raw)
	if err != nil {
		return store.RestrictionIdentifier{}, err
	}
	now := r.now()
	prefix := allowlistPrefix
	if list == store.Blocklist {
		prefix = blocklistPrefix
	}
	e := store.RestrictionIdentifier{ID: ids.New(prefix), List: list, Identifier: key, IdentifierType: typ,
		CreatedAt: now, UpdatedAt: now}
	err = r.store.InsertRestrictionIdentifier(ctx, e)
	var uv *store.UniqueViolation
	if errors.As(err, &uv) {
		return e, apperr.New(apperr.KindInvalid, "duplicate_record", "duplicate record",
			"This identifier is already on the "+list+".").WithParam("identifier")
	}
	if err != nil {
		return e, apperr.Internal(err, "add to %s", list)
	}
	return e, nil
}

// List returns one page of a list and its size.
func (r *Restrictions) List(ctx context.Context, list string, limit, offset int) ([]store.RestrictionIdentifier, int64, error) {
	out, total, err := r.store.ListRestrictionIdentifiers(ctx, list, limit, offset)
	if err != nil {
		return nil, 0, apperr.Internal(err, "list %s", list)
	}
	return out, total, nil
}

// RemoveFromList deletes an entry; an unknown id is a 404.
func (r *Restrictions) RemoveFromList(ctx context.Context, list, id string) error {
	err := r.store.DeleteRestrictionIdentifier(ctx, list, id)
	if errors.Is(err, store.ErrNotFound) {
		return apperr.NotFound()
	}
	if err != nil {
		return apperr.Internal(err, "remove from %s", list)
	}
	return nil
}

// restrictionKey validates a list entry and returns its stored form and type.
func restrictionKey(raw string) (key, typ string, err error) {
	s := strings.TrimSpace(raw)
	switch {
	case s == "":
		return "", "", apperr.ParamMissing("identifier")
	case strings.HasPrefix(s, "*@"):
		// A whole domain: validate it as the domain of an address.
		v, err := NormalizeEmail("identifier", "x"+s[1:])
		if err != nil {
			return "", "", apperr.ParamInvalid("identifier", "identifier must be an email address, a domain as *@example.com, a phone number in E.164 format or a 0x wallet address.")
		}
		return "*" + v[1:], KindEmail, nil
	case strings.Contains(s, "@"):
		v, err := NormalizeEmail("identifier", s)
		return v, KindEmail, err
	case strings.HasPrefix(s, "+"):
		v, err := NormalizePhone("identifier", s)
		return v, KindPhone, err
	case strings.HasPrefix(strings.ToLower(s), "0x"):
		v, err := NormalizeWallet("identifier", s)
		return strings.ToLower(v), KindWallet, err
	}
	return "", "", apperr.ParamInvalid("identifier", "identifier must be an email address, a domain as *@example.com, a phone number in E.164 format or a 0x wallet address.")
}
