package identity

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestMergeMetadata(t *testing.T) {
	base := json.RawMessage(`{"plan":"pro","prefs":{"theme":"dark","lang":"en"},"drop":1}`)
	patch := json.RawMessage(`{"prefs":{"lang":"fr","tz":null,"new":{"a":null,"b":2}},"drop":null,"seats":3}`)
	got, err := MergeMetadata("public_metadata", base, patch)
	if err != nil {
		t.Fatal(err)
	}
	var g, w map[string]any
	json.Unmarshal(got, &g)
	json.Unmarshal([]byte(`{"plan":"pro","prefs":{"theme":"dark","lang":"fr","new":{"b":2}},"seats":3}`), &w)
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Fatalf("merge = %s, want %s", gb, wb)
	}
}

func TestValidMetadataRejects(t *testing.T) {
	for _, raw := range []string{`[1,2]`, `"str"`, `42`, `{bad json`} {
		if _, err := ValidMetadata("public_metadata", json.RawMessage(raw)); err == nil {
			t.Errorf("accepted %s", raw)
		}
	}
	big := `{"k":"` + strings.Repeat("x", MetadataMaxBytes) + `"}`
	if _, err := ValidMetadata("public_metadata", json.RawMessage(big)); err == nil {
		t.Error("accepted metadata over 8 KB")
	}
	if got, _ := ValidMetadata("public_metadata", json.RawMessage(`null`)); string(got) != "{}" {
		t.Errorf("null metadata = %s, want {}", got)
	}
}
