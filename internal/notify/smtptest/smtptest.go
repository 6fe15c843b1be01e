// Package smtptest is an in-process SMTP server for tests: it accepts mail on
// 127.0.0.1 without TLS, with any credentials or none, keeps every message
// parsed, and can be told to refuse the next deliveries with a temporary
// (4xx) error.
package smtptest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one accepted message.
type Message struct {
	EnvelopeFrom string   // MAIL FROM
	Rcpt         []string // RCPT TO, in order
	From         string   // From header address
	To           string   // first To header address
	Subject      string   // decoded
	MessageID    string
	Text         string // text/plain body (or the whole body if not multipart)
	HTML         string // text/html body
	Header       mail.Header
	Raw          []byte
}

// Sink is a running SMTP server that keeps what it receives.
type Sink struct {
	srv  *smtp.Server
	addr *net.TCPAddr

	mu       sync.Mutex
	msgs     []Message
	taken    []bool // WaitFor has returned msgs[i]
	failNext int
	attempts int
	changed  chan struct{} // closed and replaced on every delivery attempt
}

// Start runs a sink on 127.0.0.1 on a free port until the test ends.
func Start(t testing.TB) *Sink {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	s := &Sink{addr: l.Addr().(*net.TCPAddr), changed: make(chan struct{})}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{sink: s}, nil
	}))
	srv.Domain = "smtptest.local"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.ErrorLog = log.New(io.Discard, "", 0)
	s.srv = srv
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return s
}

// Host is the address to connect to.
func (s *Sink) Host() string { return s.addr.IP.String() }

// Port is the port to connect to.
func (s *Sink) Port() int { return s.addr.Port }

// FailNext makes the next n deliveries fail with 451 (try again later) after
// the client has sent the message.
func (s *Sink) FailNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = n
}

// Attempts is how many messages clients have tried to deliver, including
// those refused by FailNext.
func (s *Sink) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// Messages returns every accepted message, in arrival order.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// WaitFor waits up to timeout for a message to to (an envelope recipient,
// compared case-insensitively) that WaitFor has not returned before, and
// returns the oldest such one. Each message is returned once, so successive
// calls see successive messages. It fails the test on timeout.
func (s *Sink) WaitFor(t testing.TB, to string, timeout time.Duration) Message {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		for i, m := range s.msgs {
			if s.taken[i] {
				continue
			}
			for _, r := range m.Rcpt {
				if strings.EqualFold(r, to) {
					s.taken[i] = true
					s.mu.Unlock()
					return m
				}
			}
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-timer.C:
			t.Fatalf("smtptest: no message to %s within %v (%d accepted, %d attempts)", to, timeout, len(s.Messages()), s.Attempts())
			return Message{}
		}
	}
}

// deliver records a delivery attempt and decides its fate.
func (s *Sink) deliver(from string, rcpt []string, raw []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts++
	close(s.changed)
	s.changed = make(chan struct{})
	if s.failNext > 0 {
		s.failNext--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "smtptest: temporary failure, try again later"}
	}
	m, err := parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "smtptest: cannot parse message: " + err.Error()}
	}
	m.EnvelopeFrom, m.Rcpt = from, rcpt
	s.msgs = append(s.msgs, m)
	s.taken = append(s.taken, false)
	return nil
}

// parse reads a message and, if it is multipart, its text/plain and
// text/html parts (quoted-printable and base64 are decoded).
func parse(raw []byte) (Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Message{}, err
	}
	m := Message{Header: msg.Header, Raw: raw, MessageID: msg.Header.Get("Message-Id")}
	dec := new(mime.WordDecoder)
	if m.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return Message{}, fmt.Errorf("subject: %w", err)
	}
	if a, err := mail.ParseAddress(msg.Header.Get("From")); err == nil {
		m.From = a.Address
	} else {
		return Message{}, fmt.Errorf("from: %w", err)
	}
	if list, err := msg.Header.AddressList("To"); err == nil && len(list) > 0 {
		m.To = list[0].Address
	} else {
		return Message{}, fmt.Errorf("to: %v", err)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mediaType, "multipart/") {
		body, err := decodeBody(msg.Body, msg.Header.Get("Content-Transfer-Encoding"))
		if err != nil {
			return Message{}, err
		}
		if mediaType == "text/html" {
			m.HTML = body
		} else {
			m.Text = body
		}
		return m, nil
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart() // decodes quoted-printable itself
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Message{}, fmt.Errorf("multipart: %w", err)
		}
		body, err := decodeBody(p, p.Header.Get("Content-Transfer-Encoding"))
		if err != nil {
			return Message{}, err
		}
		partType, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch partType {
		case "text/plain":
			m.Text = body
		case "text/html":
			m.HTML = body
		}
	}
	return m, nil
}

func decodeBody(r io.Reader, encoding string) (string, error) {
	if strings.EqualFold(encoding, "base64") {
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return "", fmt.Errorf("body: %w", err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n"), nil
}

// session is one SMTP connection's state.
type session struct {
	sink *Sink
	from string
	rcpt []string
}

var _ smtp.AuthSession = (*session)(nil)

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error { return nil }), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.rcpt = append(s.rcpt, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	return s.sink.deliver(s.from, append([]string(nil), s.rcpt...), raw)
}

func (s *session) Reset() {
	s.from, s.rcpt = "", nil
}

func (s *session) Logout() error { return nil }
