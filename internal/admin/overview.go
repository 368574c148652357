package admin

import (
	"net"
	"net/http"
	"time"

	"github.com/ferrymq/ferry/internal/broker"
	"github.com/ferrymq/ferry/internal/message"
	"github.com/ferrymq/ferry/internal/queue"
)

// rabbitmqVersion is the RabbitMQ release whose management API shapes
// Ferry follows; tools that check rabbitmq_version see it.
const rabbitmqVersion = "3.13.0"

type queueTotals struct {
	Messages                      int      `json:"messages"`
	MessagesDetails               rateJSON `json:"messages_details"`
	MessagesReady                 int      `json:"messages_ready"`
	MessagesReadyDetails          rateJSON `json:"messages_ready_details"`
	MessagesUnacknowledged        int      `json:"messages_unacknowledged"`
	MessagesUnacknowledgedDetails rateJSON `json:"messages_unacknowledged_details"`
}

type objectTotals struct {
	Connections int `json:"connections"`
	Channels    int `json:"channels"`
	Consumers   int `json:"consumers"`
	Exchanges   int `json:"exchanges"`
	Queues      int `json:"queues"`
}

// overview answers GET /api/overview.
func (s *Server) overview(w http.ResponseWriter, _ *http.Request, _ params) {
	var qt queueTotals
	var ot objectTotals
	var ms messageStats
	for _, vh := range s.broker.VHosts() {
		for _, q := range s.broker.Queues(vh) {
			st := q.Stats
			qt.Messages += st.Ready + st.Unacked
			qt.MessagesReady += st.Ready
			qt.MessagesUnacknowledged += st.Unacked
			ot.Queues++
			ot.Consumers += st.Consumers
			r := s.rates.of(vh, q.Name)
			qt.MessagesDetails.Rate += r.depth
			ms.add(st, r)
		}
		ot.Exchanges += len(s.broker.Exchanges(vh))
	}
	if s.amqp != nil {
		st := s.amqp.Stats()
		ot.Connections, ot.Channels = int(st.Connections), int(st.Channels)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"management_version":        s.cfg.Version,
		"product_name":              "Ferry",
		"product_version":           s.cfg.Version,
		"rabbitmq_version":          rabbitmqVersion,
		"cluster_name":              nodeName,
		"node":                      nodeName,
		"message_stats":             ms,
		"queue_totals":              qt,
		"object_totals":             ot,
		"statistics_db_event_queue": 0,
		"sample_interval_seconds":   SampleInterval.Seconds(),
		"ferry_store":               s.storeOverview(),
		"listeners":                 s.listenersJSON(),
	})
}

// listenerJSON is one entry of RabbitMQ's overview "listeners".
type listenerJSON struct {
	Node      string `json:"node"`
	Protocol  string `json:"protocol"`
	IPAddress string `json:"ip_address"`
	Port      int    `json:"port"`
}

// listenersJSON lists Config.Listeners that are bound, in their order;
// an empty list (never null) when there is no such function.
func (s *Server) listenersJSON() []listenerJSON {
	out := []listenerJSON{}
	if s.cfg.Listeners == nil {
		return out
	}
	for _, l := range s.cfg.Listeners() {
		j := listenerJSON{Node: nodeName, Protocol: l.Protocol}
		if ta, ok := l.Addr.(*net.TCPAddr); ok {
			j.IPAddress, j.Port = ta.IP.String(), ta.Port
		} else if l.Addr != nil {
			j.IPAddress = l.Addr.String()
		} else {
			continue
		}
		out = append(out, j)
	}
	return out
}

// vhostJSON is a vhost as /api/vhosts shows it.
type vhostJSON struct {
	Name                   string `json:"name"`
	Description            string `json:"description"`
	Tracing                bool   `json:"tracing"`
	Messages               int    `json:"messages"`
	MessagesReady          int    `json:"messages_ready"`
	MessagesUnacknowledged int    `json:"messages_unacknowledged"`
}

func (s *Server) vhostJSON(name string) vhostJSON {
	v := vhostJSON{Name: name}
	for _, q := range s.broker.Queues(name) {
		v.Messages += q.Stats.Ready + q.Stats.Unacked
		v.MessagesReady += q.Stats.Ready
		v.MessagesUnacknowledged += q.Stats.Unacked
	}
	return v
}

func (s *Server) listVHosts(w http.ResponseWriter, _ *http.Request, _ params) {
	out := []vhostJSON{}
	for _, vh := range s.broker.VHosts() {
		out = append(out, s.vhostJSON(vh))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getVHost(w http.ResponseWriter, _ *http.Request, p params) {
	if !s.vhostExists(w, p.get("vhost")) {
		return
	}
	writeJSON(w, http.StatusOK, s.vhostJSON(p.get("vhost")))
}

// putVHost creates a vhost: 201, or 204 if it existed. The user who
// created it is granted it.
func (s *Server) putVHost(w http.ResponseWriter, r *http.Request, p params) {
	var body struct {
		Description string `json:"description"`
		Tracing     bool   `json:"tracing"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	name := p.get("vhost")
	existed := false
	for _, v := range s.broker.VHosts() {
		existed = existed || v == name
	}
	if err := s.broker.AddVHost(name); err != nil {
		writeBrokerError(w, err)
		return
	}
	// As RabbitMQ, the creator may use the new vhost.
	s.users.Grant(p.user, name)
	if existed {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

func (s *Server) deleteVHost(w http.ResponseWriter, _ *http.Request, p params) {
	if err := s.broker.DeleteVHost(p.get("vhost")); err != nil {
		writeBrokerError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// alivenessOwner leases aliveness-test messages apart from front ends.
const alivenessOwner queue.Owner = 1<<62 - 1

// aliveness answers GET /api/aliveness-test/{vhost} as RabbitMQ does:
// it declares the queue aliveness-test, publishes a message to it and
// gets it back.
func (s *Server) aliveness(w http.ResponseWriter, _ *http.Request, p params) {
	vh := p.get("vhost")
	q, _, err := s.broker.DeclareQueue(vh, "aliveness-test", broker.QueueOptions{})
	if err != nil {
		writeBrokerError(w, err)
		return
	}
	stored := make(chan error, 1)
	m := &message.Message{RoutingKey: "aliveness-test", Body: []byte("test_message")}
	if err := s.broker.Publish(vh, "aliveness-test", m, func(err error) { stored <- err }); err != nil {
		writeBrokerError(w, err)
		return
	}
	select {
	case err = <-stored:
	case <-time.After(10 * time.Second):
		writeError(w, http.StatusServiceUnavailable, "failed", "the test message was not stored within 10s")
		return
	}
	if err != nil {
		writeBrokerError(w, err)
		return
	}
	if _, ok, err := q.Get(alivenessOwner, true, s.broker.Now()); err != nil || !ok {
		writeError(w, http.StatusServiceUnavailable, "failed", "the test message did not come back")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
