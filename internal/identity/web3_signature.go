package identity

import (
	"encoding/hex"
	"errors"
	"strconv"
	"strings"

	"github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
	"golang.org/x/crypto/sha3"
)

// ErrBadSignature is any signature that does not recover to an address.
var ErrBadSignature = errors.New("web3: malformed or unrecoverable signature")

// PersonalMessageHash is the EIP-191 (version 0x45) hash a wallet signs for
// personal_sign: Keccak-256 of "\x19Ethereum Signed Message:\n", the
// message's length in bytes as decimal, and the message.
func PersonalMessageHash(message string) []byte {
	h := sha3.NewLegacyKeccak256()
	h.Write([]byte("\x19Ethereum Signed Message:\n" + strconv.Itoa(len(message)) + message))
	return h.Sum(nil)
}

// RecoverPersonalSigner returns the EIP-55 address whose key made
// signature (0x-hex r||s||v, 65 bytes, v 27/28 or 0/1) over message with
// personal_sign. The caller compares it with the address it expects: a
// signature by another key, or over another message, recovers to another
// address.
func RecoverPersonalSigner(message, signature string) (string, error) {
	raw, err := hex.DecodeString(strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(signature), "0x"), "0X"))
	if err != nil || len(raw) != 65 {
		return "", ErrBadSignature
	}
	v := raw[64]
	if v >= 27 {
		v -= 27
	}
	if v > 1 {
		return "", ErrBadSignature // recovery ids 2 and 3 (r >= n) never come from a wallet
	}
	// decred's compact form is <27 + recovery id><r><s> for an uncompressed key.
	compact := make([]byte, 65)
	compact[0] = 27 + v
	copy(compact[1:], raw[:64])
	pub, _, err := ecdsa.RecoverCompact(compact, PersonalMessageHash(message))
	if err != nil {
		return "", ErrBadSignature
	}
	return AddressOfPublicKey(pub.SerializeUncompressed()), nil
}

// AddressOfPublicKey is the EIP-55 address of an uncompressed secp256k1
// public key (0x04 || X || Y): the last 20 bytes of Keccak-256(X || Y).
func AddressOfPublicKey(uncompressed []byte) string {
	h := sha3.NewLegacyKeccak256()
	h.Write(uncompressed[1:])
	return ChecksumAddress(hex.EncodeToString(h.Sum(nil)[12:]))
}

// IsWalletAddress reports whether s has the shape of an Ethereum address
// (0x and 40 hex digits), before any checksum check.
func IsWalletAddress(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) != 42 || (s[:2] != "0x" && s[:2] != "0X") {
		return false
	}
	_, err := hex.DecodeString(s[2:])
	return err == nil
}
