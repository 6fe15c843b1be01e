package identity

import (
	"encoding/hex"
	"strings"

	"golang.org/x/crypto/sha3"

	"github.com/latchkey/latchkey/internal/apperr"
)

// NormalizeWallet validates an Ethereum address ("0x" and 40 hex digits)
// and returns it with its EIP-55 checksum capitalisation. An address in a
// single case carries no checksum and is accepted; a mixed-case one must
// carry the right checksum, which catches mistyped addresses.
func NormalizeWallet(param, raw string) (string, error) {
	s := strings.TrimSpace(raw)
	invalid := apperr.ParamInvalid(param, param+" must be an Ethereum address: 0x followed by 40 hexadecimal digits.")
	if len(s) != 42 || (s[:2] != "0x" && s[:2] != "0X") {
		return "", invalid
	}
	body := s[2:]
	if _, err := hex.DecodeString(body); err != nil {
		return "", invalid
	}
	sum := ChecksumAddress(body)
	if body != strings.ToLower(body) && body != strings.ToUpper(body) && "0x"+body != sum {
		return "", apperr.ParamInvalid(param, param+" has a wrong EIP-55 checksum: check the address for typos.")
	}
	return sum, nil
}

// ChecksumAddress returns the EIP-55 form of a 40-hex-digit address (with
// or without 0x): a letter is upper case where the matching nibble of the
// Keccak-256 of the lower-case hex is 8 or more.
func ChecksumAddress(addr string) string {
	lower := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(addr, "0x"), "0X"))
	h := sha3.NewLegacyKeccak256()
	h.Write([]byte(lower))
	digest := h.Sum(nil)
	out := []byte(lower)
	for i, c := range out {
		nibble := digest[i/2] >> 4
		if i%2 == 1 {
			nibble = digest[i/2] & 0x0f
		}
		if c >= 'a' && c <= 'f' && nibble >= 8 {
			out[i] = c - 'a' + 'A'
		}
	}
	return "0x" + string(out)
}
