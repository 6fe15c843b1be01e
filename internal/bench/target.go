package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// target is the server under load and the HTTP client that drives it.
type target struct {
	public, admin, key string
	transport          *http.Transport
	api                *http.Client // Backend API and the load: no cookies, no redirects
}

func newTarget(o Options) *target {
	tr := &http.Transport{
		Proxy:               nil, // loopback only: never through a proxy from the environment
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2 * o.Concurrency,
		MaxIdleConnsPerHost: 2 * o.Concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &target{
		public: strings.TrimRight(o.PublicURL, "/"), admin: strings.TrimRight(o.AdminURL, "/"), key: o.SecretKey,
		transport: tr,
		api: &http.Client{Transport: tr, Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
}

func (t *target) close() { t.transport.CloseIdleConnections() }

// ping checks both listeners answer before anything else runs.
func (t *target) ping(ctx context.Context) error {
	for _, base := range []string{t.public, t.admin} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
		res, err := t.api.Do(req)
		if err != nil {
			return fmt.Errorf("is Latchkey running? %w", err)
		}
		drain(res)
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("%s/healthz answered %d", base, res.StatusCode)
		}
	}
	return nil
}

// backend calls the Backend API with the secret key; out, when given,
// receives the JSON answer.
func (t *target) backend(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.admin+"/v1"+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+t.key)
	req.Header.Set("Content-Type", "application/json")
	res, err := t.api.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, bytes.TrimSpace(raw))
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// drain reads and closes a body so the connection is reused.
func drain(res *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4<<20))
	res.Body.Close()
}

// requireLoopbackURL refuses anything but http(s) on a loopback host: the
// benchmark floods what it points at.
func requireLoopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", raw)
	}
	if !isLoopbackHost(u.Hostname()) {
		return fmt.Errorf("%q is not on this machine: the benchmark only drives loopback addresses", raw)
	}
	return nil
}

// requireLoopbackDB refuses a database that is not on this machine (a Unix
// socket is local too).
func requireLoopbackDB(raw string) error {
	cfg, err := pgx.ParseConfig(raw)
	if err != nil {
		return errors.New("not a valid PostgreSQL URL")
	}
	if !strings.HasPrefix(cfg.Host, "/") && !isLoopbackHost(cfg.Host) {
		return fmt.Errorf("host %q is not on this machine: the benchmark only reads loopback databases", cfg.Host)
	}
	return nil
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
