package admin

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/ferrymq/ferry/internal/broker"
)

// definitions is RabbitMQ's definitions document, the parts Ferry keeps:
// vhosts, queues, exchanges, bindings and policies. Users and
// permissions are exported empty and ignored on import.
type definitions struct {
	RabbitVersion   string         `json:"rabbit_version"`
	RabbitMQVersion string         `json:"rabbitmq_version"`
	ProductName     string         `json:"product_name"`
	ProductVersion  string         `json:"product_version"`
	Users           []any          `json:"users"`
	Permissions     []any          `json:"permissions"`
	VHosts          []defVHost     `json:"vhosts"`
	Policies        []policyJSON   `json:"policies"`
	Queues          []defQueue     `json:"queues"`
	Exchanges       []exchangeJSON `json:"exchanges"`
	Bindings        []defBinding   `json:"bindings"`
}

type defVHost struct {
	Name string `json:"name"`
}

type defQueue struct {
	Name       string         `json:"name"`
	VHost      string         `json:"vhost"`
	Durable    bool           `json:"durable"`
	AutoDelete bool           `json:"auto_delete"`
	Arguments  map[string]any `json:"arguments"`
}

type defBinding struct {
	Source          string         `json:"source"`
	VHost           string         `json:"vhost"`
	Destination     string         `json:"destination"`
	DestinationType string         `json:"destination_type"`
	RoutingKey      string         `json:"routing_key"`
	Arguments       map[string]any `json:"arguments"`
}

// exportDefinitions answers GET /api/definitions. Exclusive queues, the
// built-in exchanges and the default exchange's implicit bindings are
// left out, as RabbitMQ leaves them out.
func (s *Server) exportDefinitions(w http.ResponseWriter, _ *http.Request, _ params) {
	d := definitions{
		RabbitVersion: rabbitmqVersion, RabbitMQVersion: rabbitmqVersion, ProductName: "Ferry", ProductVersion: s.cfg.Version,
		Users: []any{}, Permissions: []any{}, VHosts: []defVHost{}, Policies: []policyJSON{},
		Queues: []defQueue{}, Exchanges: []exchangeJSON{}, Bindings: []defBinding{},
	}
	for _, vh := range s.broker.VHosts() {
		d.VHosts = append(d.VHosts, defVHost{vh})
		for _, q := range s.broker.Queues(vh) {
			if q.Exclusive {
				continue
			}
			d.Queues = append(d.Queues, defQueue{Name: q.Name, VHost: vh, Durable: q.Durable, AutoDelete: q.AutoDelete, Arguments: argsJSON(q.Args)})
		}
		for _, x := range s.broker.Exchanges(vh) {
			if x.Name == "" || strings.HasPrefix(x.Name, "amq.") {
				continue
			}
			d.Exchanges = append(d.Exchanges, exchangeOf(x))
		}
		for _, b := range s.broker.Bindings(vh) {
			if b.Source == "" {
				continue
			}
			d.Bindings = append(d.Bindings, defBinding{Source: b.Source, VHost: vh, Destination: b.Destination,
				DestinationType: b.DestinationType, RoutingKey: b.Key, Arguments: tableJSON(b.Args)})
		}
	}
	for _, p := range s.broker.Policies() {
		d.Policies = append(d.Policies, policyOf(p))
	}
	writeJSON(w, http.StatusOK, d)
}

// importDefinitions answers POST /api/definitions: it creates what the
// document holds, in order (vhosts, exchanges, queues, bindings,
// policies), and stops at the first error, reporting which object it
// was; what was created before stays. Existing objects declared alike
// are left as they are.
func (s *Server) importDefinitions(w http.ResponseWriter, r *http.Request, p params) {
	var d definitions
	if !readJSON(w, r, &d) {
		return
	}
	fail := func(what string, err error) {
		var be *broker.Error
		if errors.As(err, &be) {
			writeBrokerError(w, &broker.Error{Code: be.Code, Msg: what, Err: err})
			return
		}
		writeError(w, http.StatusBadRequest, "bad_request", what+": "+err.Error())
	}
	for _, v := range d.VHosts {
		if err := s.broker.AddVHost(v.Name); err != nil {
			fail("vhost '"+v.Name+"'", err)
			return
		}
		s.users.Grant(p.user, v.Name)
	}
	for _, x := range d.Exchanges {
		args, err := jsonTable(x.Arguments)
		if err == nil {
			err = s.broker.DeclareExchange(x.VHost, x.Name, broker.ExchangeOptions{Kind: x.Type, Durable: x.Durable, AutoDelete: x.AutoDelete, Internal: x.Internal, Args: args})
		}
		if err != nil {
			fail("exchange '"+x.Name+"' in vhost '"+x.VHost+"'", err)
			return
		}
	}
	for _, q := range d.Queues {
		args, err := jsonArgs(q.Arguments)
		if err == nil {
			_, _, err = s.broker.DeclareQueue(q.VHost, q.Name, broker.QueueOptions{Durable: q.Durable, AutoDelete: q.AutoDelete, Args: args})
		}
		if err != nil {
			fail("queue '"+q.Name+"' in vhost '"+q.VHost+"'", err)
			return
		}
	}
	for _, b := range d.Bindings {
		args, err := jsonTable(b.Arguments)
		if err == nil {
			if b.DestinationType == broker.DestinationExchange {
				err = s.broker.BindExchange(b.VHost, b.Destination, b.Source, b.RoutingKey, args)
			} else {
				err = s.broker.BindQueue(b.VHost, b.Destination, b.Source, b.RoutingKey, args)
			}
		}
		if err != nil {
			fail("binding of '"+b.Destination+"' to '"+b.Source+"' in vhost '"+b.VHost+"'", err)
			return
		}
	}
	if len(d.Policies) > 0 {
		ps := make([]broker.Policy, 0, len(d.Policies))
		for _, pol := range d.Policies {
			def, err := jsonArgs(pol.Definition)
			if err != nil {
				fail("policy '"+pol.Name+"'", err)
				return
			}
			ps = append(ps, broker.Policy{Name: pol.Name, VHost: pol.VHost, Pattern: pol.Pattern, ApplyTo: pol.ApplyTo, Priority: pol.Priority, Definition: def})
		}
		for _, pol := range ps {
			if s.fileOwned(pol) {
				// The policies file owns it (an export of this node
				// holds it): the file stays its source.
				s.logger.Info("imported policy left to the policies file", slog.String("vhost", pol.VHost), slog.String("policy", pol.Name))
				continue
			}
			created, err := s.broker.PutPolicy(pol)
			if err != nil {
				fail("policy '"+pol.Name+"' in vhost '"+pol.VHost+"'", err)
				return
			}
			s.logPolicy("policy set", p.user, pol, created)
		}
	}
	s.logger.Info("definitions imported", "vhosts", len(d.VHosts), "queues", len(d.Queues), "exchanges", len(d.Exchanges),
		"bindings", len(d.Bindings), "policies", len(d.Policies))
	w.WriteHeader(http.StatusNoContent)
}
