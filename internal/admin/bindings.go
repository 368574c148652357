package admin

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/ferrymq/ferry/internal/broker"
	"github.com/ferrymq/ferry/internal/message"
)

// bindingJSON is a binding as /api/bindings shows it. properties_key
// names it in DELETE paths: the routing key alone when it has no
// arguments (as RabbitMQ), else the key, "~" and a hash of the
// arguments.
type bindingJSON struct {
	Source          string         `json:"source"`
	VHost           string         `json:"vhost"`
	Destination     string         `json:"destination"`
	DestinationType string         `json:"destination_type"`
	RoutingKey      string         `json:"routing_key"`
	Arguments       map[string]any `json:"arguments"`
	PropertiesKey   string         `json:"properties_key"`
}

func bindingOf(b broker.BindingInfo) bindingJSON {
	return bindingJSON{Source: b.Source, VHost: b.VHost, Destination: b.Destination, DestinationType: b.DestinationType,
		RoutingKey: b.Key, Arguments: tableJSON(b.Args), PropertiesKey: propertiesKey(b.Key, b.Args)}
}

func propertiesKey(key string, args message.Table) string {
	if len(args) == 0 {
		return key
	}
	j, _ := json.Marshal(tableJSON(args)) // maps marshal with sorted keys
	h := sha256.Sum256(j)
	return key + "~" + base64.RawURLEncoding.EncodeToString(h[:9])
}

func (s *Server) listBindings(w http.ResponseWriter, _ *http.Request, p params) {
	vhosts := s.broker.VHosts()
	if vh, ok := p.vars["vhost"]; ok {
		if !s.vhostExists(w, vh) {
			return
		}
		vhosts = []string{vh}
	}
	out := []bindingJSON{}
	for _, vh := range vhosts {
		for _, b := range s.broker.Bindings(vh) {
			out = append(out, bindingOf(b))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// queueBindings lists the bindings from exchange e to queue q.
func (s *Server) queueBindings(vhost, e, q string) []bindingJSON {
	out := []bindingJSON{}
	for _, b := range s.broker.Bindings(vhost) {
		if b.Source == e && b.Destination == q && b.DestinationType == broker.DestinationQueue {
			out = append(out, bindingOf(b))
		}
	}
	return out
}

func (s *Server) getQueueBindings(w http.ResponseWriter, _ *http.Request, p params) {
	vh := p.get("vhost")
	if _, err := s.broker.QueueInfo(vh, p.get("queue")); err != nil {
		writeBrokerError(w, err)
		return
	}
	if _, ok := s.findExchange(vh, p.get("exchange")); !ok {
		writeError(w, http.StatusNotFound, "Object Not Found", "no exchange '"+p.get("exchange")+"' in vhost '"+vh+"'")
		return
	}
	writeJSON(w, http.StatusOK, s.queueBindings(vh, p.get("exchange"), p.get("queue")))
}

// postQueueBinding binds a queue: 201 with Location naming the binding.
func (s *Server) postQueueBinding(w http.ResponseWriter, r *http.Request, p params) {
	var body struct {
		RoutingKey string         `json:"routing_key"`
		Arguments  map[string]any `json:"arguments"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	args, err := jsonTable(body.Arguments)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	vh, e, q := p.get("vhost"), p.get("exchange"), p.get("queue")
	if err := s.broker.BindQueue(vh, q, e, body.RoutingKey, args); err != nil {
		writeBrokerError(w, err)
		return
	}
	w.Header().Set("Location", url.PathEscape(propertiesKey(body.RoutingKey, args)))
	w.WriteHeader(http.StatusCreated)
}

// deleteQueueBinding removes the binding named by its properties_key.
func (s *Server) deleteQueueBinding(w http.ResponseWriter, _ *http.Request, p params) {
	vh, e, q := p.get("vhost"), p.get("exchange"), p.get("queue")
	for _, b := range s.broker.Bindings(vh) {
		if b.Source == e && b.Destination == q && b.DestinationType == broker.DestinationQueue && propertiesKey(b.Key, b.Args) == p.get("props") {
			if err := s.broker.UnbindQueue(vh, q, e, b.Key, b.Args); err != nil {
				writeBrokerError(w, err)
				return
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	writeError(w, http.StatusNotFound, "Object Not Found",
		"no binding '"+p.get("props")+"' from exchange '"+e+"' to queue '"+q+"' in vhost '"+vh+"' (the name is the properties_key GET lists)")
}
