package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

const (
	dialTimeout = 10 * time.Second
	// sendTimeout bounds one whole SMTP conversation; it must stay well below
	// store.EmailLease so no other replica claims a message still being sent.
	sendTimeout = 30 * time.Second
)

// send delivers one message over SMTP.
func (n *Notifier) send(ctx context.Context, e store.OutboxEmail) error {
	if n.from == nil {
		return errors.New("email.smtp.from is not a valid address")
	}
	msg, err := buildMessage(n.from, e, n.now())
	if err != nil {
		return err
	}
	return sendSMTP(ctx, n.cfg.SMTP, n.from.Address, e.To, msg)
}

// stageError says which SMTP step failed, to tell permanent rejections of a
// message (5xx on RCPT or DATA) from everything else.
type stageError struct {
	stage string
	err   error
}

func (e *stageError) Error() string { return e.stage + ": " + e.err.Error() }
func (e *stageError) Unwrap() error { return e.err }

// isPermanent reports whether the server rejected this message for good
// (a 5xx reply to RCPT TO or DATA): retrying would only be rejected again.
func isPermanent(err error) bool {
	var se *stageError
	var te *textproto.Error
	return errors.As(err, &se) && (se.stage == "RCPT TO" || se.stage == "DATA") &&
		errors.As(err, &te) && te.Code >= 500 && te.Code < 600
}

// sendSMTP runs one SMTP conversation: connect (TLS from the start, or
// STARTTLS, which is then required), authenticate with PLAIN if a username is
// set, and send msg from from to to.
func sendSMTP(ctx context.Context, c SMTP, from, to string, msg []byte) error {
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	addr := net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	tlsConfig := &tls.Config{ServerName: c.Host, MinVersion: tls.VersionTLS12}
	dialer := &net.Dialer{Timeout: dialTimeout}
	var conn net.Conn
	var err error
	if c.TLS == TLSImplicit {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: tlsConfig}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return &stageError{"connect", err}
	}
	// The deadline bounds every read and write; cancelling ctx (shutdown)
	// closes the connection at once.
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	client, err := smtp.NewClient(conn, c.Host)
	if err != nil {
		conn.Close()
		return &stageError{"greeting", err}
	}
	defer client.Close()
	if err := client.Hello(heloName); err != nil {
		return &stageError{"EHLO", err}
	}
	if c.TLS == TLSStartTLS {
		if ok, _ := client.Extension("STARTTLS"); !ok {
			return &stageError{"STARTTLS", errors.New("the server does not offer STARTTLS (set email.smtp.tls to implicit for port 465)")}
		}
		if err := client.StartTLS(tlsConfig); err != nil {
			return &stageError{"STARTTLS", err}
		}
	}
	if c.Username != "" {
		if ok, _ := client.Extension("AUTH"); !ok {
			return &stageError{"AUTH", errors.New("the server does not offer AUTH")}
		}
		if err := client.Auth(smtp.PlainAuth("", c.Username, c.Password, c.Host)); err != nil {
			return &stageError{"AUTH", err}
		}
	}
	if err := client.Mail(from); err != nil {
		return &stageError{"MAIL FROM", err}
	}
	if err := client.Rcpt(to); err != nil {
		return &stageError{"RCPT TO", err}
	}
	w, err := client.Data()
	if err != nil {
		return &stageError{"DATA", err}
	}
	if _, err := w.Write(msg); err != nil {
		w.Close()
		return &stageError{"DATA", err}
	}
	if err := w.Close(); err != nil {
		return &stageError{"DATA", err}
	}
	// The message is accepted; a failed QUIT must not make us send it again.
	_ = client.Quit()
	return nil
}

// heloName is the name we greet servers with.
var heloName = func() string {
	h, err := os.Hostname()
	if err != nil || h == "" || strings.ContainsAny(h, " \t\r\n") {
		return "localhost"
	}
	return h
}()

// buildMessage writes e as a multipart/alternative message (plain text, then
// HTML), both parts quoted-printable UTF-8.
func buildMessage(from *mail.Address, e store.OutboxEmail, date time.Time) ([]byte, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, part := range []struct{ contentType, content string }{
		{"text/plain; charset=utf-8", e.TextBody},
		{"text/html; charset=utf-8", e.HTMLBody},
	} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.contentType},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write([]byte(part.content)); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}

	domain := "localhost"
	if at := strings.LastIndexByte(from.Address, '@'); at >= 0 {
		domain = from.Address[at+1:]
	}
	var msg bytes.Buffer
	for _, h := range [][2]string{
		{"From", from.String()},
		{"To", (&mail.Address{Address: e.To}).String()},
		{"Subject", mime.QEncoding.Encode("utf-8", e.Subject)},
		{"Date", date.Format(time.RFC1123Z)},
		{"Message-ID", "<" + e.ID + "@" + domain + ">"},
		{"MIME-Version", "1.0"},
		{"Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()})},
		{"Auto-Submitted", "auto-generated"}, // RFC 3834: no auto-replies
	} {
		if strings.ContainsAny(h[1], "\r\n") {
			return nil, fmt.Errorf("notify: header %s contains a line break", h[0])
		}
		msg.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	msg.WriteString("\r\n")
	msg.Write(body.Bytes())
	return msg.Bytes(), nil
}
