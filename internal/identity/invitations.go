package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/notify"
	"github.com/latchkey/latchkey/internal/store"
)

// Invitation lifetimes (expires_in_days), as Clerk's.
const (
	DefaultInvitationDays = 30
	MaxInvitationDays     = 365
	invitationPrefix      = "inv"
)

// InvitationStore is what invitations need from storage.
type InvitationStore interface {
	InsertInvitations(ctx context.Context, invs []store.Invitation, also func(pgx.Tx) error) error
	PendingInvitationExists(ctx context.Context, email string, now time.Time) (bool, error)
	ListInvitations(ctx context.Context, f store.InvitationFilter) ([]store.Invitation, int64, error)
	RevokeInvitation(ctx context.Context, id string, at time.Time) (store.Invitation, bool, error)
	UserIDByIdentifier(ctx context.Context, typ, value string) (string, error)
}

// InvitationMailer queues the invitation email in the invitation's
// transaction and sends it once committed (internal/notify).
type InvitationMailer interface {
	Enqueue(ctx context.Context, tx pgx.Tx, m notify.Message) error
	Kick()
}

// Invitations are the operator's invitations (POST /v1/invitations): the
// way into an instance in restricted sign-up mode, and past the allowlist.
// The ticket in the link is a 256-bit random token shown once; only its
// SHA-256 is stored, and the sign-up engine redeems it (strategy "ticket").
type Invitations struct {
	store        InvitationStore
	restrictions *Restrictions
	signUpURL    string // the hosted sign-up page, for invitations without redirect_url
	mailer       InvitationMailer
	now          func() time.Time
}

// NewInvitations wires invitations; publicURL is where the hosted pages are.
func NewInvitations(s InvitationStore, r *Restrictions, publicURL string, m InvitationMailer, now func() time.Time) *Invitations {
	return &Invitations{store: s, restrictions: r, signUpURL: publicURL + "/sign-up", mailer: m, now: now}
}

// InvitationInput is the body of POST /v1/invitations.
type InvitationInput struct {
	EmailAddress   string          `json:"email_address"`
	PublicMetadata json.RawMessage `json:"public_metadata"`
	RedirectURL    *string         `json:"redirect_url"`
	Notify         *bool           `json:"notify"`
	IgnoreExisting *bool           `json:"ignore_existing"`
	ExpiresInDays  *int            `json:"expires_in_days"`
	TemplateSlug   *string         `json:"template_slug"`
}

// NewInvitation is a created invitation with the link that carries its
// ticket; the link is never available again.
type NewInvitation struct {
	Invitation store.Invitation
	URL        string
}

// Create invites an email address. The blocklist still holds for it (an
// invitation bypasses only the allowlist and the restricted mode); an
// address that already has an account or a pending invitation is refused
// unless ignore_existing. notify (default true) emails the link.
func (iv *Invitations) Create(ctx context.Context, in InvitationInput) (NewInvitation, error) {
	out, err := iv.CreateMany(ctx, []InvitationInput{in})
	if err != nil {
		return NewInvitation{}, err
	}
	return out[0], nil
}

// MaxBulkInvitations is how many invitations one POST /v1/invitations/bulk
// may create, as Clerk's.
const MaxBulkInvitations = 10

// CreateMany creates invitations all together or not at all: each is
// checked as Create checks one (a failure names its index in meta), an
// address may appear once, and they are stored with their emails in one
// transaction.
func (iv *Invitations) CreateMany(ctx context.Context, ins []InvitationInput) ([]NewInvitation, error) {
	if len(ins) == 0 || len(ins) > MaxBulkInvitations {
		return nil, apperr.New(apperr.KindInvalid, "form_param_value_invalid", "is invalid",
			"Give between 1 and 10 invitations in one request.")
	}
	out := make([]NewInvitation, 0, len(ins))
	mails := make([]notify.Message, 0, len(ins))
	seen := map[string]bool{}
	for i, in := range ins {
		created, mail, err := iv.prepare(ctx, in)
		if err == nil && seen[created.Invitation.EmailAddress] {
			err = apperr.New(apperr.KindInvalid, "duplicate_record", "duplicate invitation",
				"This email address is invited twice in one request.").WithParam("email_address")
		}
		if err != nil {
			if e := apperr.As(err); e != nil && len(ins) > 1 {
				if e.Meta == nil {
					e.Meta = map[string]any{}
				}
				e.Meta["index"] = i // which invitation of the request
			}
			return nil, err
		}
		seen[created.Invitation.EmailAddress] = true
		out = append(out, created)
		if mail != nil {
			mails = append(mails, *mail)
		}
	}
	invs := make([]store.Invitation, len(out))
	for i, c := range out {
		invs[i] = c.Invitation
	}
	send := func(tx pgx.Tx) error {
		for _, m := range mails {
			if err := iv.mailer.Enqueue(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	}
	if err := iv.store.InsertInvitations(ctx, invs, send); err != nil {
		return nil, apperr.Internal(err, "create invitations")
	}
	if len(mails) > 0 {
		iv.mailer.Kick()
	}
	return out, nil
}

// prepare checks one invitation and makes it (with its ticket's link) and
// its email, when notify asks for one; nothing is stored yet.
func (iv *Invitations) prepare(ctx context.Context, in InvitationInput) (NewInvitation, *notify.Message, error) {
	if in.EmailAddress == "" {
		return NewInvitation{}, nil, apperr.ParamMissing("email_address")
	}
	email, err := NormalizeEmail("email_address", in.EmailAddress)
	if err != nil {
		return NewInvitation{}, nil, err
	}
	if in.TemplateSlug != nil && *in.TemplateSlug != "" && *in.TemplateSlug != "invitation" {
		return NewInvitation{}, nil, apperr.ParamValueInvalid("template_slug", "template_slug must be invitation.")
	}
	meta, err := ValidMetadata("public_metadata", in.PublicMetadata)
	if err != nil {
		return NewInvitation{}, nil, err
	}
	days := DefaultInvitationDays
	if in.ExpiresInDays != nil {
		if *in.ExpiresInDays < 1 || *in.ExpiresInDays > MaxInvitationDays {
			return NewInvitation{}, nil, apperr.ParamValueInvalid("expires_in_days", "expires_in_days must be between 1 and 365.")
		}
		days = *in.ExpiresInDays
	}
	base := iv.signUpURL
	if in.RedirectURL != nil && *in.RedirectURL != "" {
		u, err := url.Parse(*in.RedirectURL)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return NewInvitation{}, nil, apperr.ParamValueInvalid("redirect_url", "redirect_url must be an absolute http(s) URL.")
		}
		base = *in.RedirectURL
	}
	if err := iv.restrictions.Check(ctx, ForAdmin, KindEmail, email); err != nil {
		return NewInvitation{}, nil, err
	}
	if in.IgnoreExisting == nil || !*in.IgnoreExisting {
		if err := iv.checkNotInvited(ctx, email); err != nil {
			return NewInvitation{}, nil, err
		}
	}
	ticket := newTicket()
	now := iv.now()
	expires := now.Add(time.Duration(days) * 24 * time.Hour)
	inv := store.Invitation{ID: ids.New(invitationPrefix), EmailAddress: email, PublicMetadata: meta, RedirectURL: in.RedirectURL,
		Status: store.InvitationPending, TicketHash: TicketHash(ticket), ExpiresAt: &expires, CreatedAt: now, UpdatedAt: now}
	link := withTicket(base, ticket)
	if in.Notify != nil && !*in.Notify {
		return NewInvitation{Invitation: inv, URL: link}, nil, nil
	}
	return NewInvitation{Invitation: inv, URL: link},
		&notify.Message{Kind: notify.KindInvitation, To: email, URL: link, TTL: expires.Sub(now)}, nil
}

func (iv *Invitations) checkNotInvited(ctx context.Context, email string) error {
	_, err := iv.store.UserIDByIdentifier(ctx, store.TypeEmail, email)
	switch {
	case err == nil:
		return apperr.IdentifierExists("email_address", "email address")
	case !errors.Is(err, store.ErrNotFound):
		return apperr.Internal(err, "look up email address")
	}
	pending, err := iv.store.PendingInvitationExists(ctx, email, iv.now())
	if err != nil {
		return apperr.Internal(err, "look up invitations")
	}
	if pending {
		return apperr.New(apperr.KindInvalid, "duplicate_record", "duplicate invitation",
			"There is already a pending invitation for this email address; revoke it or pass ignore_existing.").
			WithParam("email_address")
	}
	return nil
}

// List returns one page of invitations (newest first unless orderBy is
// created_at) and how many match.
// statuses may include expired (a pending invitation past its expiry).
func (iv *Invitations) List(ctx context.Context, statuses []string, query, orderBy string, limit, offset int) ([]store.Invitation, int64, error) {
	oldest := false
	switch orderBy {
	case "", "-created_at":
	case "created_at", "+created_at":
		oldest = true
	default:
		return nil, 0, apperr.ParamValueInvalid("order_by", "order_by must be created_at or -created_at.")
	}
	for _, s := range statuses {
		switch s {
		case store.InvitationPending, store.InvitationAccepted, store.InvitationRevoked, "expired":
		default:
			return nil, 0, apperr.ParamValueInvalid("status", "status must be pending, accepted, revoked or expired.")
		}
	}
	out, total, err := iv.store.ListInvitations(ctx, store.InvitationFilter{Statuses: statuses, Query: query,
		Now: iv.now(), Oldest: oldest, Limit: limit, Offset: offset})
	if err != nil {
		return nil, 0, apperr.Internal(err, "list invitations")
	}
	return out, total, nil
}

// Revoke stops a pending invitation's ticket from working.
func (iv *Invitations) Revoke(ctx context.Context, id string) (store.Invitation, error) {
	inv, ok, err := iv.store.RevokeInvitation(ctx, id, iv.now())
	if errors.Is(err, store.ErrNotFound) {
		return inv, apperr.NotFound()
	}
	if err != nil {
		return inv, apperr.Internal(err, "revoke invitation")
	}
	if !ok {
		return inv, apperr.New(apperr.KindInvalid, "revoke_invitation_failed", "Only pending invitations can be revoked.",
			"This invitation is "+InvitationStatus(inv, iv.now())+" and can no longer be revoked.")
	}
	return inv, nil
}

// Now is the service clock.
func (iv *Invitations) Now() time.Time { return iv.now() }

// InvitationStatus is Clerk's status: a pending invitation past its expiry
// is expired.
func InvitationStatus(inv store.Invitation, now time.Time) string {
	if inv.Status == store.InvitationPending && inv.ExpiresAt != nil && !inv.ExpiresAt.After(now) {
		return "expired"
	}
	return inv.Status
}

// TicketHash is the stored form of an invitation ticket.
func TicketHash(ticket string) []byte {
	h := sha256.Sum256([]byte(ticket))
	return h[:]
}

func newTicket() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("identity: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// withTicket adds Clerk's __clerk_ticket and __clerk_status parameters to link.
func withTicket(link, ticket string) string {
	u, err := url.Parse(link)
	if err != nil {
		return link
	}
	q := u.Query()
	q.Set("__clerk_ticket", ticket)
	q.Set("__clerk_status", "sign_up")
	u.RawQuery = q.Encode()
	return u.String()
}
