package admin

import (
	"net/http"
	"slices"

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

// putPolicy adds or replaces a policy and applies the whole set live
// (broker.SetPolicies); a set the broker refuses changes nothing (400).
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
	created, err := s.upsertPolicies([]broker.Policy{np})
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	s.logger.Info("policy set", "vhost", np.VHost, "policy", np.Name, "pattern", np.Pattern)
	if created > 0 {
		w.WriteHeader(http.StatusCreated)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// upsertPolicies adds or replaces ps (by vhost and name) in the broker's
// set, and reports how many were new.
func (s *Server) upsertPolicies(ps []broker.Policy) (created int, err error) {
	s.policy.Lock()
	defer s.policy.Unlock()
	all := s.broker.Policies()
	for _, np := range ps {
		i := slices.IndexFunc(all, func(o broker.Policy) bool { return o.VHost == np.VHost && o.Name == np.Name })
		if i >= 0 {
			all[i] = np
		} else {
			all = append(all, np)
			created++
		}
	}
	return created, s.broker.SetPolicies(all)
}

func (s *Server) deletePolicy(w http.ResponseWriter, _ *http.Request, p params) {
	s.policy.Lock()
	defer s.policy.Unlock()
	all := s.broker.Policies()
	i := slices.IndexFunc(all, func(o broker.Policy) bool { return o.VHost == p.get("vhost") && o.Name == p.get("name") })
	if i < 0 {
		writeError(w, http.StatusNotFound, "Object Not Found", "no policy '"+p.get("name")+"' in vhost '"+p.get("vhost")+"'")
		return
	}
	if err := s.broker.SetPolicies(slices.Delete(all, i, i+1)); err != nil {
		writeError(w, http.StatusInternalServerError, "internal_error", err.Error())
		return
	}
	s.logger.Info("policy deleted", "vhost", p.get("vhost"), "policy", p.get("name"))
	w.WriteHeader(http.StatusNoContent)
}
