package notify

import (
	"reflect"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second,
		80 * time.Second, 160 * time.Second, 320 * time.Second, 10 * time.Minute, 10 * time.Minute}
	for i, w := range want {
		if got := backoff(i + 1); got != w {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
	if backoff(1000) != maxBackoff {
		t.Error("backoff must stay capped for large attempt counts")
	}
}

// A message being sent must never be claimed by another replica.
func TestSendFinishesWithinTheLease(t *testing.T) {
	if 2*sendTimeout > store.EmailLease {
		t.Fatalf("sendTimeout %v is too close to the claim lease %v", sendTimeout, store.EmailLease)
	}
}

func TestLinkify(t *testing.T) {
	t.Parallel()
	got := linkify("Open https://acme.test/x?a=1&b=2.\nOr (http://localhost:8080/y).")
	want := []textSegment{
		{Text: "Open "}, {Text: "https://acme.test/x?a=1&b=2", Link: true}, {Text: ".\nOr ("},
		{Text: "http://localhost:8080/y", Link: true}, {Text: ")."},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("linkify = %#v", got)
	}
}
