package admin

import (
	"log/slog"
	"net/http"

	"github.com/ferrymq/ferry/internal/broker"
)

// policyJSON is a policy as /api/policies shows it. A policy from the
// policies file that applies to every vhost shows vhost "".
type policyJSON struct {
	VHost      string         `json:"vhost"`
	Name       string         `json:"name"`
	Pattern    string         `json:"pattern"`
	ApplyTo    string         `json:"apply-to"`
	Definition map[string]any `json:"definition"`
	Priority   int            `json:"priority"`
}

func policyOf(p broker.Policy) policyJSON {
	apply := p.ApplyTo
	if apply == "" {
		apply = "all"
	}
	return policyJSON{VHost: p.VHost, Name: p.Name, Pattern: p.Pattern, ApplyTo: apply, Definition: argsJSON(p.Definition), Priority: p.Priority}
}

func (s *Server) listPolicies(w http.ResponseWriter, _ *http.Request, p params) {
	vh, one := p.vars["vhost"]
	if one && !s.vhostExists(w, vh) {
		return
	}
	out := []policyJSON{}
	for _, pol := range s.broker.Policies() {
		if !one || pol.VHost == vh {
			out = append(out, policyOf(pol))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getPolicy(w http.ResponseWriter, _ *http.Request, p params) {
	for _, pol := range s.broker.Policies() {
		if pol.VHost == p.get("vhost") && pol.Name == p.get("name") {
			writeJSON(w, http.StatusOK, policyOf(pol))
			return
		}
	}
	writeError(w, http.StatusNotFound, "Object Not Found", "no policy '"+p.get("name")+"' in vhost '"+p.get("vhost")+"'")
}

// putPolicy adds or replaces a policy and applies it live; the broker
// keeps it in meta, so it survives a restart (broker.PutPolicy). A
// policy the broker refuses changes nothing (400; 404 for a missing
// vhost). Each change is logged with who made it and what it is.
func (s *Server) putPolicy(w http.ResponseWriter, r *http.Request, p params) {
	var body struct {
		Pattern    string         `json:"pattern"`
		Definition map[string]any `json:"definition"`
		Priority   int            `json:"priority"`
		ApplyTo    string         `json:"apply-to"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	if !s.vhostExists(w, p.get("vhost")) {
		return
	}
	def, err := jsonArgs(body.Definition)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	if body.Pattern == "" || len(def) == 0 {
		writeError(w, http.StatusBadRequest, "bad_request", "a policy needs a pattern and a non-empty definition")
		return
	}
	np := broker.Policy{Name: p.get("name"), VHost: p.get("vhost"), Pattern: body.Pattern, ApplyTo: body.ApplyTo, Priority: body.Priority, Definition: def}
	created, err := s.broker.PutPolicy(np)
	if err != nil {
		writeBrokerError(w, err)
		return
	}
	s.logPolicy("policy set", p.user, np, created)
	if created {
		w.WriteHeader(http.StatusCreated)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// logPolicy writes the one line per policy change: who, and what.
func (s *Server) logPolicy(msg, user string, p broker.Policy, created bool) {
	s.logger.Info(msg, slog.String("user", user), slog.String("vhost", p.VHost), slog.String("policy", p.Name),
		slog.String("pattern", p.Pattern), slog.String("apply-to", p.ApplyTo), slog.Int("priority", p.Priority),
		slog.Any("definition", p.Definition), slog.Bool("created", created))
}

func (s *Server) deletePolicy(w http.ResponseWriter, _ *http.Request, p params) {
	if err := s.broker.DeletePolicy(p.get("vhost"), p.get("name")); err != nil {
		writeBrokerError(w, err)
		return
	}
	s.logger.Info("policy deleted", slog.String("user", p.user), slog.String("vhost", p.get("vhost")), slog.String("policy", p.get("name")))
	w.WriteHeader(http.StatusNoContent)
}

// fileOwned reports whether the policies file holds a policy of p's
// name for p's vhost (or for every vhost).
func (s *Server) fileOwned(p broker.Policy) bool {
	for _, o := range s.broker.Policies() {
		if !o.API && o.Name == p.Name && (o.VHost == p.VHost || o.VHost == "") {
			return true
		}
	}
	return false
}
