package fapi

import "context"

// addRestrictionSettings adds user_settings.restrictions in Clerk's shape,
// read from Postgres like the checks themselves.
func (a *API) addRestrictionSettings(ctx context.Context, userSettings map[string]any) error {
	rs := a.Engine.Restrictions()
	if rs == nil {
		return nil
	}
	s, err := rs.Settings(ctx)
	if err != nil {
		return err
	}
	on := func(b bool) map[string]bool { return map[string]bool{"enabled": b} }
	userSettings["restrictions"] = map[string]any{
		"allowlist": on(s.Allowlist), "blocklist": on(s.Blocklist),
		"allowlist_blocklist_disabled_on_sign_in": on(s.ListsDisabledOnSignIn),
		"block_email_subaddresses":                on(s.BlockEmailSubaddresses),
		"block_disposable_email_domains":          on(s.BlockDisposableEmailDomains),
	}
	return nil
}
