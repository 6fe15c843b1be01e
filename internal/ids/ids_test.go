package ids

import (
	"sort"
	"testing"
	"time"
)

func TestIDsSortByCreationTime(t *testing.T) {
	start := time.UnixMilli(1_700_000_000_000)
	var got []string
	for i := 0; i < 200; i++ {
		got = append(got, NewAt(User, start.Add(time.Duration(i)*time.Millisecond)))
	}
	if !sort.StringsAreSorted(got) {
		t.Fatalf("ids minted in time order are not sorted: %v", got[:5])
	}
}

func TestIDShape(t *testing.T) {
	id := New(User)
	if !HasPrefix(id, User) {
		t.Fatalf("%q does not have the user prefix and width", id)
	}
	if HasPrefix(id, Identification) || HasPrefix("user_short", User) || HasPrefix("user_"+"!!!!!!!!!!!!!!!!!!!!!!", User) {
		t.Fatal("HasPrefix accepted a malformed id")
	}
	if New(User) == New(User) {
		t.Fatal("two ids collided")
	}
}

// Ids minted one after another sort in the order they were made, even
// thousands within one millisecond: lists ordered by (created_at, id) keep
// creation order.
func TestNewIsStrictlyIncreasing(t *testing.T) {
	prev := New(User)
	for range 20000 {
		id := New(User)
		if id <= prev {
			t.Fatalf("%s minted after %s sorts before it", id, prev)
		}
		prev = id
	}
}
