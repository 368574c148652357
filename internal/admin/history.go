package admin

import (
	"net/http"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/ferrymq/ferry/internal/broker"
	"github.com/ferrymq/ferry/internal/history"
)

// Message history ("where is my message?"): the events package history
// keeps for queues with x-history (or a policy's history key).
//
//	GET /api/ferry/queues/{vhost}/{name}/messages/{id}/history
//	GET /api/ferry/history/{vhost}/{message_id}
//
// The first names a message by its engine id in one queue (the id browse
// shows); the second by its public id (AMQP message-id property, SQS
// MessageId) and follows it across queues (dead-letter targets, redrives
// back). Both answer
//
//	{"vhost": "/", "message_id": "…", "events": [{"at", "event", "queue",
//	 "id", "connection", "consumer", "deliveries", "reason", "detail"}],
//	 "truncated": false}
//
// with empty fields left out, or 404 {"error": "not_found", "reason"}.

// maxMessageIDLen is the longest AMQP message-id (a shortstr).
const maxMessageIDLen = 255

func (s *Server) addHistoryRoutes() {
	s.handle(http.MethodGet, "/api/ferry/queues/{vhost}/{name}/messages/{id}/history", true, s.queueMessageHistory)
	s.handle(http.MethodGet, "/api/ferry/history/{vhost}/{message_id}", true, s.messageHistory)
}

// historyJSON is the answer of both endpoints.
type historyJSON struct {
	VHost     string          `json:"vhost"`
	MessageID string          `json:"message_id,omitempty"`
	Events    []history.Event `json:"events"`
	Truncated bool            `json:"truncated"`
}

func trailJSON(t history.Trail) historyJSON {
	ev := t.Events
	if ev == nil {
		ev = []history.Event{}
	}
	return historyJSON{VHost: t.VHost, MessageID: t.MessageID, Events: ev, Truncated: t.Dropped > 0}
}

// history finds the node's history among the broker's observers; nil if
// the node keeps none.
func (s *Server) history() *history.History {
	for _, o := range s.broker.Observers() {
		if h, ok := o.(*history.History); ok {
			return h
		}
	}
	return nil
}

func notFound(w http.ResponseWriter, reason string) {
	writeError(w, http.StatusNotFound, "not_found", reason)
}

func (s *Server) queueMessageHistory(w http.ResponseWriter, r *http.Request, p params) {
	vh, name, raw := p.get("vhost"), p.get("name"), p.get("id")
	id, err := strconv.ParseUint(raw, 10, 64)
	if err != nil || id == 0 {
		writeError(w, http.StatusBadRequest, "bad_request", "message id must be a positive integer (the id browse shows), got '"+raw+"'")
		return
	}
	on, err := s.broker.HistoryOn(vh, name)
	if err != nil {
		if broker.CodeOf(err) == broker.NotFound {
			notFound(w, err.Error())
			return
		}
		writeBrokerError(w, err)
		return
	}
	h := s.history()
	if h != nil {
		if t, ok := h.Message(vh, name, id); ok {
			writeJSON(w, http.StatusOK, trailJSON(t))
			return
		}
	}
	switch {
	case !on:
		notFound(w, "message history is off for queue '"+name+"' in vhost '"+vh+
			"': declare the queue with x-history: true, or apply a policy with history: true")
	case h == nil:
		notFound(w, "this node keeps no message history")
	default:
		notFound(w, "no history of message "+raw+" in queue '"+name+"' in vhost '"+vh+
			"': it was never there, or its history was dropped (history-retention, history-max-messages)")
	}
}

func (s *Server) messageHistory(w http.ResponseWriter, r *http.Request, p params) {
	vh, mid := p.get("vhost"), p.get("message_id")
	switch {
	case len(mid) > maxMessageIDLen:
		writeError(w, http.StatusBadRequest, "bad_request",
			"message_id is "+strconv.Itoa(len(mid))+" bytes; a message id is at most 255 bytes (an AMQP short string)")
		return
	case !utf8.ValidString(mid):
		writeError(w, http.StatusBadRequest, "bad_request", "message_id is not valid UTF-8")
		return
	}
	if !slices.Contains(s.broker.VHosts(), vh) {
		notFound(w, "no vhost '"+vh+"'")
		return
	}
	h := s.history()
	if h == nil {
		notFound(w, "this node keeps no message history")
		return
	}
	t, ok := h.ByMessageID(vh, mid)
	if !ok {
		notFound(w, "no history of a message with message_id '"+mid+"' in vhost '"+vh+
			"': its queues keep no history (x-history), it had no message_id, or its history was dropped")
		return
	}
	writeJSON(w, http.StatusOK, trailJSON(t))
}
