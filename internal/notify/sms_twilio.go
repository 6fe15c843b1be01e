package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// SMSSender hands one text message to a provider and returns the
// provider's id for it.
type SMSSender interface {
	SendSMS(ctx context.Context, to, body string) (providerID string, err error)
}

// twilioSender speaks Twilio's Messages API, which several providers and
// gateways also accept.
type twilioSender struct {
	cfg    Twilio
	client *http.Client
}

func newTwilioSender(cfg Twilio) *twilioSender {
	return &twilioSender{cfg: cfg, client: &http.Client{Timeout: 15 * time.Second}}
}

// providerError is a refusal by the provider; permanent when retrying the
// same request cannot succeed (a 4xx other than 429: bad number, bad
// credentials, unverified sender).
type providerError struct {
	status    int
	code      int
	message   string
	permanent bool
}

func (e *providerError) Error() string {
	return fmt.Sprintf("sms provider answered %d (code %d): %s", e.status, e.code, e.message)
}

func (t *twilioSender) SendSMS(ctx context.Context, to, body string) (string, error) {
	endpoint := t.cfg.BaseURL + "/2010-04-01/Accounts/" + url.PathEscape(t.cfg.AccountSID) + "/Messages.json"
	form := url.Values{"To": {to}, "Body": {body}}
	if strings.HasPrefix(t.cfg.From, "MG") {
		form.Set("MessagingServiceSid", t.cfg.From) // Twilio picks the sender from the service's pool
	} else {
		form.Set("From", t.cfg.From)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(t.cfg.AccountSID, t.cfg.AuthToken)
	resp, err := t.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("sms provider: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var out struct {
		SID     string `json:"sid"`
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(raw, &out)
	if resp.StatusCode/100 == 2 {
		return out.SID, nil
	}
	if out.Message == "" {
		out.Message = http.StatusText(resp.StatusCode)
	}
	return "", &providerError{status: resp.StatusCode, code: out.Code, message: out.Message,
		permanent: resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests &&
			resp.StatusCode != http.StatusRequestTimeout}
}
