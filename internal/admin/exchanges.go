package admin

import (
	"net/http"

	"github.com/ferrymq/ferry/internal/broker"
)

// exchangeJSON is an exchange as /api/exchanges shows it; the default
// exchange is named "" as in RabbitMQ.
type exchangeJSON struct {
	Name       string         `json:"name"`
	VHost      string         `json:"vhost"`
	Type       string         `json:"type"`
	Durable    bool           `json:"durable"`
	AutoDelete bool           `json:"auto_delete"`
	Internal   bool           `json:"internal"`
	Arguments  map[string]any `json:"arguments"`
	// Policy names the policy in force, if any (one with apply-to
	// exchanges or all may name an alternate exchange); definitions
	// exports leave it out, as RabbitMQ's do.
	Policy *string `json:"policy,omitempty"`
}

func exchangeOf(x broker.ExchangeInfo) exchangeJSON {
	return exchangeJSON{Name: x.Name, VHost: x.VHost, Type: x.Kind, Durable: x.Durable, AutoDelete: x.AutoDelete,
		Internal: x.Internal, Arguments: tableJSON(x.Args)}
}

// exchangeOf is exchangeOf with the policy in force.
func (s *Server) exchangeOf(x broker.ExchangeInfo) exchangeJSON {
	out := exchangeOf(x)
	if x.Name != "" {
		if pol, ok := s.broker.ExchangePolicyOf(x.VHost, x.Name); ok {
			out.Policy = &pol.Name
		}
	}
	return out
}

func (s *Server) listExchanges(w http.ResponseWriter, _ *http.Request, p params) {
	vhosts := s.broker.VHosts()
	if vh, ok := p.vars["vhost"]; ok {
		if !s.vhostExists(w, vh) {
			return
		}
		vhosts = []string{vh}
	}
	out := []exchangeJSON{}
	for _, vh := range vhosts {
		for _, x := range s.broker.Exchanges(vh) {
			out = append(out, s.exchangeOf(x))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) findExchange(vhost, name string) (broker.ExchangeInfo, bool) {
	for _, x := range s.broker.Exchanges(vhost) {
		if x.Name == name {
			return x, true
		}
	}
	return broker.ExchangeInfo{}, false
}

func (s *Server) getExchange(w http.ResponseWriter, _ *http.Request, p params) {
	if !s.vhostExists(w, p.get("vhost")) {
		return
	}
	x, ok := s.findExchange(p.get("vhost"), p.get("name"))
	if !ok {
		writeError(w, http.StatusNotFound, "Object Not Found", "no exchange '"+p.get("name")+"' in vhost '"+p.get("vhost")+"'")
		return
	}
	writeJSON(w, http.StatusOK, s.exchangeOf(x))
}

// putExchange declares an exchange: 201 when created, 204 when it
// existed alike.
func (s *Server) putExchange(w http.ResponseWriter, r *http.Request, p params) {
	var body struct {
		Type       string         `json:"type"`
		Durable    *bool          `json:"durable"`
		AutoDelete bool           `json:"auto_delete"`
		Internal   bool           `json:"internal"`
		Arguments  map[string]any `json:"arguments"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	if body.Type == "" {
		writeError(w, http.StatusBadRequest, "bad_request", "type is required: direct, fanout, topic or headers")
		return
	}
	args, err := jsonTable(body.Arguments)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	vh, name := p.get("vhost"), p.get("name")
	_, existed := s.findExchange(vh, name)
	o := broker.ExchangeOptions{Kind: body.Type, Durable: body.Durable == nil || *body.Durable, AutoDelete: body.AutoDelete, Internal: body.Internal, Args: args}
	if err := s.broker.DeclareExchange(vh, name, o); err != nil {
		writeBrokerError(w, err)
		return
	}
	if existed {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

func (s *Server) deleteExchange(w http.ResponseWriter, r *http.Request, p params) {
	if err := s.broker.DeleteExchange(p.get("vhost"), p.get("name"), boolParam(r, "if-unused")); err != nil {
		writeBrokerError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
