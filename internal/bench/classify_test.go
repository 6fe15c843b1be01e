package bench

import "testing"

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		query string
		want  writeKind
	}{
		{`SELECT id FROM oauth_applications WHERE client_id = $1`, 0},
		{`INSERT INTO oauth_codes (code_hash) VALUES ($1)`, kindInsert},
		{`UPDATE oauth_grants SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`, kindUpdate},
		{`DELETE FROM sessions WHERE id = $1`, kindDelete},
		{`WITH c AS (UPDATE oauth_codes SET used_at = $2 WHERE code_hash = $1 RETURNING *),
		  g AS (INSERT INTO oauth_grants (id) SELECT $3 FROM c) SELECT * FROM c`, kindInsert | kindUpdate},
		{`SELECT * FROM users WHERE id = $1 FOR UPDATE`, kindLock},
		{`SELECT * FROM users WHERE id = $1 FOR NO KEY UPDATE`, kindLock},
		{`SELECT * FROM users WHERE id = $1 FOR SHARE`, kindLock},
		{`INSERT INTO oauth_revoked_jtis (jti) VALUES ($1) ON CONFLICT (jti) DO UPDATE SET jti = excluded.jti`, kindInsert},
		{`SELECT 'update' || $1, "delete" FROM t -- INSERT INTO x
		  /* DELETE FROM y */`, 0},
		{`SELECT scopes FROM t WHERE ' ' || scopes || ' ' LIKE '% it''s update %'`, 0},
		{`BEGIN`, 0},
		{`COMMIT`, 0},
		{`ALTER TABLE t ADD FOREIGN KEY (a) REFERENCES u ON DELETE CASCADE ON UPDATE CASCADE`, 0},
		{`insert into lower_case values ($1)`, kindInsert},
	} {
		if got := classify(c.query); got != c.want {
			t.Errorf("classify(%q) = %s, want %s", c.query, got, c.want)
		}
	}
}

func TestWriteKindString(t *testing.T) {
	if s := (kindInsert | kindUpdate).String(); s != "insert+update" {
		t.Errorf("got %q", s)
	}
	if s := writeKind(0).String(); s != "read" {
		t.Errorf("got %q", s)
	}
	if kindLock.writes() || !kindDelete.writes() {
		t.Error("writes() is wrong")
	}
}
