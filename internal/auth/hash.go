package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
)

// saltLen is the salt RabbitMQ's SHA-256 password hashing uses.
const saltLen = 4

// ErrBadHash means a stored password hash does not decode.
var ErrBadHash = errors.New("auth: malformed password hash")

// HashPassword returns the stored form of password: base64 of a fresh
// random 4-byte salt followed by SHA-256(salt || password).
func HashPassword(password string) string {
	var salt [saltLen]byte
	if _, err := rand.Read(salt[:]); err != nil {
		// crypto/rand.Read does not fail on supported platforms (Go 1.24+
		// crashes the program instead); keep the invariant visible.
		panic(fmt.Sprintf("auth: reading random salt: %v", err))
	}
	return base64.StdEncoding.EncodeToString(saltedHash(salt[:], password))
}

// saltedHash returns salt || SHA-256(salt || password).
func saltedHash(salt []byte, password string) []byte {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(password))
	return h.Sum(append([]byte(nil), salt...))
}

// CheckPassword reports whether password matches hash, in time that does
// not depend on where they differ.
func CheckPassword(hash, password string) (bool, error) {
	raw, err := decodeHash(hash)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(raw, saltedHash(raw[:saltLen], password)) == 1, nil
}

func decodeHash(hash string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(hash)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadHash, err)
	}
	if len(raw) != saltLen+sha256.Size {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrBadHash, len(raw), saltLen+sha256.Size)
	}
	return raw, nil
}
