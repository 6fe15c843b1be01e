package pages

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/store"
)

// The account page's passkeys: listed with their last use, renamed and
// removed with forms; added by /static/passkeys.js through the frontend
// API (/v1/me/passkeys), since only the browser can create a credential.

func (p *Pages) passkeyAccountRoutes(r chi.Router) {
	h := p.adapt
	r.Post("/user/passkeys/{id}/rename", h(p.csrf(p.signedIn(p.passkeyRename))))
	r.Post("/user/passkeys/{id}/delete", h(p.csrf(p.signedIn(p.passkeyDelete))))
}

func init() {
	notices["passkey_added"] = "Your passkey was added. You can now sign in with it."
	notices["passkey_renamed"] = "The passkey was renamed."
	notices["passkey_removed"] = "The passkey was removed."
}

type passkeyRow struct {
	ID, Name, Created, LastUsed string
}

// passkeyData fills the account page's passkey section.
func (p *Pages) passkeyData(d *accountData, u store.User) {
	d.PasskeysOn = p.engine.PasskeysEnabled()
	d.PasskeyRoom = len(u.Passkeys) < store.MaxPasskeysPerUser
	for _, pk := range u.Passkeys {
		row := passkeyRow{ID: pk.ID, Name: pk.Name, Created: pk.CreatedAt.UTC().Format("2 Jan 2006")}
		if pk.LastUsedAt != nil {
			row.LastUsed = since(p.sessions.Now(), *pk.LastUsedAt)
		}
		d.Passkeys = append(d.Passkeys, row)
	}
}

func (p *Pages) passkeyRename(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
	if _, err := p.engine.RenamePasskey(r.Context(), cu.user.ID, chi.URLParam(r, "id"), r.PostFormValue("name")); err != nil {
		return p.accountError(w, r, cu, relabel(err, "passkey", ""), "passkey")
	}
	return p.back(w, r, "passkey_renamed")
}

func (p *Pages) passkeyDelete(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
	if err := p.engine.DeletePasskey(r.Context(), cu.user.ID, chi.URLParam(r, "id")); err != nil {
		return err
	}
	return p.back(w, r, "passkey_removed")
}
