package auth

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/ferrymq/ferry/internal/message"
)

// SASL mechanisms a client may choose in AMQP's connection.start-ok.
const (
	// PLAIN is RFC 4616: "[authzid] NUL authcid NUL passwd".
	PLAIN = "PLAIN"
	// AMQPLAIN is RabbitMQ's: a field table, without its leading size,
	// holding LOGIN and PASSWORD.
	AMQPLAIN = "AMQPLAIN"
)

// Mechanisms is the list a server offers in connection.start, in order
// of preference.
const Mechanisms = PLAIN + " " + AMQPLAIN

var (
	// ErrUnknownMechanism means the client chose a mechanism not offered.
	ErrUnknownMechanism = errors.New("auth: unknown SASL mechanism")
	// ErrBadResponse means the SASL response does not parse.
	ErrBadResponse = errors.New("auth: malformed SASL response")
)

// ParseResponse extracts the user name and password from a SASL response.
func ParseResponse(mechanism, response string) (name, password string, err error) {
	switch mechanism {
	case PLAIN:
		parts := strings.Split(response, "\x00")
		if len(parts) != 3 {
			return "", "", fmt.Errorf("%w: PLAIN has %d NUL-separated parts, want 3", ErrBadResponse, len(parts))
		}
		// The authorization identity (parts[0]) is ignored, as RabbitMQ does.
		return parts[1], parts[2], nil
	case AMQPLAIN:
		buf := make([]byte, 4, 4+len(response))
		binary.BigEndian.PutUint32(buf, uint32(len(response)))
		t, _, err := message.ReadTable(append(buf, response...))
		if err != nil {
			return "", "", fmt.Errorf("%w: AMQPLAIN: %v", ErrBadResponse, err)
		}
		login, ok1 := t.Get("LOGIN")
		pass, ok2 := t.Get("PASSWORD")
		name, ok3 := message.String(login)
		password, ok4 := message.String(pass)
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return "", "", fmt.Errorf("%w: AMQPLAIN needs LOGIN and PASSWORD strings", ErrBadResponse)
		}
		return name, password, nil
	}
	return "", "", fmt.Errorf("%w %q (offered: %s)", ErrUnknownMechanism, mechanism, Mechanisms)
}

// Login parses a SASL response and authenticates it: the one call a
// front end makes. It returns the user name.
func (u *Users) Login(mechanism, response string, remote net.Addr) (string, error) {
	name, password, err := ParseResponse(mechanism, response)
	if err != nil {
		return "", err
	}
	if err := u.Authenticate(name, password, remote); err != nil {
		return name, err
	}
	return name, nil
}
