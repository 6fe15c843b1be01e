package present

import "github.com/latchkey/latchkey/internal/store"

// Passkey is a user's passkey in the user object (verified ones only).
type Passkey struct {
	ID           string        `json:"id"`
	Object       string        `json:"object"`
	Name         string        `json:"name"`
	LastUsedAt   *int64        `json:"last_used_at"`
	Verification *Verification `json:"verification"`
	CreatedAt    int64         `json:"created_at"`
	UpdatedAt    int64         `json:"updated_at"`
}

// passkeysOf lists a user's passkeys for the user object.
func passkeysOf(u store.User) []any {
	out := make([]any, 0, len(u.Passkeys))
	for _, p := range u.Passkeys {
		out = append(out, Passkey{ID: p.ID, Object: "passkey", Name: p.Name, LastUsedAt: MsPtr(p.LastUsedAt),
			Verification: &Verification{Object: "verification_passkey", Status: "verified", Strategy: "passkey"},
			CreatedAt:    Ms(p.CreatedAt), UpdatedAt: Ms(p.UpdatedAt)})
	}
	return out
}
