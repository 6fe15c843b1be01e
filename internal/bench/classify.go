package bench

import (
	"strings"
	"unicode"
)

// writeKind says what a statement changes; a statement with CTEs can do
// several things at once (the code redemption inserts and updates).
type writeKind uint8

const (
	kindInsert writeKind = 1 << iota
	kindUpdate
	kindDelete
	kindLock // SELECT ... FOR UPDATE / FOR SHARE: not a write, but worth seeing
)

func (k writeKind) writes() bool { return k&(kindInsert|kindUpdate|kindDelete) != 0 }

// String is e.g. "insert+update", or "read".
func (k writeKind) String() string {
	var parts []string
	for _, p := range []struct {
		k    writeKind
		name string
	}{{kindInsert, "insert"}, {kindUpdate, "update"}, {kindDelete, "delete"}, {kindLock, "lock"}} {
		if k&p.k != 0 {
			parts = append(parts, p.name)
		}
	}
	if len(parts) == 0 {
		return "read"
	}
	return strings.Join(parts, "+")
}

// classify reads a normalised statement from pg_stat_statements and says
// which kinds of write it performs. Words inside string literals, quoted
// identifiers and comments are ignored; UPDATE in FOR UPDATE, FOR NO KEY
// UPDATE, ON UPDATE and ON CONFLICT DO UPDATE is not an update statement
// (an upsert counts as an insert), nor is DELETE in ON DELETE.
func classify(query string) writeKind {
	words := sqlWords(query)
	var k writeKind
	prev := func(i int) string {
		if i > 0 {
			return words[i-1]
		}
		return ""
	}
	for i, w := range words {
		switch w {
		case "INSERT":
			if i+1 < len(words) && words[i+1] == "INTO" {
				k |= kindInsert
			}
		case "UPDATE":
			switch prev(i) {
			case "FOR", "KEY":
				k |= kindLock
			case "ON", "DO":
			default:
				k |= kindUpdate
			}
		case "SHARE":
			if p := prev(i); p == "FOR" || p == "KEY" {
				k |= kindLock
			}
		case "DELETE":
			if prev(i) != "ON" {
				k |= kindDelete
			}
		case "MERGE":
			if i+1 < len(words) && words[i+1] == "INTO" {
				k |= kindUpdate
			}
		case "TRUNCATE":
			k |= kindDelete
		}
	}
	return k
}

// sqlWords splits SQL into upper-cased bare words, skipping literals,
// quoted identifiers and comments.
func sqlWords(q string) []string {
	var words []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			words = append(words, strings.ToUpper(cur.String()))
			cur.Reset()
		}
	}
	r := []rune(q)
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c == '\'' || c == '"':
			flush()
			for i++; i < len(r); i++ {
				if r[i] == c {
					if i+1 < len(r) && r[i+1] == c { // doubled quote inside
						i++
						continue
					}
					break
				}
			}
		case c == '-' && i+1 < len(r) && r[i+1] == '-':
			flush()
			for i < len(r) && r[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(r) && r[i+1] == '*':
			flush()
			for i += 2; i+1 < len(r) && !(r[i] == '*' && r[i+1] == '/'); i++ {
			}
			i++
		case unicode.IsLetter(c) || c == '_' || (cur.Len() > 0 && unicode.IsDigit(c)):
			cur.WriteRune(c)
		default:
			flush()
		}
	}
	flush()
	return words
}
