package identity

import (
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/latchkey/latchkey/internal/apperr"
)

// Phone is a parsed phone number.
type Phone struct {
	E164        string // +15555550100
	CallingCode int    // 1
	Region      string // ISO 3166-1 alpha-2 of the number's country ("US"); "001" for non-geographic codes
}

// ParsePhone parses a number given in international form (a '+', the
// country calling code, then the subscriber number; the spaces, dashes,
// dots and parentheses people type are tolerated) with libphonenumber's
// metadata. A number must be possible for its country: a known calling
// code and a length that country's plan allows. Validity against live
// number ranges is not required, so fictional ranges (555-01xx) still parse.
func ParsePhone(param, raw string) (Phone, error) {
	invalid := apperr.ParamInvalid(param, param+" must be a valid phone number in E.164 format, e.g. +15555550100.")
	s := strings.TrimSpace(raw)
	if !strings.HasPrefix(s, "+") || len(s) > 32 {
		return Phone{}, invalid
	}
	for _, r := range s[1:] {
		if !(r >= '0' && r <= '9') && r != ' ' && r != '-' && r != '.' && r != '(' && r != ')' {
			return Phone{}, invalid // letters, full-width digits, extensions: not a number we text
		}
	}
	n, err := phonenumbers.Parse(s, "ZZ")
	if err != nil || n.GetCountryCode() == 0 {
		return Phone{}, invalid
	}
	region := phonenumbers.GetRegionCodeForNumber(n)
	if region == "" || region == "ZZ" {
		region = phonenumbers.GetRegionCodeForCountryCode(int(n.GetCountryCode()))
	}
	if region == "ZZ" || !phonenumbers.IsPossibleNumber(n) {
		return Phone{}, invalid
	}
	e164 := phonenumbers.Format(n, phonenumbers.E164)
	if digits := len(e164) - 1; digits < 8 || digits > 15 {
		return Phone{}, invalid
	}
	return Phone{E164: e164, CallingCode: int(n.GetCountryCode()), Region: region}, nil
}
