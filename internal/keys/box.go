// Package keys owns key material: the AES-GCM box for secrets that must be
// read back, the instance's RS256 signing keys and their JWKS, and the
// Backend API secret keys.
package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Box encrypts secrets at rest with AES-256-GCM. Each ciphertext is
// nonce || sealed, and callers bind it to its purpose with additional data so
// a ciphertext cannot be moved to another column or row.
type Box struct{ aead cipher.AEAD }

// NewBox builds a box from a 32-byte key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("keys: encryption key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext bound to aad.
func (b *Box) Seal(plaintext, aad []byte) []byte {
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plaintext)+b.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("keys: crypto/rand failed: " + err.Error())
	}
	return b.aead.Seal(nonce, nonce, plaintext, aad)
}

// Open decrypts a Seal output; it fails if the key, ciphertext or aad differ.
func (b *Box) Open(ciphertext, aad []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(ciphertext) < n+b.aead.Overhead() {
		return nil, errors.New("keys: ciphertext too short")
	}
	pt, err := b.aead.Open(nil, ciphertext[:n], ciphertext[n:], aad)
	if err != nil {
		return nil, errors.New("keys: cannot decrypt (wrong LATCHKEY_ENCRYPTION_KEY?)")
	}
	return pt, nil
}

// EncryptionKey decodes the configured key. In development with none
// configured, a key is generated once into dataDir/encryption.key and reused,
// so `make run` works with no set-up and data stays readable across restarts.
func EncryptionKey(configured string, development bool, dataDir string) ([]byte, error) {
	if configured != "" {
		return base64.StdEncoding.DecodeString(configured)
	}
	if !development {
		return nil, errors.New("keys: LATCHKEY_ENCRYPTION_KEY is required in production")
	}
	path := filepath.Join(dataDir, "encryption.key")
	if raw, err := os.ReadFile(path); err == nil {
		return base64.StdEncoding.DecodeString(string(trimSpace(raw)))
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	// O_EXCL: two processes racing on first start must not each write a key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return EncryptionKey("", development, dataDir)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		return nil, err
	}
	return key, f.Sync()
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}
