package auth

import (
	"encoding/base64"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/ferrymq/ferry/internal/message"
)

var (
	loopback = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000}
	remote   = &net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 5000}
)

func TestHashRoundTripAndSalt(t *testing.T) {
	h1, h2 := HashPassword("secret"), HashPassword("secret")
	if h1 == h2 {
		t.Fatalf("two hashes of one password are equal (%s): salt not random", h1)
	}
	for _, h := range []string{h1, h2} {
		if ok, err := CheckPassword(h, "secret"); !ok || err != nil {
			t.Fatalf("CheckPassword(right) = %v, %v", ok, err)
		}
		if ok, err := CheckPassword(h, "Secret"); ok || err != nil {
			t.Fatalf("CheckPassword(wrong) = %v, %v", ok, err)
		}
	}
	if _, err := CheckPassword("!!", "x"); !errors.Is(err, ErrBadHash) {
		t.Fatalf("bad base64: %v", err)
	}
	if _, err := CheckPassword(base64.StdEncoding.EncodeToString([]byte("short")), "x"); !errors.Is(err, ErrBadHash) {
		t.Fatalf("short hash: %v", err)
	}
}

// TestRabbitMQHashFormat checks a hash built as RabbitMQ builds its
// rabbit_password_hashing_sha256 values: salt, then SHA-256(salt+pw).
func TestRabbitMQHashFormat(t *testing.T) {
	salt := []byte{0x90, 0x8d, 0xc6, 0x0a}
	h := base64.StdEncoding.EncodeToString(saltedHash(salt, "test12"))
	raw, _ := base64.StdEncoding.DecodeString(h)
	if len(raw) != 36 || string(raw[:4]) != string(salt) {
		t.Fatalf("hash layout: %x", raw)
	}
	if ok, _ := CheckPassword(h, "test12"); !ok {
		t.Fatal("own salted hash does not check")
	}
}

func TestDefaultGuestLoopbackOnly(t *testing.T) {
	u := Default()
	if err := u.Authenticate("guest", "guest", loopback); err != nil {
		t.Fatalf("guest from loopback: %v", err)
	}
	if err := u.Authenticate("guest", "guest", &net.TCPAddr{IP: net.IPv6loopback}); err != nil {
		t.Fatalf("guest from ::1: %v", err)
	}
	err := u.Authenticate("guest", "guest", remote)
	if !errors.Is(err, ErrLoopbackOnly) || !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("guest from remote: %v", err)
	}
	if err := u.Authenticate("guest", "guest", nil); !errors.Is(err, ErrLoopbackOnly) {
		t.Fatalf("guest from unknown address: %v", err)
	}
	if !u.CanAccess("guest", "/") || u.CanAccess("guest", "other") {
		t.Fatal("guest vhost permissions wrong")
	}
}

func TestAuthenticateFailures(t *testing.T) {
	u := NewUsers()
	if err := u.Add("bob", "pw", UserOptions{VHosts: []string{"/"}}); err != nil {
		t.Fatal(err)
	}
	if err := u.Authenticate("bob", "pw", remote); err != nil {
		t.Fatalf("bob from remote: %v", err)
	}
	for _, c := range []struct{ name, pw string }{{"bob", "PW"}, {"alice", "pw"}, {"", ""}} {
		if err := u.Authenticate(c.name, c.pw, loopback); !errors.Is(err, ErrInvalidCredentials) {
			t.Errorf("Authenticate(%q, %q) = %v, want invalid credentials", c.name, c.pw, err)
		}
	}
	if err := u.Grant("alice", "/"); !errors.Is(err, ErrUnknownUser) {
		t.Fatalf("Grant unknown: %v", err)
	}
	if err := u.Grant("bob", "dev"); err != nil || !u.CanAccess("bob", "dev") {
		t.Fatalf("Grant: %v", err)
	}
	if got, ok := u.Lookup("bob"); !ok || strings.Join(got.VHosts, ",") != "/,dev" {
		t.Fatalf("Lookup = %+v, %v", got, ok)
	}
	if !u.Delete("bob") || u.Delete("bob") {
		t.Fatal("Delete twice should be true then false")
	}
	if err := u.Authenticate("bob", "pw", loopback); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("deleted user: %v", err)
	}
	if err := u.AddHashed("x", "nope", UserOptions{}); !errors.Is(err, ErrBadHash) {
		t.Fatalf("AddHashed bad: %v", err)
	}
}

func amqplain(t *testing.T, fields message.Table) string {
	t.Helper()
	b, err := message.AppendTable(nil, fields)
	if err != nil {
		t.Fatal(err)
	}
	return string(b[4:]) // AMQPLAIN drops the table's size
}

func TestLoginMechanisms(t *testing.T) {
	u := Default()
	cases := []struct {
		mech, resp string
		want       error
	}{
		{PLAIN, "\x00guest\x00guest", nil},
		{PLAIN, "authz\x00guest\x00guest", nil},
		{PLAIN, "\x00guest\x00nope", ErrInvalidCredentials},
		{PLAIN, "guest guest", ErrBadResponse},
		{AMQPLAIN, amqplain(t, message.Table{{Key: "LOGIN", Value: "guest"}, {Key: "PASSWORD", Value: "guest"}}), nil},
		{AMQPLAIN, amqplain(t, message.Table{{Key: "LOGIN", Value: "guest"}, {Key: "PASSWORD", Value: "x"}}), ErrInvalidCredentials},
		{AMQPLAIN, amqplain(t, message.Table{{Key: "LOGIN", Value: "guest"}}), ErrBadResponse},
		{AMQPLAIN, "\x05LOGIN", ErrBadResponse},
		{"EXTERNAL", "", ErrUnknownMechanism},
	}
	for _, c := range cases {
		name, err := u.Login(c.mech, c.resp, loopback)
		if c.want == nil {
			if err != nil || name != "guest" {
				t.Errorf("Login(%s, %q) = %q, %v", c.mech, c.resp, name, err)
			}
			continue
		}
		if !errors.Is(err, c.want) {
			t.Errorf("Login(%s, %q) err = %v, want %v", c.mech, c.resp, err, c.want)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	cases := []struct {
		addr net.Addr
		want bool
	}{
		{loopback, true}, {remote, false}, {nil, false},
		{&net.UnixAddr{Name: "/tmp/s", Net: "unix"}, true},
		{&net.TCPAddr{IP: net.ParseIP("::1")}, true},
		{&net.TCPAddr{IP: net.ParseIP("127.8.9.10")}, true},
	}
	for _, c := range cases {
		if got := IsLoopback(c.addr); got != c.want {
			t.Errorf("IsLoopback(%v) = %v, want %v", c.addr, got, c.want)
		}
	}
}
