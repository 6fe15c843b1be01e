package identity

import "testing"

// ParsePhone gives the calling code and country the SMS allowlist works on,
// and refuses numbers that no country's plan allows.
func TestParsePhone(t *testing.T) {
	good := []struct {
		in, e164 string
		code     int
		region   string
	}{
		{"+1 (555) 555-0142", "+15555550142", 1, "US"},
		{"+1 416 555 0199", "+14165550199", 1, "CA"},
		{"+44 7700 900123", "+447700900123", 44, "GB"},
		{"+33 6 12 34 56 78", "+33612345678", 33, "FR"},
		{"+49 151 12345678", "+4915112345678", 49, "DE"},
		{"+81 90-1234-5678", "+819012345678", 81, "JP"},
	}
	for _, c := range good {
		p, err := ParsePhone("phone_number", c.in)
		if err != nil || p.E164 != c.e164 || p.CallingCode != c.code || p.Region != c.region {
			t.Errorf("ParsePhone(%q) = %+v, %v; want %s +%d %s", c.in, p, err, c.e164, c.code, c.region)
		}
	}
	for _, in := range []string{
		"", "5555550142", "+", "+999 1234 5678", "+44 12", "+1 555 555 01429999", "+1 555-CALL-NOW",
		"+1 555 555 0142 ext. 5", "+１５５５５５５０１４２", "++15555550142",
	} {
		if p, err := ParsePhone("phone_number", in); err == nil {
			t.Errorf("ParsePhone(%q) = %+v, want an error", in, p)
		}
	}
}
