package admin

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/ferrymq/ferry/internal/message"
	"github.com/ferrymq/ferry/internal/queue"
)

// Browse limits: the default page and the largest one.
const (
	defaultBrowseLimit = 100
	maxBrowseLimit     = 1000
)

// messageJSON is a message as Ferry's browse shows it. The field names
// of the message itself (exchange, routing_key, properties, payload,
// payload_encoding, payload_bytes) are those of RabbitMQ's
// /api/queues/{vhost}/{name}/get.
type messageJSON struct {
	ID              uint64         `json:"id"`
	State           string         `json:"state"`
	Deliveries      uint32         `json:"deliveries"`
	Redelivered     bool           `json:"redelivered"`
	Size            int            `json:"size"`
	EnqueuedAt      time.Time      `json:"enqueued_at"`
	DueAt           *time.Time     `json:"due_at,omitempty"`
	ExpiresAt       *time.Time     `json:"expires_at,omitempty"`
	Group           string         `json:"group,omitempty"`
	DeadReason      string         `json:"dead_reason,omitempty"`
	Exchange        string         `json:"exchange"`
	RoutingKey      string         `json:"routing_key"`
	Properties      map[string]any `json:"properties"`
	Payload         string         `json:"payload"`
	PayloadEncoding string         `json:"payload_encoding"` // "string" or "base64"
	PayloadBytes    int            `json:"payload_bytes"`
	XDeath          []any          `json:"x_death"`
	Error           string         `json:"error,omitempty"` // the body could not be read or decoded
}

func messageOf(mi queue.MessageInfo, forceBase64 bool) messageJSON {
	j := messageJSON{
		ID: mi.ID, State: mi.State.String(), Deliveries: mi.Deliveries, Redelivered: mi.Deliveries > 0, Size: mi.Size,
		EnqueuedAt: mi.Enqueued.UTC(), Group: mi.Group, Properties: map[string]any{}, XDeath: []any{},
	}
	if !mi.Due.IsZero() {
		t := mi.Due.UTC()
		j.DueAt = &t
	}
	if !mi.Expires.IsZero() {
		t := mi.Expires.UTC()
		j.ExpiresAt = &t
	}
	if mi.State == queue.StateDead {
		j.DeadReason = mi.Reason.String()
	}
	if mi.Data == nil {
		j.Error = "the body could not be read from the log"
		return j
	}
	m, err := message.Decode(mi.Data)
	if err != nil {
		j.Error = "the message does not decode: " + err.Error()
		return j
	}
	j.Exchange, j.RoutingKey = m.Exchange, m.RoutingKey
	j.Properties = propertiesJSON(&m.Properties)
	j.PayloadBytes = len(m.Body)
	if !forceBase64 && utf8.Valid(m.Body) {
		j.Payload, j.PayloadEncoding = string(m.Body), "string"
	} else {
		j.Payload, j.PayloadEncoding = base64.StdEncoding.EncodeToString(m.Body), "base64"
	}
	if v, ok := m.Properties.Headers.Get("x-death"); ok {
		if a, ok := valueJSON(v).([]any); ok {
			j.XDeath = a
		}
	}
	return j
}

// propertiesJSON lists the properties present, by RabbitMQ's names.
func propertiesJSON(p *message.Properties) map[string]any {
	m := map[string]any{}
	set := func(flag uint16, k string, v any) {
		if p.Has(flag) {
			m[k] = v
		}
	}
	set(message.FlagContentType, "content_type", p.ContentType)
	set(message.FlagContentEncoding, "content_encoding", p.ContentEncoding)
	set(message.FlagHeaders, "headers", tableJSON(p.Headers))
	set(message.FlagDeliveryMode, "delivery_mode", p.DeliveryMode)
	set(message.FlagPriority, "priority", p.Priority)
	set(message.FlagCorrelationID, "correlation_id", p.CorrelationID)
	set(message.FlagReplyTo, "reply_to", p.ReplyTo)
	set(message.FlagExpiration, "expiration", p.Expiration)
	set(message.FlagMessageID, "message_id", p.MessageID)
	set(message.FlagTimestamp, "timestamp", p.Timestamp)
	set(message.FlagType, "type", p.Type)
	set(message.FlagUserID, "user_id", p.UserID)
	set(message.FlagAppID, "app_id", p.AppID)
	set(message.FlagClusterID, "cluster_id", p.ClusterID)
	return m
}

// browse answers GET /api/ferry/queues/{vhost}/{name}/messages: up to
// limit messages with ids above after, whatever their state, without
// taking them. next is the after of the following page (0 at the end).
func (s *Server) browse(w http.ResponseWriter, r *http.Request, p params) {
	q, err := s.broker.Queue(p.get("vhost"), p.get("name"))
	if err != nil {
		writeBrokerError(w, err)
		return
	}
	qs := r.URL.Query()
	var after uint64
	if v := qs.Get("after"); v != "" {
		if after, err = strconv.ParseUint(v, 10, 64); err != nil {
			writeError(w, http.StatusBadRequest, "bad_request", "after must be a message id (an unsigned integer), got '"+v+"'")
			return
		}
	}
	limit := defaultBrowseLimit
	if v := qs.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > maxBrowseLimit {
			writeError(w, http.StatusBadRequest, "bad_request", "limit must be 1 to "+strconv.Itoa(maxBrowseLimit)+", got '"+v+"'")
			return
		}
	}
	force64 := false
	switch e := qs.Get("encoding"); e {
	case "", "auto":
	case "base64":
		force64 = true
	default:
		writeError(w, http.StatusBadRequest, "bad_request", "encoding must be auto or base64, got '"+e+"'")
		return
	}
	list, err := q.Browse(after, limit, true)
	if err != nil {
		writeBrokerError(w, err)
		return
	}
	out := struct {
		Messages []messageJSON `json:"messages"`
		Next     uint64        `json:"next"`
	}{Messages: make([]messageJSON, 0, len(list))}
	for _, mi := range list {
		out.Messages = append(out.Messages, messageOf(mi, force64))
	}
	if len(list) == limit {
		out.Next = list[len(list)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
}

// messageID reads the {id} path parameter; it answers 400 and reports
// false when it is not a number.
func messageID(w http.ResponseWriter, p params) (uint64, bool) {
	id, err := strconv.ParseUint(p.get("id"), 10, 64)
	if err != nil || id == 0 {
		writeError(w, http.StatusBadRequest, "bad_request", "message id must be a positive integer, got '"+p.get("id")+"'")
		return 0, false
	}
	return id, true
}

func (s *Server) getMessage(w http.ResponseWriter, r *http.Request, p params) {
	q, err := s.broker.Queue(p.get("vhost"), p.get("name"))
	if err != nil {
		writeBrokerError(w, err)
		return
	}
	id, ok := messageID(w, p)
	if !ok {
		return
	}
	list, err := q.Browse(id-1, 1, true)
	if err != nil {
		writeBrokerError(w, err)
		return
	}
	if len(list) == 0 || list[0].ID != id {
		writeError(w, http.StatusNotFound, "Object Not Found", "no message "+p.get("id")+" in queue '"+p.get("name")+"'")
		return
	}
	writeJSON(w, http.StatusOK, messageOf(list[0], r.URL.Query().Get("encoding") == "base64"))
}

// deleteMessage removes one message, whatever its state but dead, and
// answers once the removal is as durable as the queue.
func (s *Server) deleteMessage(w http.ResponseWriter, r *http.Request, p params) {
	q, err := s.broker.Queue(p.get("vhost"), p.get("name"))
	if err != nil {
		writeBrokerError(w, err)
		return
	}
	id, ok := messageID(w, p)
	if !ok {
		return
	}
	stored := make(chan error, 1)
	if err := q.Delete(id, s.broker.Now(), func(err error) { stored <- err }); err != nil {
		if errors.Is(err, queue.ErrNotFound) {
			writeError(w, http.StatusNotFound, "Object Not Found", "no message "+p.get("id")+" in queue '"+p.get("name")+"'")
			return
		}
		writeBrokerError(w, err)
		return
	}
	select {
	case err = <-stored:
	case <-r.Context().Done():
		err = r.Context().Err()
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal_error", "the deletion was not stored: "+err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
