package admin

import (
	"net"
	"net/http"
	"net/netip"
)

// authenticate checks the request's HTTP basic credentials against the
// broker's users, from the client's address (guest only from loopback,
// as over AMQP). On failure it answers 401 with WWW-Authenticate, as
// RabbitMQ does, and reports false.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (string, bool) {
	name, pass, ok := r.BasicAuth()
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="Ferry Management"`)
		writeError(w, http.StatusUnauthorized, "not_authorised", "Not_Authorized")
		return "", false
	}
	if err := s.users.Authenticate(name, pass, remoteAddr(r)); err != nil {
		s.logger.Warn("admin login refused", "user", name, "remote", r.RemoteAddr, "err", err)
		w.Header().Set("WWW-Authenticate", `Basic realm="Ferry Management"`)
		writeError(w, http.StatusUnauthorized, "not_authorised", "Login failed")
		return "", false
	}
	return name, true
}

// remoteAddr is the client's address as a net.Addr, or nil if
// RemoteAddr does not parse (then it is not loopback).
func remoteAddr(r *http.Request) net.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return nil
	}
	return net.TCPAddrFromAddrPort(ap)
}

// whoami answers GET /api/whoami.
func (s *Server) whoami(w http.ResponseWriter, _ *http.Request, p params) {
	u, _ := s.users.Lookup(p.user)
	tags := u.Tags
	if tags == nil {
		tags = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": p.user, "tags": tags})
}
