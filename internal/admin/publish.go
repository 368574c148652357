package admin

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync/atomic"
	"unicode/utf8"

	"github.com/ferrymq/ferry/internal/message"
	"github.com/ferrymq/ferry/internal/queue"
)

// Publishing and getting through the admin API, with RabbitMQ's paths
// and shapes (the management UI's "Publish message" and "Get messages"),
// so that rabbitmqadmin, scripts written for RabbitMQ and the ferry CLI
// work alike. Messages go through the broker as any AMQP publish does:
// routed by the exchange, stored, and answered only once every queue
// that took them has them as durably as it promises. A get leases the
// messages like basic.get and settles them as the ackmode says.

// maxGetCount caps one get, so that an answer stays bounded in memory.
const maxGetCount = 1000

// getOwnerBase numbers the leases of admin gets apart from AMQP
// channels (counted up from 1), SQS receives (from 1<<61) and broker
// redrives (from 1<<62).
const getOwnerBase = 1 << 60

var getOwnerSeq atomic.Uint64

func init() { getOwnerSeq.Store(getOwnerBase) }

type publishRequest struct {
	Properties      map[string]any `json:"properties"`
	RoutingKey      string         `json:"routing_key"`
	Payload         string         `json:"payload"`
	PayloadEncoding string         `json:"payload_encoding"`
}

// publishMessage answers POST /api/exchanges/{vhost}/{name}/publish:
// {"routed": true} once the message is stored in every queue it reached,
// {"routed": false} when no queue took it. The exchange "amq.default" is
// the default exchange, as in RabbitMQ's API.
func (s *Server) publishMessage(w http.ResponseWriter, r *http.Request, p params) {
	var req publishRequest
	if !readJSON(w, r, &req) {
		return
	}
	var body []byte
	switch req.PayloadEncoding {
	case "", "string":
		body = []byte(req.Payload)
	case "base64":
		b, err := base64.StdEncoding.DecodeString(req.Payload)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_request", "payload is not valid base64: "+err.Error())
			return
		}
		body = b
	default:
		writeError(w, http.StatusBadRequest, "bad_request", "payload_encoding must be string or base64, got '"+req.PayloadEncoding+"'")
		return
	}
	props, err := propertiesOf(req.Properties)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	// As AMQP's basic.publish: a user_id must be the publisher's own.
	if props.Has(message.FlagUserID) && props.UserID != p.user {
		writeError(w, http.StatusBadRequest, "bad_request",
			fmt.Sprintf("user_id property set to '%s' but authenticated user was '%s'", props.UserID, p.user))
		return
	}
	exchange := p.get("name")
	if exchange == "amq.default" {
		exchange = ""
	}
	m := &message.Message{Exchange: exchange, RoutingKey: req.RoutingKey, Properties: props, Body: body}
	stored := make(chan error, 1)
	n, err := s.broker.Route(p.get("vhost"), m, func(err error) { stored <- err })
	if err != nil {
		writeBrokerError(w, err)
		return
	}
	select {
	case err = <-stored:
	case <-r.Context().Done():
		return // the client left; the message is on its way regardless
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal_error", "the message was not stored: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"routed": n > 0})
}

// propertiesOf reads RabbitMQ's JSON properties object (the names
// messageJSON shows) into AMQP basic properties; an unknown name or a
// value of the wrong type is an error that names it.
func propertiesOf(in map[string]any) (message.Properties, error) {
	var p message.Properties
	for k, v := range in {
		var err error
		switch k {
		case "content_type":
			p.ContentType, err = shortString(k, v)
			p.Flags |= message.FlagContentType
		case "content_encoding":
			p.ContentEncoding, err = shortString(k, v)
			p.Flags |= message.FlagContentEncoding
		case "correlation_id":
			p.CorrelationID, err = shortString(k, v)
			p.Flags |= message.FlagCorrelationID
		case "reply_to":
			p.ReplyTo, err = shortString(k, v)
			p.Flags |= message.FlagReplyTo
		case "expiration":
			// RabbitMQ's expiration is text; a number is taken as its text.
			if n, ok := v.(json.Number); ok {
				v = n.String()
			}
			p.Expiration, err = shortString(k, v)
			p.Flags |= message.FlagExpiration
		case "message_id":
			p.MessageID, err = shortString(k, v)
			p.Flags |= message.FlagMessageID
		case "type":
			p.Type, err = shortString(k, v)
			p.Flags |= message.FlagType
		case "user_id":
			p.UserID, err = shortString(k, v)
			p.Flags |= message.FlagUserID
		case "app_id":
			p.AppID, err = shortString(k, v)
			p.Flags |= message.FlagAppID
		case "cluster_id":
			p.ClusterID, err = shortString(k, v)
			p.Flags |= message.FlagClusterID
		case "delivery_mode":
			var n int64
			n, err = intProperty(k, v, 1, 2)
			p.DeliveryMode = uint8(n)
			p.Flags |= message.FlagDeliveryMode
		case "priority":
			var n int64
			n, err = intProperty(k, v, 0, 255)
			p.Priority = uint8(n)
			p.Flags |= message.FlagPriority
		case "timestamp":
			var n int64
			n, err = intProperty(k, v, 0, math.MaxInt64)
			p.Timestamp = uint64(n)
			p.Flags |= message.FlagTimestamp
		case "headers":
			h, ok := v.(map[string]any)
			if !ok {
				return p, fmt.Errorf("property headers must be an object, got %s", propertyKind(v))
			}
			t, terr := jsonTable(h)
			if terr != nil {
				return p, fmt.Errorf("property headers: %w", terr)
			}
			p.Headers = t
			p.Flags |= message.FlagHeaders
		default:
			return p, fmt.Errorf("unknown property '%s' (known: content_type, content_encoding, headers, delivery_mode, priority, "+
				"correlation_id, reply_to, expiration, message_id, timestamp, type, user_id, app_id, cluster_id)", k)
		}
		if err != nil {
			return p, err
		}
	}
	return p, nil
}

func shortString(k string, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("property %s must be a string, got %s", k, propertyKind(v))
	}
	if len(s) > 255 {
		return "", fmt.Errorf("property %s is %d bytes, more than the 255 an AMQP short string holds", k, len(s))
	}
	return s, nil
}

func intProperty(k string, v any, lo, hi int64) (int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("property %s must be a number, got %s", k, propertyKind(v))
	}
	i, err := n.Int64()
	if err != nil || i < lo || i > hi {
		return 0, fmt.Errorf("property %s must be a whole number from %d to %d, got %s", k, lo, hi, n)
	}
	return i, nil
}

// propertyKind names a decoded JSON value's type for error messages.
func propertyKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

type getRequest struct {
	Count    *json.Number `json:"count"`
	AckMode  string       `json:"ackmode"`
	Encoding string       `json:"encoding"`
	Truncate *json.Number `json:"truncate"`
}

// gotJSON is one message as RabbitMQ's get answers it.
type gotJSON struct {
	PayloadBytes    int            `json:"payload_bytes"`
	Redelivered     bool           `json:"redelivered"`
	Exchange        string         `json:"exchange"`
	RoutingKey      string         `json:"routing_key"`
	MessageCount    int            `json:"message_count"` // ready messages left after this one
	Properties      map[string]any `json:"properties"`
	Payload         string         `json:"payload"`
	PayloadEncoding string         `json:"payload_encoding"`
}

// getMessages answers POST /api/queues/{vhost}/{name}/get: it takes up
// to count ready messages, as basic.get does, then settles them all by
// ackmode: ack_requeue_false acks them (answered once the acks are
// stored), ack_requeue_true and reject_requeue_true give them back
// (redelivered, their delivery count raised, as a reject with requeue
// does in RabbitMQ; a queue's retry delay and delivery limit count it as
// a failed delivery, as for any client), reject_requeue_false rejects
// them (dead-lettered if the queue says so). All are taken before any is given back, so a get
// of N shows N different messages.
func (s *Server) getMessages(w http.ResponseWriter, r *http.Request, p params) {
	var req getRequest
	if !readJSON(w, r, &req) {
		return
	}
	count := 1
	if req.Count != nil {
		n, err := req.Count.Int64()
		if err != nil || n < 1 || n > maxGetCount {
			writeError(w, http.StatusBadRequest, "bad_request", "count must be 1 to "+strconv.Itoa(maxGetCount)+", got "+req.Count.String())
			return
		}
		count = int(n)
	}
	truncate := -1
	if req.Truncate != nil {
		n, err := req.Truncate.Int64()
		if err != nil || n < 0 || n > math.MaxInt32 {
			writeError(w, http.StatusBadRequest, "bad_request", "truncate must be a byte count (0 or more), got "+req.Truncate.String())
			return
		}
		truncate = int(n)
	}
	force64 := false
	switch req.Encoding {
	case "", "auto":
	case "base64":
		force64 = true
	default:
		writeError(w, http.StatusBadRequest, "bad_request", "encoding must be auto or base64, got '"+req.Encoding+"'")
		return
	}
	var requeue, ack bool
	switch req.AckMode {
	case "ack_requeue_false":
		ack = true
	case "ack_requeue_true", "reject_requeue_true":
		requeue = true
	case "reject_requeue_false":
	case "":
		writeError(w, http.StatusBadRequest, "bad_request", "ackmode is required: ack_requeue_false, ack_requeue_true, reject_requeue_true or reject_requeue_false")
		return
	default:
		writeError(w, http.StatusBadRequest, "bad_request", "ackmode must be ack_requeue_false, ack_requeue_true, reject_requeue_true or reject_requeue_false, got '"+req.AckMode+"'")
		return
	}
	vh, name := p.get("vhost"), p.get("name")
	q, err := s.broker.Queue(vh, name)
	if err != nil {
		writeBrokerError(w, err)
		return
	}
	s.broker.Used(vh, name) // for x-expires, even if it finds nothing
	owner := queue.Owner(getOwnerSeq.Add(1))
	out := []gotJSON{}
	var taken []queue.Delivery
	for len(taken) < count {
		now := s.broker.Now()
		d, ok, err := q.Get(owner, false, now)
		if err != nil {
			q.Release(owner, now)
			writeBrokerError(w, err)
			return
		}
		if !ok {
			break
		}
		m, err := message.Decode(d.Data)
		if err != nil {
			// Never settle what cannot be shown: give back all taken.
			q.Release(owner, s.broker.Now())
			writeError(w, http.StatusInternalServerError, "internal_error", fmt.Sprintf("message %d does not decode: %v", d.ID, err))
			return
		}
		taken = append(taken, d)
		out = append(out, gotOf(m, d, q.Stats(now).Ready, truncate, force64))
	}
	if err := s.settle(r, q, owner, taken, ack, requeue); err != nil {
		writeError(w, http.StatusInternalServerError, "internal_error", "settling the messages got: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// settle acks, requeues or rejects the deliveries taken for owner; acks
// are waited for until stored.
func (s *Server) settle(r *http.Request, q *queue.Queue, owner queue.Owner, taken []queue.Delivery, ack, requeue bool) error {
	now := s.broker.Now()
	if !ack {
		var errs []error
		for _, d := range taken {
			errs = append(errs, q.Nack(owner, d.ID, requeue, now))
		}
		return errors.Join(errs...)
	}
	stored := make(chan error, len(taken))
	waiting := 0
	for _, d := range taken {
		if err := q.Ack(owner, d.ID, now, func(err error) { stored <- err }); err != nil {
			q.Release(owner, now) // what is not acked stays in the queue
			return err
		}
		waiting++
	}
	var errs []error
	for range waiting {
		select {
		case err := <-stored:
			errs = append(errs, err)
		case <-r.Context().Done():
			return r.Context().Err()
		}
	}
	return errors.Join(errs...)
}

func gotOf(m *message.Message, d queue.Delivery, left, truncate int, force64 bool) gotJSON {
	g := gotJSON{
		PayloadBytes: len(m.Body), Redelivered: d.Deliveries > 1, Exchange: m.Exchange, RoutingKey: m.RoutingKey,
		MessageCount: left, Properties: propertiesJSON(&m.Properties),
	}
	body := m.Body
	if truncate >= 0 && len(body) > truncate {
		body = body[:truncate]
	}
	if !force64 && utf8.Valid(body) {
		g.Payload, g.PayloadEncoding = string(body), "string"
	} else {
		g.Payload, g.PayloadEncoding = base64.StdEncoding.EncodeToString(body), "base64"
	}
	return g
}

// addCLIRoutes registers publish and get (called from addRoutes).
func (s *Server) addCLIRoutes() {
	s.handle(http.MethodPost, "/api/exchanges/{vhost}/{name}/publish", true, s.publishMessage)
	s.handle(http.MethodPost, "/api/queues/{vhost}/{name}/get", true, s.getMessages)
}
