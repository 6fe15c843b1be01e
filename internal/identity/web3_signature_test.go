package identity

import (
	"encoding/hex"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
)

// personalSign signs like a wallet's personal_sign: r||s||v with v 27/28.
func personalSign(t *testing.T, key *secp256k1.PrivateKey, message string) string {
	t.Helper()
	c := ecdsa.SignCompact(key, PersonalMessageHash(message), false)
	sig := append(append([]byte{}, c[1:]...), c[0])
	return "0x" + hex.EncodeToString(sig)
}

func TestChecksumAddressEIP55Vectors(t *testing.T) {
	// The test vectors of EIP-55.
	for _, want := range []string{
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
		"0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
		"0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
		"0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
	} {
		if got := ChecksumAddress(want); got != want {
			t.Errorf("ChecksumAddress(%s) = %s", want, got)
		}
		if got, err := NormalizeWallet("w", "0x"+lower(want[2:])); err != nil || got != want {
			t.Errorf("NormalizeWallet(lower %s) = %s, %v", want, got, err)
		}
	}
	if _, err := NormalizeWallet("w", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"); err == nil {
		t.Error("a wrong checksum was accepted")
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'F' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func TestRecoverPersonalSigner(t *testing.T) {
	key, err := secp256k1.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	addr := AddressOfPublicKey(key.PubKey().SerializeUncompressed())
	sig := personalSign(t, key, "hello")
	if got, err := RecoverPersonalSigner("hello", sig); err != nil || got != addr {
		t.Fatalf("recovered %s, %v; want %s", got, err, addr)
	}
	if got, _ := RecoverPersonalSigner("hello!", sig); got == addr {
		t.Fatal("a signature over another message recovered the signer")
	}
	for _, bad := range []string{"", "0x", "0x1234", sig[:len(sig)-2] + "1d", "zz" + sig[2:]} {
		if got, err := RecoverPersonalSigner("hello", bad); err == nil && got == addr {
			t.Errorf("signature %q accepted", bad)
		}
	}
	// A known vector: the key 0x...01 signs "hello" (geth's personal_sign).
	one, _ := hex.DecodeString("0000000000000000000000000000000000000000000000000000000000000001")
	k1 := secp256k1.PrivKeyFromBytes(one)
	if a := AddressOfPublicKey(k1.PubKey().SerializeUncompressed()); a != "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf" {
		t.Fatalf("address of key 1 = %s", a)
	}
}
