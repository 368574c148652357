package diskstore

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Directory name prefixes; see the Layout section of the package doc.
const (
	escapedPrefix = "q" // q<escaped name>
	hashedPrefix  = "h" // h<sha-256 hex>, with the name in nameFile
	removedPrefix = "x" // a log being removed
	nameFile      = "NAME"
	// maxEscaped leaves room under the common 255-byte file name limit.
	maxEscaped = 200
)

const hexDigits = "0123456789abcdef"

// keep reports whether b stands for itself in an escaped name. Only
// lower-case letters are kept so that names differing in case stay
// distinct on case-insensitive file systems.
func keep(b byte) bool {
	return 'a' <= b && b <= 'z' || '0' <= b && b <= '9' || b == '-' || b == '_' || b == '.'
}

// dirName returns the directory that holds the log called name, and
// whether it is the hashed form (which needs a nameFile).
func dirName(name string) (string, bool) {
	var sb strings.Builder
	sb.WriteString(escapedPrefix)
	for i := 0; i < len(name); i++ {
		b := name[i]
		if keep(b) {
			sb.WriteByte(b)
		} else {
			sb.WriteByte('%')
			sb.WriteByte(hexDigits[b>>4])
			sb.WriteByte(hexDigits[b&15])
		}
		if sb.Len() > maxEscaped {
			sum := sha256.Sum256([]byte(name))
			return hashedPrefix + hex.EncodeToString(sum[:]), true
		}
	}
	return sb.String(), false
}

// unescape turns an escaped directory name back into the queue name. It
// accepts only what dirName produces, so every name has one directory.
func unescape(dir string) (string, error) {
	if !strings.HasPrefix(dir, escapedPrefix) {
		return "", fmt.Errorf("directory %q: not an escaped queue name", dir)
	}
	s := dir[len(escapedPrefix):]
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		b := s[i]
		if keep(b) {
			out = append(out, b)
			continue
		}
		if b != '%' || i+2 >= len(s) {
			return "", fmt.Errorf("directory %q: bad byte %q at %d", dir, b, i)
		}
		hi, lo := strings.IndexByte(hexDigits, s[i+1]), strings.IndexByte(hexDigits, s[i+2])
		if hi < 0 || lo < 0 || keep(byte(hi<<4|lo)) {
			return "", fmt.Errorf("directory %q: bad escape at %d", dir, i)
		}
		out = append(out, byte(hi<<4|lo))
		i += 2
	}
	return string(out), nil
}

// checkHashed reports whether dir is the hashed directory of name.
func checkHashed(dir, name string) bool {
	d, hashed := dirName(name)
	return hashed && d == dir
}
