package admin

import (
	"net/http"
	"os"

	"github.com/ferrymq/ferry/internal/broker"
	"github.com/ferrymq/ferry/internal/queue"
)

// nodeName names this node as RabbitMQ names its nodes.
var nodeName = func() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "localhost"
	}
	return "ferry@" + h
}()

type rateJSON struct {
	Rate float64 `json:"rate"`
}

// messageStats is RabbitMQ's message_stats object.
type messageStats struct {
	Publish           uint64   `json:"publish"`
	PublishDetails    rateJSON `json:"publish_details"`
	DeliverGet        uint64   `json:"deliver_get"`
	DeliverGetDetails rateJSON `json:"deliver_get_details"`
	Ack               uint64   `json:"ack"`
	AckDetails        rateJSON `json:"ack_details"`
	Redeliver         uint64   `json:"redeliver"`
	RedeliverDetails  rateJSON `json:"redeliver_details"`
}

func (m *messageStats) add(st queue.Stats, r rates) {
	m.Publish += st.Published
	m.PublishDetails.Rate += r.published
	m.DeliverGet += st.Delivered
	m.DeliverGetDetails.Rate += r.delivered
	m.Ack += st.Acked
	m.AckDetails.Rate += r.acked
	m.Redeliver += st.Redelivered
	m.RedeliverDetails.Rate += r.redeliver
}

// ferryQueueJSON holds what Ferry's queues have beyond RabbitMQ's.
type ferryQueueJSON struct {
	MessagesDelayed         int               `json:"messages_delayed"`
	MessagesDead            int               `json:"messages_dead"`
	OldestMessageAgeSeconds float64           `json:"oldest_message_age_seconds"`
	BlockedGroups           int               `json:"blocked_groups"`
	Rejected                uint64            `json:"rejected"`
	Requeued                uint64            `json:"requeued"`
	Expired                 uint64            `json:"expired"`
	Deduplicated            uint64            `json:"deduplicated"`
	DeadLettered            map[string]uint64 `json:"dead_lettered"`
	Error                   string            `json:"error,omitempty"`
}

// queueJSON is a queue as RabbitMQ's /api/queues shows it.
type queueJSON struct {
	Name                       string         `json:"name"`
	VHost                      string         `json:"vhost"`
	Durable                    bool           `json:"durable"`
	AutoDelete                 bool           `json:"auto_delete"`
	Exclusive                  bool           `json:"exclusive"`
	Arguments                  map[string]any `json:"arguments"`
	Node                       string         `json:"node"`
	State                      string         `json:"state"`
	Type                       string         `json:"type"`
	Messages                   int            `json:"messages"`
	MessagesDetails            rateJSON       `json:"messages_details"`
	MessagesReady              int            `json:"messages_ready"`
	MessagesUnacknowledged     int            `json:"messages_unacknowledged"`
	MessageBytes               int64          `json:"message_bytes"`
	MessageBytesReady          int64          `json:"message_bytes_ready"`
	MessageBytesUnacknowledged int64          `json:"message_bytes_unacknowledged"`
	Consumers                  int            `json:"consumers"`
	MessageStats               messageStats   `json:"message_stats"`
	// Policy names the policy in force (null for none), with its
	// definition, as RabbitMQ shows them.
	Policy                    *string        `json:"policy"`
	EffectivePolicyDefinition map[string]any `json:"effective_policy_definition"`
	Ferry                     ferryQueueJSON `json:"ferry"`
}

func (s *Server) queueJSON(in broker.QueueInfo) queueJSON {
	st := in.Stats
	r := s.rates.of(in.VHost, in.Name)
	q := queueJSON{
		Name: in.Name, VHost: in.VHost, Durable: in.Durable, AutoDelete: in.AutoDelete, Exclusive: in.Exclusive,
		Arguments: argsJSON(in.Args), Node: nodeName, State: "running", Type: "classic",
		Messages: st.Ready + st.Unacked, MessagesDetails: rateJSON{r.depth},
		MessagesReady: st.Ready, MessagesUnacknowledged: st.Unacked,
		MessageBytes: st.ReadyBytes + st.UnackedBytes, MessageBytesReady: st.ReadyBytes, MessageBytesUnacknowledged: st.UnackedBytes,
		Consumers: st.Consumers,
		Ferry: ferryQueueJSON{
			MessagesDelayed: st.Delayed, MessagesDead: st.Dead, OldestMessageAgeSeconds: st.OldestReadyAge.Seconds(),
			BlockedGroups: st.BlockedGroups, Rejected: st.Rejected, Requeued: st.Requeued, Expired: st.Expired,
			Deduplicated: st.Deduplicated, DeadLettered: deadLettered(st),
		},
	}
	q.MessageStats.add(st, r)
	q.EffectivePolicyDefinition = map[string]any{}
	if pol, ok := s.broker.PolicyOf(in.VHost, in.Name); ok {
		q.Policy, q.EffectivePolicyDefinition = &pol.Name, argsJSON(pol.Definition)
	}
	if st.Err != nil {
		q.State, q.Ferry.Error = "crashed", st.Err.Error()
	}
	return q
}

func deadLettered(st queue.Stats) map[string]uint64 {
	m := map[string]uint64{}
	for r := queue.ReasonRejected; r <= queue.ReasonDeliveryLimit; r++ {
		m[r.String()] = st.DeadLettered[r]
	}
	return m
}

// listQueues answers GET /api/queues and /api/queues/{vhost}.
func (s *Server) listQueues(w http.ResponseWriter, _ *http.Request, p params) {
	vhosts := s.broker.VHosts()
	if vh, ok := p.vars["vhost"]; ok {
		if !s.vhostExists(w, vh) {
			return
		}
		vhosts = []string{vh}
	}
	out := []queueJSON{}
	for _, vh := range vhosts {
		for _, q := range s.broker.Queues(vh) {
			out = append(out, s.queueJSON(q))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// vhostExists answers 404 and reports false if vhost does not exist.
func (s *Server) vhostExists(w http.ResponseWriter, vhost string) bool {
	for _, v := range s.broker.VHosts() {
		if v == vhost {
			return true
		}
	}
	writeError(w, http.StatusNotFound, "Object Not Found", "no vhost '"+vhost+"'")
	return false
}

func (s *Server) getQueue(w http.ResponseWriter, _ *http.Request, p params) {
	in, err := s.broker.QueueInfo(p.get("vhost"), p.get("name"))
	if err != nil {
		writeBrokerError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.queueJSON(in))
}

// putQueue declares a queue: 201 when created, 204 when it existed
// alike, 400 when it exists otherwise.
func (s *Server) putQueue(w http.ResponseWriter, r *http.Request, p params) {
	var body struct {
		Durable    *bool          `json:"durable"`
		AutoDelete bool           `json:"auto_delete"`
		Arguments  map[string]any `json:"arguments"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	args, err := jsonArgs(body.Arguments)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	durable := body.Durable == nil || *body.Durable // RabbitMQ's default
	_, created, err := s.broker.DeclareQueue(p.get("vhost"), p.get("name"), broker.QueueOptions{Durable: durable, AutoDelete: body.AutoDelete, Args: args})
	if err != nil {
		writeBrokerError(w, err)
		return
	}
	if created {
		w.WriteHeader(http.StatusCreated)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteQueue(w http.ResponseWriter, r *http.Request, p params) {
	_, err := s.broker.DeleteQueue(p.get("vhost"), p.get("name"), boolParam(r, "if-unused"), boolParam(r, "if-empty"))
	if err != nil {
		writeBrokerError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) purgeQueue(w http.ResponseWriter, _ *http.Request, p params) {
	q, err := s.broker.Queue(p.get("vhost"), p.get("name"))
	if err != nil {
		writeBrokerError(w, err)
		return
	}
	if _, err := q.Purge(s.broker.Now()); err != nil {
		writeBrokerError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
