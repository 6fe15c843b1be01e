package identity

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/apperr"
)

const maxNameLength = 256

func strPtr(s string) *string { return &s }

// CleanName trims a free-text field; empty means unset.
func CleanName(param string, in *string) (*string, error) {
	if in == nil {
		return nil, nil
	}
	s := strings.TrimSpace(*in)
	if s == "" {
		return nil, nil
	}
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxNameLength || strings.ContainsAny(s, "\x00\r\n") {
		return nil, apperr.ParamInvalid(param, param+" must be at most 256 characters of text on one line.")
	}
	return &s, nil
}

func cleanExternalID(in *string) (*string, error) {
	if in == nil || *in == "" {
		return nil, nil
	}
	if len(*in) > 255 || !utf8.ValidString(*in) || strings.ContainsRune(*in, 0) {
		return nil, apperr.ParamInvalid("external_id", "external_id must be at most 255 bytes of text.")
	}
	return in, nil
}

func parseTime(param, raw string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return time.Time{}, apperr.ParamInvalid(param, param+" must be an RFC 3339 date-time, e.g. 2012-10-20T07:15:20.902Z.")
	}
	return t.UTC(), nil
}

func identifierDisabled(param string) error {
	return apperr.New(apperr.KindInvalid, "form_param_unknown", "is not enabled",
		param+" is not an enabled identifier on this instance.").WithParam(param)
}

func unsupported(param string) error {
	return apperr.New(apperr.KindInvalid, "feature_not_enabled", "is not supported yet",
		param+" is not supported by this Latchkey version.").WithParam(param)
}
