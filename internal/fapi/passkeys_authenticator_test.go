package fapi_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
)

// softKey is a software WebAuthn authenticator written for the tests: an
// ECDSA P-256 key that builds clientDataJSON and authenticatorData itself
// and signs them, so a test can say exactly which origin, rpId, challenge
// and counter a response carries.
type softKey struct {
	t          *testing.T
	priv       *ecdsa.PrivateKey
	credID     []byte
	userHandle []byte // learnt at registration
	counter    uint32
}

func newSoftKey(t *testing.T) *softKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	_, _ = rand.Read(id)
	return &softKey{t: t, priv: priv, credID: id}
}

var b64u = base64.RawURLEncoding

// ceremony is what a test controls in a response.
type ceremony struct {
	origin    string // clientDataJSON.origin
	rpID      string // hashed into authenticatorData; "" means the options' rpId
	challenge string // "" means the options' challenge
	counter   *uint32
}

// creationOptions and requestOptions are the parts of the server's nonce
// the authenticator reads.
type creationOptions struct {
	Challenge string `json:"challenge"`
	RP        struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"rp"`
	User struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		DisplayName string `json:"displayName"`
	} `json:"user"`
	AuthenticatorSelection struct {
		ResidentKey      string `json:"residentKey"`
		UserVerification string `json:"userVerification"`
	} `json:"authenticatorSelection"`
	ExcludeCredentials []struct {
		ID string `json:"id"`
	} `json:"excludeCredentials"`
}

type requestOptions struct {
	Challenge        string `json:"challenge"`
	RPID             string `json:"rpId"`
	AllowCredentials []any  `json:"allowCredentials"`
}

func (k *softKey) clientData(typ, challenge, origin string) []byte {
	cd, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return cd
}

func (k *softKey) authData(rpID string, flags byte, counter uint32, attested []byte) []byte {
	h := sha256.Sum256([]byte(rpID))
	out := append([]byte{}, h[:]...)
	out = append(out, flags)
	out = binary.BigEndian.AppendUint32(out, counter)
	return append(out, attested...)
}

// register answers creation options (the passkey verification's nonce) with
// a "none" attestation and returns public_key_credential.
func (k *softKey) register(nonce string, c ceremony) string {
	k.t.Helper()
	var o creationOptions
	if err := json.Unmarshal([]byte(nonce), &o); err != nil {
		k.t.Fatalf("creation options %q: %v", nonce, err)
	}
	uh, err := b64u.DecodeString(o.User.ID)
	if err != nil {
		k.t.Fatalf("user.id %q: %v", o.User.ID, err)
	}
	k.userHandle = uh
	rpID, challenge := o.RP.ID, o.Challenge
	if c.rpID != "" {
		rpID = c.rpID
	}
	if c.challenge != "" {
		challenge = c.challenge
	}
	cose, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1,
		-2: k.priv.PublicKey.X.FillBytes(make([]byte, 32)), -3: k.priv.PublicKey.Y.FillBytes(make([]byte, 32))})
	if err != nil {
		k.t.Fatal(err)
	}
	attested := make([]byte, 16) // AAGUID: zero, as for "none" attestation
	attested = binary.BigEndian.AppendUint16(attested, uint16(len(k.credID)))
	attested = append(attested, k.credID...)
	attested = append(attested, cose...)
	const up, uv, at = 0x01, 0x04, 0x40
	ad := k.authData(rpID, up|uv|at, k.counter, attested)
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": ad})
	if err != nil {
		k.t.Fatal(err)
	}
	out, _ := json.Marshal(map[string]any{
		"id": b64u.EncodeToString(k.credID), "rawId": b64u.EncodeToString(k.credID), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64u.EncodeToString(k.clientData("webauthn.create", challenge, c.origin)),
			"attestationObject": b64u.EncodeToString(att),
			"transports":        []string{"internal"},
		},
	})
	return string(out)
}

// assert answers request options (a sign-in's nonce): the counter moves
// forward by one unless the ceremony sets it.
func (k *softKey) assert(nonce string, c ceremony) string {
	k.t.Helper()
	var o requestOptions
	if err := json.Unmarshal([]byte(nonce), &o); err != nil {
		k.t.Fatalf("request options %q: %v", nonce, err)
	}
	rpID, challenge := o.RPID, o.Challenge
	if c.rpID != "" {
		rpID = c.rpID
	}
	if c.challenge != "" {
		challenge = c.challenge
	}
	if c.counter != nil {
		k.counter = *c.counter
	} else {
		k.counter++
	}
	const up, uv = 0x01, 0x04
	ad := k.authData(rpID, up|uv, k.counter, nil)
	cd := k.clientData("webauthn.get", challenge, c.origin)
	// The signature covers authenticatorData || SHA-256(clientDataJSON);
	// ES256 signs the SHA-256 digest of that.
	h := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.priv, digest[:])
	if err != nil {
		k.t.Fatal(err)
	}
	out, _ := json.Marshal(map[string]any{
		"id": b64u.EncodeToString(k.credID), "rawId": b64u.EncodeToString(k.credID), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64u.EncodeToString(cd),
			"authenticatorData": b64u.EncodeToString(ad),
			"signature":         b64u.EncodeToString(sig),
			"userHandle":        b64u.EncodeToString(k.userHandle),
		},
	})
	return string(out)
}

func u32(v uint32) *uint32 { return &v }
