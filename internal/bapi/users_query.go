package bapi

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/store"
)

const (
	defaultLimit   = 10
	maxLimit       = 500
	maxFilterItems = 100
)

// multi returns a repeated query parameter, accepting both name=a&name=b and
// the bracketed name[]=a form some clients send.
func multi(q url.Values, name string) ([]string, error) {
	vals := append(append([]string{}, q[name]...), q[name+"[]"]...)
	if len(vals) > maxFilterItems {
		return nil, apperr.ParamValueInvalid(name, "At most 100 values of "+name+" can be given.")
	}
	out := vals[:0]
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out, nil
}

// signed splits "+id"/"-id" values into included and excluded sets.
func signed(vals []string) (include, exclude []string) {
	for _, v := range vals {
		switch {
		case strings.HasPrefix(v, "-"):
			exclude = append(exclude, v[1:])
		case strings.HasPrefix(v, "+"):
			include = append(include, v[1:])
		default:
			include = append(include, v)
		}
	}
	return include, exclude
}

func msParam(q url.Values, name string) (*time.Time, error) {
	raw := q.Get(name)
	if raw == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 0 {
		return nil, apperr.ParamInvalid(name, name+" must be a Unix timestamp in milliseconds.")
	}
	t := time.UnixMilli(n)
	return &t, nil
}

func intParam(q url.Values, name string, def, min, max int) (int, error) {
	raw := q.Get(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < min || n > max {
		return 0, apperr.ParamValueInvalid(name, name+" must be an integer between "+strconv.Itoa(min)+" and "+strconv.Itoa(max)+".")
	}
	return n, nil
}

// userFilter parses the query of GET /v1/users and /v1/users/count.
func userFilter(q url.Values, paged bool) (store.UserFilter, error) {
	var f store.UserFilter
	var err error
	lists := []struct {
		name string
		dst  *[]string
	}{{"email_address", &f.Emails}, {"phone_number", &f.Phones}, {"username", &f.Usernames}}
	for _, l := range lists {
		if *l.dst, err = multi(q, l.name); err != nil {
			return f, err
		}
	}
	// Phone numbers are stored in E.164; compare in that form. A value that is
	// not a phone number cannot match anything, which is what "ignored" means.
	phones := f.Phones[:0]
	for _, p := range f.Phones {
		if n, err := identity.NormalizePhone("phone_number", p); err == nil {
			phones = append(phones, n)
		} else {
			phones = append(phones, p)
		}
	}
	f.Phones = phones
	ext, err := multi(q, "external_id")
	if err != nil {
		return f, err
	}
	f.ExternalIDs, f.ExcludeExternal = signed(ext)
	uids, err := multi(q, "user_id")
	if err != nil {
		return f, err
	}
	f.UserIDs, f.ExcludeUserIDs = signed(uids)
	if orgs, _ := multi(q, "organization_id"); len(orgs) > 0 {
		return f, apperr.ParamValueInvalid("organization_id", "Organizations are not available on this instance yet.")
	}
	if w, _ := multi(q, "web3_wallet"); len(w) > 0 {
		return f, apperr.ParamValueInvalid("web3_wallet", "Web3 wallets are not available on this instance yet.")
	}
	for name, dst := range map[string]*string{"query": &f.Query, "email_address_query": &f.EmailQuery,
		"phone_number_query": &f.PhoneQuery, "username_query": &f.UsernameQuery, "name_query": &f.NameQuery} {
		*dst = strings.TrimSpace(q.Get(name))
		if len(*dst) > 256 {
			return f, apperr.ParamValueInvalid(name, name+" must be at most 256 characters.")
		}
	}
	if raw := q.Get("banned"); raw != "" {
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return f, apperr.ParamInvalid("banned", "banned must be true or false.")
		}
		f.Banned = &b
	}
	times := []struct {
		name string
		dst  **time.Time
	}{
		{"created_at_before", &f.CreatedBefore}, {"created_at_after", &f.CreatedAfter},
		{"last_sign_in_at_before", &f.SignInBefore}, {"last_sign_in_at_after", &f.SignInAfter},
		{"last_active_at_before", &f.ActiveBefore}, {"last_active_at_after", &f.ActiveAfter},
		{"last_active_at_since", &f.ActiveAfter},
	}
	for _, t := range times {
		v, err := msParam(q, t.name)
		if err != nil {
			return f, err
		}
		if v != nil {
			*t.dst = v
		}
	}
	if !paged {
		return f, nil
	}
	return f, pageAndOrder(q, &f)
}

func pageAndOrder(q url.Values, f *store.UserFilter) error {
	var err error
	if f.Limit, err = intParam(q, "limit", defaultLimit, 1, maxLimit); err != nil {
		return err
	}
	if f.Offset, err = intParam(q, "offset", 0, 0, 1<<31-1); err != nil {
		return err
	}
	order := "-created_at"
	if v := q["order_by"]; len(v) > 0 && v[0] != "" {
		order = v[0] // Clerk keeps only the first order_by
	}
	f.Descending = strings.HasPrefix(order, "-")
	f.OrderColumn = strings.TrimLeft(order, "+-")
	if !store.OrderColumns[f.OrderColumn] {
		return apperr.ParamValueInvalid("order_by", "order_by must be one of created_at, updated_at, last_sign_in_at, last_active_at, username, first_name, last_name, optionally prefixed with + or -.")
	}
	f.StartingAfter = q.Get("starting_after")
	if f.StartingAfter != "" {
		if f.OrderColumn != "created_at" {
			return apperr.ParamValueInvalid("starting_after", "starting_after can only be used when ordering by created_at.")
		}
		if f.Offset != 0 {
			return apperr.ParamValueInvalid("starting_after", "starting_after cannot be combined with a non-zero offset.")
		}
	}
	return nil
}
