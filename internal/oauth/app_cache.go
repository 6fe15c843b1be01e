package oauth

import (
	"context"
	"sync"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// appChangesChannel is the NOTIFY channel a trigger on oauth_applications
// (migration 00014) announces changes on, with the client_id as payload.
const appChangesChannel = "latchkey_oauth_applications"

// appCache keeps OAuth applications by client_id, so client authentication
// and /oauth/authorize need no database read for the application: with it
// client_credentials issuance touches Postgres not at all.
//
// It holds no state a second replica could miss: every change to an
// application raises a NOTIFY that each replica's listener turns into an
// eviction, and a change made through this replica evicts at once. While the
// listener is not connected the cache is not used at all, so a replica never
// serves an application whose change it could not hear about. The TTL only
// bounds memory held by applications no longer used.
type appCache struct {
	mu      sync.Mutex
	live    bool
	gen     uint64 // bumped by every eviction; a load that raced one is not kept
	entries map[string]cachedApp
	ttl     time.Duration
	max     int
	now     func() time.Time
}

type cachedApp struct {
	app     store.OAuthApp
	expires time.Time
}

func newAppCache(now func() time.Time) *appCache {
	return &appCache{entries: map[string]cachedApp{}, ttl: 5 * time.Minute, max: 10000, now: now}
}

// get returns the application for clientID, from the cache when it is live
// and holds a fresh entry, otherwise from load (unknown clients are never
// cached, so they cannot crowd out real ones).
func (c *appCache) get(ctx context.Context, clientID string, load func(context.Context, string) (store.OAuthApp, error)) (store.OAuthApp, error) {
	c.mu.Lock()
	e, ok := c.entries[clientID]
	live, gen := c.live, c.gen
	c.mu.Unlock()
	if live && ok && c.now().Before(e.expires) {
		return e.app, nil
	}
	app, err := load(ctx, clientID)
	if err != nil || !live {
		return app, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.live && c.gen == gen {
		if len(c.entries) >= c.max {
			clear(c.entries)
		}
		c.entries[clientID] = cachedApp{app: app, expires: c.now().Add(c.ttl)}
	}
	return app, nil
}

// evict drops one application (after a change, here or announced).
func (c *appCache) evict(clientID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.entries, clientID)
}

// evictAll drops every application (after a change whose client_id is not at hand).
func (c *appCache) evictAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.entries)
}

// setLive turns the cache on when the listener is connected and off (and
// empty) when it is not.
func (c *appCache) setLive(live bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.live = live
	clear(c.entries)
}

// AppCacheLive reports whether the application cache is in use (its
// listener is connected), for health reporting and tests.
func (p *Provider) AppCacheLive() bool {
	p.apps.mu.Lock()
	defer p.apps.mu.Unlock()
	return p.apps.live
}

// appByClientID is the provider's one way to find an application by client_id.
func (p *Provider) appByClientID(ctx context.Context, clientID string) (store.OAuthApp, error) {
	return p.apps.get(ctx, clientID, p.store.OAuthAppByClientID)
}

// Run keeps the application cache in step with the database until ctx ends.
// Without it (a provider never run) the cache stays off and every lookup reads.
func (p *Provider) Run(ctx context.Context) error {
	return p.store.Listen(ctx, appChangesChannel, p.apps.setLive, p.apps.evict)
}
