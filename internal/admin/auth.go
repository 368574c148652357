package admin

import (
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
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

// The management tags, as RabbitMQ's management plugin reads them. A
// user with none of them may use AMQP but not this API.
const (
	tagAdministrator = "administrator"
	tagMonitoring    = "monitoring"
	tagPolicymaker   = "policymaker"
	tagManagement    = "management"
)

// need is what a route asks of the caller's tags.
type need uint8

const (
	needRead   need = iota // any management tag: look at everything in one's vhosts
	needChange             // management, policymaker or administrator: queues, exchanges, bindings, messages
	needPolicy             // policymaker or administrator: policies
	needAdmin              // administrator: vhosts, definitions, closing connections
)

// needOf classifies a route by its method and pattern, so that routes
// added later are covered without a table to keep in step: reads need
// any management tag; changes need a tag that may change, and the
// policy, vhost, definitions and connection routes more.
//
// Ferry follows RabbitMQ's tags (administrator ⊇ policymaker ⊇
// management; administrator ⊇ monitoring ⊇ management) with one
// difference: monitoring reads everything but changes nothing (in
// RabbitMQ it may also do what a management user may), so that an
// account for dashboards and exporters cannot alter the node. Vhost
// permissions apply to every tag, as in RabbitMQ; a user's tags grant
// the union of what each grants.
func needOf(method, pattern string) need {
	read := method == http.MethodGet || method == http.MethodHead
	switch {
	case pattern == "/api/definitions":
		return needAdmin // an export is the whole node's configuration, as in RabbitMQ
	case strings.HasPrefix(pattern, "/api/vhosts/") && !read,
		strings.HasPrefix(pattern, "/api/connections/") && !read:
		return needAdmin
	case strings.HasPrefix(pattern, "/api/policies/") && !read:
		return needPolicy
	case read:
		return needRead
	}
	return needChange
}

// grants reports whether tags meet n.
func grants(tags []string, n need) bool {
	has := func(t string) bool { return slices.Contains(tags, t) }
	admin := has(tagAdministrator)
	switch n {
	case needAdmin:
		return admin
	case needPolicy:
		return admin || has(tagPolicymaker)
	case needChange:
		return admin || has(tagPolicymaker) || has(tagManagement)
	}
	return admin || has(tagPolicymaker) || has(tagManagement) || has(tagMonitoring)
}

// authorize checks user's tags against the route of method and pattern.
// As RabbitMQ, a refusal is 401 not_authorised with a reason naming what
// the user lacks ("Not management user" for one without any management
// tag), and no WWW-Authenticate: the credentials were good.
func (s *Server) authorize(w http.ResponseWriter, method, pattern, user string) bool {
	u, _ := s.users.Lookup(user)
	n := needOf(method, pattern)
	if grants(u.Tags, n) {
		return true
	}
	reason := "Not management user"
	if grants(u.Tags, needRead) {
		switch n {
		case needAdmin:
			reason = "Not administrator user"
		case needPolicy:
			reason = "Not policymaker user: policies need the policymaker or administrator tag"
		case needChange:
			reason = "Not management user: the monitoring tag may read but not change; changes need management, policymaker or administrator"
		}
	}
	s.logger.Warn("admin request refused by tags", "user", user, "method", method, "route", pattern, "tags", u.Tags)
	writeError(w, http.StatusUnauthorized, "not_authorised", reason)
	return false
}
