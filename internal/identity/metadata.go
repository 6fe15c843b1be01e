package identity

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/latchkey/latchkey/internal/apperr"
)

// MetadataMaxBytes caps each metadata object, as Clerk does (8 KB), so user
// objects stay small enough to embed in tokens and responses.
const MetadataMaxBytes = 8 * 1024

// emptyObject is the stored value of metadata that was never set.
var emptyObject = json.RawMessage(`{}`)

// ValidMetadata checks raw is a JSON object within the size limit and
// returns it compacted. A JSON null means "empty".
func ValidMetadata(param string, raw json.RawMessage) (json.RawMessage, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return emptyObject, nil
	}
	var obj map[string]any
	if trimmed[0] != '{' || json.Unmarshal(trimmed, &obj) != nil {
		return nil, apperr.ParamInvalid(param, param+" must be a JSON object.")
	}
	if hasNUL(obj) {
		// Postgres jsonb cannot store \u0000; refuse it rather than fail the write.
		return nil, apperr.ParamInvalid(param, param+" must not contain the NUL character (\\u0000).")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, trimmed); err != nil {
		return nil, apperr.ParamInvalid(param, param+" must be a JSON object.")
	}
	if buf.Len() > MetadataMaxBytes {
		return nil, apperr.New(apperr.KindInvalid, "form_param_exceeds_allowed_size", "is too large",
			param+" must not exceed 8 KB.").WithParam(param)
	}
	return buf.Bytes(), nil
}

// MergeMetadata deep-merges patch into base: objects merge key by key,
// any other value replaces, and a null removes the key.
func MergeMetadata(param string, base, patch json.RawMessage) (json.RawMessage, error) {
	var b, p map[string]any
	if len(base) > 0 {
		if err := json.Unmarshal(base, &b); err != nil {
			return nil, apperr.Internal(err, "stored %s is not an object", param)
		}
	}
	if b == nil {
		b = map[string]any{}
	}
	trimmed := bytes.TrimSpace(patch)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return ValidMetadata(param, base)
	}
	if trimmed[0] != '{' || json.Unmarshal(trimmed, &p) != nil {
		return nil, apperr.ParamInvalid(param, param+" must be a JSON object.")
	}
	merged, err := json.Marshal(deepMerge(b, p))
	if err != nil {
		return nil, apperr.Internal(err, "encode merged %s", param)
	}
	return ValidMetadata(param, merged)
}

func deepMerge(base, patch map[string]any) map[string]any {
	for k, pv := range patch {
		if pv == nil {
			delete(base, k)
			continue
		}
		if pObj, ok := pv.(map[string]any); ok {
			if bObj, ok := base[k].(map[string]any); ok {
				base[k] = deepMerge(bObj, pObj)
				continue
			}
			base[k] = deepMerge(map[string]any{}, pObj) // nulls inside a new object mean nothing
			continue
		}
		base[k] = pv
	}
	return base
}

// hasNUL reports whether a decoded JSON value has a NUL in any key or string.
func hasNUL(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.IndexByte(v, 0) >= 0
	case []any:
		for _, e := range v {
			if hasNUL(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range v {
			if strings.IndexByte(k, 0) >= 0 || hasNUL(e) {
				return true
			}
		}
	}
	return false
}
