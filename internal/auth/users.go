package auth

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
)

// Errors of Authenticate and Login. Every credential failure wraps
// ErrInvalidCredentials, which is all a client should be told.
var (
	ErrInvalidCredentials = errors.New("auth: invalid credentials")
	ErrLoopbackOnly       = fmt.Errorf("%w: user may only connect from a loopback address", ErrInvalidCredentials)
	ErrUnknownUser        = errors.New("auth: no such user")
)

// DefaultUser and DefaultPassword are the credentials a new node accepts
// from loopback addresses.
const (
	DefaultUser     = "guest"
	DefaultPassword = "guest"
	DefaultVHost    = "/"
)

// UserOptions describe a user besides its password.
type UserOptions struct {
	// VHosts the user may open connections to.
	VHosts []string
	// LoopbackOnly users are refused unless they connect from a loopback
	// address (RabbitMQ's loopback_users).
	LoopbackOnly bool
	// Tags are free-form roles ("administrator", "monitoring"), kept for
	// the admin front end.
	Tags []string
}

// User describes a user, without its password hash.
type User struct {
	Name         string
	VHosts       []string // sorted
	LoopbackOnly bool
	Tags         []string
}

// Users is the user database. Safe for concurrent use.
type Users struct {
	mu    sync.RWMutex
	users map[string]*user // guarded by mu; a *user is immutable once stored
	dummy string           // a hash to check unknown users against; set once
}

type user struct {
	hash         string
	vhosts       map[string]bool
	loopbackOnly bool
	tags         []string
}

// NewUsers returns an empty user database: nobody can log in.
func NewUsers() *Users {
	return &Users{users: map[string]*user{}, dummy: HashPassword("")}
}

// Default returns the database a new node starts with: guest/guest on
// vhost "/", from loopback addresses only.
func Default() *Users {
	u := NewUsers()
	u.setLocked(DefaultUser, HashPassword(DefaultPassword),
		UserOptions{VHosts: []string{DefaultVHost}, LoopbackOnly: true, Tags: []string{"administrator"}})
	return u
}

// Add creates or replaces user name with password.
func (u *Users) Add(name, password string, o UserOptions) error {
	return u.AddHashed(name, HashPassword(password), o)
}

// AddHashed creates or replaces user name with a hash made by
// HashPassword (or RabbitMQ's SHA-256 scheme), for definitions loaded
// from disk.
func (u *Users) AddHashed(name, hash string, o UserOptions) error {
	if name == "" {
		return errors.New("auth: add user: empty name")
	}
	if _, err := decodeHash(hash); err != nil {
		return fmt.Errorf("auth: add user %q: %w", name, err)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.setLocked(name, hash, o)
	return nil
}

// setLocked stores a new *user for name. u.mu held (or u unpublished).
func (u *Users) setLocked(name, hash string, o UserOptions) {
	vh := make(map[string]bool, len(o.VHosts))
	for _, v := range o.VHosts {
		vh[v] = true
	}
	u.users[name] = &user{hash: hash, vhosts: vh, loopbackOnly: o.LoopbackOnly, tags: slices.Clone(o.Tags)}
}

// Delete removes user name and reports whether it existed.
func (u *Users) Delete(name string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	_, ok := u.users[name]
	delete(u.users, name)
	return ok
}

// Grant lets user name open connections to vhost.
func (u *Users) Grant(name, vhost string) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	old := u.users[name]
	if old == nil {
		return fmt.Errorf("auth: grant %q on vhost %q: %w", name, vhost, ErrUnknownUser)
	}
	nu := *old
	nu.vhosts = make(map[string]bool, len(old.vhosts)+1)
	for v := range old.vhosts {
		nu.vhosts[v] = true
	}
	nu.vhosts[vhost] = true
	u.users[name] = &nu
	return nil
}

// Lookup describes user name.
func (u *Users) Lookup(name string) (User, bool) {
	u.mu.RLock()
	us := u.users[name]
	u.mu.RUnlock()
	if us == nil {
		return User{}, false
	}
	out := User{Name: name, LoopbackOnly: us.loopbackOnly, Tags: slices.Clone(us.tags)}
	for v := range us.vhosts {
		out.VHosts = append(out.VHosts, v)
	}
	slices.Sort(out.VHosts)
	return out, true
}

// Names lists the users, sorted.
func (u *Users) Names() []string {
	u.mu.RLock()
	defer u.mu.RUnlock()
	out := make([]string, 0, len(u.users))
	for n := range u.users {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Authenticate checks name and password for a client connecting from
// remote (nil when unknown, which is not loopback). The error wraps
// ErrInvalidCredentials; its text says why, for the server's log.
func (u *Users) Authenticate(name, password string, remote net.Addr) error {
	u.mu.RLock()
	us := u.users[name]
	u.mu.RUnlock()
	hash := u.dummy
	if us != nil {
		hash = us.hash
	}
	ok, err := CheckPassword(hash, password) // hashed even for unknown users
	switch {
	case err != nil:
		return fmt.Errorf("%w: user %q: %v", ErrInvalidCredentials, name, err)
	case us == nil:
		return fmt.Errorf("%w: no user %q", ErrInvalidCredentials, name)
	case !ok:
		return fmt.Errorf("%w: wrong password for user %q", ErrInvalidCredentials, name)
	case us.loopbackOnly && !IsLoopback(remote):
		return fmt.Errorf("user %q from %v: %w", name, remote, ErrLoopbackOnly)
	}
	return nil
}

// CanAccess reports whether user name may use vhost.
func (u *Users) CanAccess(name, vhost string) bool {
	u.mu.RLock()
	defer u.mu.RUnlock()
	us := u.users[name]
	return us != nil && us.vhosts[vhost]
}

// IsLoopback reports whether addr is a loopback address or a local
// socket. nil is not.
func IsLoopback(addr net.Addr) bool {
	switch a := addr.(type) {
	case *net.TCPAddr:
		return a.IP.IsLoopback()
	case *net.UDPAddr:
		return a.IP.IsLoopback()
	case *net.UnixAddr:
		return true
	case nil:
		return false
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
