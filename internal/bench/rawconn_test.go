package bench

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// The load generator's own HTTP/1.1 reader must read every shape of answer
// the server can give: a sized body, a chunked one, and a connection the
// server closes, and keep the connection only when it may.
func TestRawClientReadsEveryAnswerShape(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 10_000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/sized":
			_, _ = w.Write([]byte(`{"ok":true}`))
		case "/chunked":
			_, _ = w.Write(big[:5000])
			w.(http.Flusher).Flush()
			_, _ = w.Write(big[5000:])
		case "/close":
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusTeapot)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	for _, tc := range []struct {
		path   string
		status int
		body   []byte
		keep   bool
	}{
		{"/sized", 200, []byte(`{"ok":true}`), true},
		{"/chunked", 200, big, true},
		{"/close", http.StatusTeapot, []byte{}, false},
	} {
		c, ok := newRawClient(srv.URL, http.MethodGet, tc.path, http.Header{}, nil)
		if !ok {
			t.Fatal("plain http target refused")
		}
		for range 3 { // the same connection serves again when kept
			status, body, err := c.do(ctx)
			if err != nil || status != tc.status || !bytes.Equal(body, tc.body) {
				t.Fatalf("%s: status %d, %d bytes, err %v", tc.path, status, len(body), err)
			}
			if kept := c.conn != nil; kept != tc.keep {
				t.Fatalf("%s: connection kept = %v, want %v", tc.path, kept, tc.keep)
			}
		}
	}
}
