package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"time"
)

// rawClient is one load client's own keep-alive connection, driven without
// net/http's Transport: a prebuilt request is written as is and the answer
// read with a minimal parser. The load generator shares the machine with
// the server it measures, so each microsecond it spends is one the server
// cannot; the Transport's per-connection goroutines and channel hand-offs
// were most of the generator's cost per request.
type rawClient struct {
	addr string
	req  []byte
	conn net.Conn
	br   *bufio.Reader
	buf  []byte // the last answer's body, reused
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

// roundTrip writes the request and reads the answer with a minimal HTTP/1.1
// parser (status line, Content-Length or chunked, Connection: close) into
// a buffer the client reuses.
func (c *rawClient) roundTrip() (status int, body []byte, keep bool, err error) {
	if _, err = c.conn.Write(c.req); err != nil {
		return 0, nil, false, err
	}
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return 0, nil, false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, nil, false, fmt.Errorf("malformed status line %q", line)
	}
	if status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return 0, nil, false, fmt.Errorf("malformed status line %q", line)
	}
	length, chunked, keep := -1, false, true
	for {
		if line, err = c.br.ReadSlice('\n'); err != nil {
			return 0, nil, false, err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			break
		}
		name, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 || length > 4<<20 {
				return 0, nil, false, fmt.Errorf("bad Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			keep = !bytes.EqualFold(value, []byte("close"))
		}
	}
	switch {
	case chunked:
		body, err = io.ReadAll(io.LimitReader(httputil.NewChunkedReader(c.br), 4<<20))
		if err == nil {
			_, err = c.br.Discard(2) // the empty trailer's CRLF
		}
	case length >= 0:
		if cap(c.buf) < length {
			c.buf = make([]byte, length)
		}
		body = c.buf[:length]
		_, err = io.ReadFull(c.br, body)
	default: // no length: the body runs to the end of the connection
		body, err = io.ReadAll(io.LimitReader(c.br, 4<<20))
		keep = false
	}
	return status, body, keep && err == nil, err
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
