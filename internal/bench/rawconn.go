package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// rawClient is one load client's own keep-alive connection, driven without
// net/http's Transport: a prebuilt request is written as is and the answer
// read with http.ReadResponse. The load generator shares the machine with
// the server it measures, so each microsecond it spends is one the server
// cannot; the Transport's per-connection goroutines and channel hand-offs
// were most of the generator's cost per request.
type rawClient struct {
	addr string
	req  []byte
	conn net.Conn
	br   *bufio.Reader
}

// newRawClient prebuilds one request to base+path; ok is false for targets
// it does not speak to (https), which keep using net/http.
func newRawClient(base, method, path string, header http.Header, body []byte) (*rawClient, bool) {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" {
		return nil, false
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, u.EscapedPath()+path, u.Host)
	_ = header.Write(&b)
	if body != nil {
		b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n")
	}
	b.WriteString("\r\n")
	b.Write(body)
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	return &rawClient{addr: addr, req: b.Bytes()}, true
}

// do sends the request and returns the status and body. Any failure drops
// the connection; the next call dials a new one.
func (c *rawClient) do(ctx context.Context) (int, []byte, error) {
	if c.conn == nil {
		conn, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", c.addr)
		if err != nil {
			return 0, nil, err
		}
		c.conn, c.br = conn, bufio.NewReaderSize(conn, 16<<10)
	}
	if d, ok := ctx.Deadline(); ok {
		_ = c.conn.SetDeadline(d)
	}
	status, body, keep, err := c.roundTrip()
	if err != nil || !keep {
		c.conn.Close()
		c.conn = nil
	}
	return status, body, err
}

func (c *rawClient) roundTrip() (status int, body []byte, keep bool, err error) {
	if _, err = c.conn.Write(c.req); err != nil {
		return 0, nil, false, err
	}
	res, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return 0, nil, false, err
	}
	body, err = io.ReadAll(io.LimitReader(res.Body, 4<<20))
	res.Body.Close()
	return res.StatusCode, body, err == nil && !res.Close, err
}

// rawRequest returns a request function over a rawClient when the target is
// plain http, checking the status and that the body contains want (if any);
// fallback serves https targets.
func rawRequest(t *target, method, path string, header http.Header, body, want []byte, fallback requestFunc) requestFunc {
	c, ok := newRawClient(t.public, method, path, header, body)
	if !ok {
		return fallback
	}
	return func(ctx context.Context) error {
		status, got, err := c.do(ctx)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("%s: HTTP %d", path, status)
		}
		if want != nil && !bytes.Contains(got, want) {
			return fmt.Errorf("%s: answer lacks %s", path, want)
		}
		return nil
	}
}
