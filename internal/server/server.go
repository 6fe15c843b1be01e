package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/latchkey/latchkey/internal/bapi"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/fapi"
	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/identity/password"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/metrics"
	"github.com/latchkey/latchkey/internal/mfa"
	"github.com/latchkey/latchkey/internal/notify"
	"github.com/latchkey/latchkey/internal/oauth"
	"github.com/latchkey/latchkey/internal/origins"
	"github.com/latchkey/latchkey/internal/pages"
	"github.com/latchkey/latchkey/internal/ratelimit"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/signin"
	"github.com/latchkey/latchkey/internal/social"
	"github.com/latchkey/latchkey/internal/social/redirecturls"
	"github.com/latchkey/latchkey/internal/social/wallet"
	"github.com/latchkey/latchkey/internal/store"
)

// Server is the whole application, wired.
type Server struct {
	Config     config.Config
	Logger     *slog.Logger
	DB         *store.DB
	Keyring    *keys.Keyring
	SecretKeys *keys.SecretKeys
	Users      *identity.Service
	Sessions   *session.Service
	Engine     *signin.Service
	Notifier   *notify.Notifier
	Metrics    *metrics.Metrics
	BAPI       *bapi.API
	FAPI       *fapi.API
	Pages      *pages.Pages
	OAuth      *oauth.Provider
	// Wallet hands out upstream provider tokens; its providers are set with
	// Wallet.UseProviders once the provider registry exists.
	Wallet *wallet.Service
	Social *social.Service // nil when no upstream provider is configured
}

// Build wires every component over an open database. It bootstraps the
// signing key; migrations are the caller's concern.
func Build(ctx context.Context, cfg config.Config, log *slog.Logger, db *store.DB, now func() time.Time) (*Server, error) {
	encKey, err := keys.EncryptionKey(cfg.Keys.EncryptionKey, cfg.IsDevelopment(), cfg.DataDir)
	if err != nil {
		return nil, err
	}
	box, err := keys.NewBox(encKey)
	if err != nil {
		return nil, err
	}
	keyring := keys.NewKeyring(db, box, now)
	created, err := keyring.Bootstrap(ctx)
	if err != nil {
		return nil, err
	}
	if created {
		log.Info("created the instance signing key", "kid", keyring.Signer().KID)
	}
	hasher := password.NewHasher(cfg.Users.PasswordHashConcurrency) // one pool for every slow hash
	users := identity.NewService(db, hasher, identity.Rules{
		Identifiers:        cfg.Auth.Identifiers,
		LockoutMaxAttempts: cfg.Users.LockoutMaxAttempts,
		LockoutDuration:    cfg.Users.LockoutDuration,
	}, now)
	restrictions := identity.NewRestrictions(db, cfg.Auth.SignUp.Mode, now)
	users.UseRestrictions(restrictions)
	secretKeys := keys.NewSecretKeys(db, cfg.IsDevelopment(), now)
	sessions := session.NewService(db, keyring, session.Settings{
		Issuer:            cfg.PublicURL,
		MaxLifetime:       cfg.Sessions.MaxLifetime,
		InactivityTimeout: cfg.Sessions.InactivityTimeout,
		MultiSession:      cfg.Sessions.MultiSession,
		TokenTTL:          cfg.Sessions.TokenLifetime,
	}, now)
	notifier := notify.New(db, cfg.Email, notify.Brand{AppName: cfg.Branding.ApplicationName,
		LogoURL: cfg.Branding.LogoURL, Color: cfg.Branding.PrimaryColor}, cfg.IsDevelopment(), log, now)
	trusted := origins.New(cfg.PublicURL, cfg.AllowedOrigins)
	engine := signin.New(db, sessions, hasher, notifier, ratelimit.New(db, now), signin.NewSecrets(encKey), signin.Settings{
		Auth: cfg.Auth, PublicURL: cfg.PublicURL, LockoutMaxAttempts: cfg.Users.LockoutMaxAttempts,
		LockoutDuration: cfg.Users.LockoutDuration, AllowedRedirect: trusted.AllowedRedirect,
	}, now)
	notifier.EnableSMS(db, cfg.SMS)
	engine.EnableSMS(notifier)
	engine.UseRestrictions(restrictions)
	engine.UseInvitations(db)
	invitations := identity.NewInvitations(db, restrictions, cfg.PublicURL, notifier, now)
	secondFactors := mfa.New(db, box, encKey, mfa.Settings{Factors: cfg.Auth.SecondFactors,
		Issuer: cfg.Branding.ApplicationName, LockoutMaxAttempts: cfg.Users.LockoutMaxAttempts,
		LockoutDuration: cfg.Users.LockoutDuration}, now)
	engine.UseSecondFactors(secondFactors)
	users.UseMFAImport(secondFactors)   // POST /v1/users takes totp_secret and backup_codes
	engine.UsePhoneSecondFactor(engine) // texts through the SMS channel above
	tokenWallet := wallet.New(db, box, nil, wallet.Settings{RefreshMargin: cfg.TokenWallet.RefreshMargin}, now)
	var soc *social.Service
	if len(cfg.Social.Connections) > 0 {
		reg := social.NewRegistry(cfg.Social.Connections, cfg.PublicURL+"/v1/oauth_callback", nil)
		// An OAuth flow returns only to an allowed origin or a native-app
		// URL on the /v1/redirect_urls allowlist.
		soc = social.New(reg, db, box, func(ctx context.Context, u string) (bool, error) {
			if trusted.AllowedRedirect(u) {
				return true, nil
			}
			return db.RedirectURLAllowlisted(ctx, u)
		}, now)
		engine.SetSocial(soc)
		tokenWallet.UseProviders(reg) // the wallet refreshes with the same client configurations
	}
	provider := oauth.New(db, keyring, users, sessions, oauth.Settings{Issuer: cfg.PublicURL,
		AccessTokenTTL: cfg.OAuth.AccessTokenLifetime, RefreshTokenTTL: cfg.OAuth.RefreshTokenLifetime,
		RefreshGrace: cfg.OAuth.RefreshGrace, DynamicRegistration: cfg.OAuth.DynamicRegistration,
		ConfirmKey:         signin.NewSecrets(encKey).Hash("oauth/end_session/v1"),
		OpaqueAccessTokens: cfg.OAuth.AccessTokenFormat == "opaque"}, now)
	hosted, err := pages.New(cfg, sessions, users, engine, provider, trusted, encKey)
	if err != nil {
		return nil, err
	}
	hosted.MFA = secondFactors
	m := metrics.New()
	m.WatchPool(db.Pool)
	return &Server{
		Config: cfg, Logger: log, DB: db, Keyring: keyring, SecretKeys: secretKeys, Users: users, Sessions: sessions, Engine: engine, Notifier: notifier, Metrics: m,
		BAPI: &bapi.API{Users: users, Sessions: sessions, OAuth: provider, SecretKeys: secretKeys, Keyring: keyring,
			RedirectURLs: redirecturls.New(db, now), Wallet: tokenWallet, Restrictions: restrictions, Invitations: invitations, Passkeys: engine,
			MFA: secondFactors},
		FAPI: &fapi.API{Config: cfg, Sessions: sessions, Users: users, Engine: engine, Origins: trusted, MFA: secondFactors,
			ErrorPage: hosted.ErrorPage},
		Pages: hosted,
		OAuth: provider,

		Wallet: tokenWallet,
		Social: soc,
	}, nil
}

// Run serves both listeners until ctx is cancelled, then shuts down
// gracefully: in-flight requests finish within the shutdown timeout.
func (s *Server) Run(ctx context.Context) error {
	servers := []*http.Server{
		s.httpServer(s.Config.Listen.Public, s.PublicHandler()),
		s.httpServer(s.Config.Listen.Admin, s.AdminHandler()),
	}
	listeners := make([]net.Listener, len(servers))
	for i, srv := range servers {
		ln, err := net.Listen("tcp", srv.Addr)
		if err != nil {
			for _, l := range listeners[:i] {
				l.Close()
			}
			return fmt.Errorf("listen %s: %w", srv.Addr, err)
		}
		listeners[i] = ln
	}
	s.Logger.Info("listening", "public", listeners[0].Addr().String(), "admin", listeners[1].Addr().String(),
		"public_url", s.Config.PublicURL, "admin_url", s.Config.AdminURL)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return s.Notifier.Run(gctx) })
	g.Go(func() error { return s.Keyring.Run(gctx) })
	g.Go(func() error { return s.OAuth.Run(gctx) })
	if w := s.Config.TokenWallet; w.BackgroundRefresh {
		refresher := &wallet.Refresher{Wallet: s.Wallet, Window: w.BackgroundWindow, Interval: w.BackgroundInterval, Logger: s.Logger}
		g.Go(func() error { return refresher.Run(gctx) })
	}
	for i, srv := range servers {
		g.Go(func() error {
			if err := srv.Serve(listeners[i]); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
	}
	g.Go(func() error {
		<-gctx.Done()
		s.Logger.Info("shutting down", "timeout", s.Config.HTTP.ShutdownTimeout.String())
		sctx, cancel := context.WithTimeout(context.Background(), s.Config.HTTP.ShutdownTimeout)
		defer cancel()
		var errs []error
		for _, srv := range servers {
			errs = append(errs, srv.Shutdown(sctx))
		}
		return errors.Join(errs...)
	})
	return g.Wait()
}

func (s *Server) httpServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr: addr, Handler: h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.Config.HTTP.ReadTimeout,
		WriteTimeout:      s.Config.HTTP.WriteTimeout,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
}
