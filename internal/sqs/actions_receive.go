package sqs

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ferrymq/ferry/internal/broker"
	"github.com/ferrymq/ferry/internal/message"
	"github.com/ferrymq/ferry/internal/queue"
)

// maxFirstRecv bounds the ApproximateFirstReceiveTimestamp table: past
// it the table is cleared and the receive time of a redelivery is given
// instead (messages taken by SQS and settled over AMQP would otherwise
// stay in it).
const maxFirstRecv = 1 << 16

// systemAttrNames are the system attributes ReceiveMessage can return.
var systemAttrNames = []string{
	"ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp", "SentTimestamp", "SenderId",
	"MessageGroupId", "MessageDeduplicationId", "SequenceNumber", "AWSTraceHeader", "DeadLetterQueueSourceArn",
}

// lease is the engine lease of an SQS visibility timeout: 0 seconds is
// the shortest lease the engine keeps, so the message is visible again at
// once.
func lease(seconds int64) time.Duration {
	if seconds == 0 {
		return time.Millisecond
	}
	return time.Duration(seconds) * time.Second
}

func (s *Server) receiveMessage(r *request) (map[string]any, error) {
	qi, err := s.lookupQueue(r)
	if err != nil {
		return nil, err
	}
	maxN, given, err := r.intParam("MaxNumberOfMessages", 1, maxReceiveMessages)
	if err != nil {
		return nil, err
	}
	if !given {
		maxN = 1
	}
	vis, given, err := r.intParam("VisibilityTimeout", 0, maxVisibilitySecs)
	if err != nil {
		return nil, err
	}
	if !given {
		vis = visibility(qi.Args)
	}
	wait, given, err := r.intParam("WaitTimeSeconds", 0, maxWaitSeconds)
	if err != nil {
		return nil, err
	}
	if !given {
		wait = receiveWait(qi.Args)
	}
	sysNames, err := strList(r.params, "MessageSystemAttributeNames")
	if err != nil {
		return nil, err
	}
	legacy, err := strList(r.params, "AttributeNames")
	if err != nil {
		return nil, err
	}
	sysNames = append(sysNames, legacy...)
	for _, n := range sysNames {
		if n != "All" && !slices.Contains(systemAttrNames, n) {
			return nil, fail(errInvalidAttributeName, "Unknown Attribute %s.", n)
		}
	}
	attrNames, err := strList(r.params, "MessageAttributeNames")
	if err != nil {
		return nil, err
	}
	if id, _, _ := r.str("ReceiveRequestAttemptId"); len(id) > 128 {
		return nil, invalid("Value for parameter ReceiveRequestAttemptId is invalid. Reason: at most 128 characters.")
	}
	q, err := s.b.Queue(broker.DefaultVHost, qi.Name)
	if err != nil {
		return nil, err
	}
	owner := queue.Owner(s.ownerSeq.Add(1))
	ds, err := s.take(r, q, owner, int(maxN), lease(vis), time.Duration(wait)*time.Second)
	if err != nil {
		return nil, err
	}
	msgs := make([]any, 0, len(ds))
	for _, d := range ds {
		m, err := message.Decode(d.Data)
		if err != nil {
			s.logger.Error("cannot decode a message; left to expire", "queue", qi.Name, "id", d.ID, "err", err)
			continue
		}
		msgs = append(msgs, s.receivedMessage(qi.Name, owner, d, m, sysNames, attrNames))
	}
	if len(msgs) == 0 {
		return nil, nil
	}
	return map[string]any{"Messages": msgs}, nil
}

// take leases up to n messages of q to owner for vis. With nothing ready
// and wait above zero, it waits (long polling) until a message is handed
// out, the wait is over or the client goes away: a push consumer with
// prefetch n stands in for the receive meanwhile, so the engine hands the
// first message that becomes ready, whatever makes it ready, straight to
// it.
func (s *Server) take(r *request, q *queue.Queue, owner queue.Owner, n int, vis, wait time.Duration) ([]queue.Delivery, error) {
	var out []queue.Delivery
	for len(out) < n {
		d, ok, err := q.GetLeasedAs(owner, r.sender, vis, s.b.Now()) // r.sender: who received, for message history
		if err != nil {
			return out, err
		}
		if !ok {
			break
		}
		out = append(out, d)
	}
	if len(out) > 0 || wait <= 0 {
		return out, nil
	}
	got := make(chan queue.Delivery, n)
	c, err := q.Consume(queue.ConsumerOptions{Tag: "sqs-receive", Owner: owner, Prefetch: n, Connection: r.sender, Deliver: func(d queue.Delivery) {
		d.Data = bytes.Clone(d.Data)
		got <- d
	}}, s.b.Now())
	if err != nil {
		return nil, err
	}
	t := time.NewTimer(wait)
	select {
	case d := <-got:
		out = append(out, d)
	case <-t.C:
	case <-r.ctx.Done():
	case <-s.closing:
	}
	t.Stop()
	q.Cancel(c, s.b.Now())
	for more := true; more; {
		select {
		case d := <-got:
			out = append(out, d)
		default:
			more = false
		}
	}
	if r.ctx.Err() != nil && len(out) > 0 {
		q.Release(owner, s.b.Now())
		return nil, r.ctx.Err()
	}
	kept := out[:0]
	for _, d := range out {
		if err := q.ChangeVisibility(owner, d.ID, vis, s.b.Now()); err == nil {
			kept = append(kept, d)
		}
	}
	return kept, nil
}

// receivedMessage is the Message member of ReceiveMessage for delivery d
// of m.
func (s *Server) receivedMessage(qname string, owner queue.Owner, d queue.Delivery, m *message.Message, sysNames, attrNames []string) map[string]any {
	id := m.Properties.MessageID
	if id == "" {
		id = fmt.Sprintf("00000000-0000-4000-8000-%012x", d.ID&0xffffffffffff)
	}
	rh := receipt{owner: owner, id: d.ID, deliveries: d.Deliveries, nonce: newNonce(), queue: qname}
	out := map[string]any{
		"MessageId":     id,
		"ReceiptHandle": rh.encode(),
		"Body":          string(m.Body),
		"MD5OfBody":     md5Hex(m.Body),
	}
	now := time.Now().UnixMilli()
	key := msgKey{qname, d.ID}
	s.mu.Lock()
	first, ok := s.firstRecv[key]
	if !ok {
		if len(s.firstRecv) >= maxFirstRecv {
			clear(s.firstRecv)
		}
		first = now
		s.firstRecv[key] = now
	}
	s.mu.Unlock()
	if len(sysNames) > 0 {
		all := map[string]string{
			"ApproximateReceiveCount":          strconv.FormatUint(uint64(d.Deliveries), 10),
			"ApproximateFirstReceiveTimestamp": strconv.FormatInt(first, 10),
			"SenderId":                         headerString(m, hdrSender),
		}
		if all["SenderId"] == "" {
			all["SenderId"] = s.account
		}
		if sent, ok := headerInt(m, hdrSent); ok {
			all["SentTimestamp"] = strconv.FormatInt(sent, 10)
		} else {
			all["SentTimestamp"] = strconv.FormatUint(m.Properties.Timestamp*1000, 10)
		}
		if d.Group != "" {
			all["MessageGroupId"] = d.Group
		}
		if strings.HasSuffix(qname, ".fifo") {
			all["SequenceNumber"] = sequenceNumber(d.ID)
			if dd := headerString(m, hdrDedup); dd != "" {
				if _, after, ok := strings.Cut(dd, "\x00"); ok {
					dd = after
				}
				all["MessageDeduplicationId"] = dd
			}
		}
		if t := awsTraceHeader(m); t != "" { // trace.go: else from traceparent
			all["AWSTraceHeader"] = t
		}
		src := headerString(m, hdrLastDLQ)
		if src == "" {
			src = headerString(m, hdrFirstDLQ)
		}
		if src != "" {
			all["DeadLetterQueueSourceArn"] = s.queueArn(src)
		}
		attrs := map[string]string{}
		for _, n := range sysNames {
			if n == "All" {
				attrs = all
				break
			}
			if v, ok := all[n]; ok {
				attrs[n] = v
			}
		}
		if len(attrs) > 0 {
			out["Attributes"] = attrs
		}
	}
	if len(attrNames) > 0 {
		chosen := map[string]attrValue{}
		for n, a := range messageAttributes(m) {
			if wanted(n, attrNames) {
				chosen[n] = a
			}
		}
		if len(chosen) > 0 {
			out["MessageAttributes"] = attrsJSON(chosen)
			out["MD5OfMessageAttributes"] = md5OfAttributes(chosen)
		}
	}
	return out
}

// wanted reports whether attribute n is asked for by names: "All", ".*",
// "prefix.*" or n itself.
func wanted(n string, names []string) bool {
	for _, w := range names {
		switch {
		case w == "All" || w == ".*" || w == n:
			return true
		case strings.HasSuffix(w, ".*") && strings.HasPrefix(n, strings.TrimSuffix(w, "*")):
			return true
		}
	}
	return false
}

// handleFor decodes a receipt handle for queue name.
func handleFor(name, h string) (receipt, error) {
	if h == "" {
		return receipt{}, missing("ReceiptHandle")
	}
	rh, err := decodeReceipt(h)
	if err != nil || rh.queue != name {
		return receipt{}, fail(errReceiptHandleInvalid, "The input receipt handle \"%s\" is not a valid receipt handle.", h)
	}
	return rh, nil
}

// deleteOne deletes the message of handle h from queue name. A stale
// handle does nothing (see receipt).
func (s *Server) deleteOne(name, h string) error {
	_, err := s.startDelete(name, h)
	return err
}

// startDelete removes the message of handle h. The ack names the receive
// the handle came from (queue.Lease): a stale handle, whose message was
// received again since, does not delete the newer receive's message.
//
// It answers once the engine has ended the lease and appended the ack to
// the queue's log, not after that log's fsync, as an AMQP basic.ack is
// never waited on either: no receiver can get the message again while
// the node runs, and a crash before the next fsync (group commit: the
// next few milliseconds) can bring it back once, which SQS's
// at-least-once delivery allows and the delivery contract says (an acked
// message is delivered again after a crash only if its ack was not yet on
// disk). Waiting would cost every consumer one fsync per delete. The
// returned func is for batches, which start every entry first; it has
// nothing to wait for.
func (s *Server) startDelete(name, h string) (func() error, error) {
	rh, err := handleFor(name, h)
	if err != nil {
		return nil, err
	}
	q, err := s.b.Queue(broker.DefaultVHost, name)
	if err != nil {
		return nil, err
	}
	err = q.AckLease(rh.owner, queue.Lease{ID: rh.id, Delivery: rh.deliveries}, s.b.Now(), nil)
	switch {
	case errors.Is(err, queue.ErrUnknownDelivery):
		return noWait, nil
	case err != nil:
		return nil, err
	}
	s.mu.Lock()
	delete(s.firstRecv, msgKey{name, rh.id})
	s.mu.Unlock()
	return noWait, nil
}

func noWait() error { return nil }

func (s *Server) deleteMessage(r *request) (map[string]any, error) {
	qi, err := s.lookupQueue(r)
	if err != nil {
		return nil, err
	}
	h, err := r.requiredStr("ReceiptHandle")
	if err != nil {
		return nil, err
	}
	return nil, s.deleteOne(qi.Name, h)
}

func (s *Server) deleteMessageBatch(r *request) (map[string]any, error) {
	qi, err := s.lookupQueue(r)
	if err != nil {
		return nil, err
	}
	entries, ids, err := batchEntries(r)
	if err != nil {
		return nil, err
	}
	return runBatch(entries, ids, func(e map[string]any) (func() (map[string]any, error), error) {
		h, _ := e["ReceiptHandle"].(string)
		wait, err := s.startDelete(qi.Name, h)
		if err != nil {
			return nil, err
		}
		return func() (map[string]any, error) { return nil, wait() }, nil
	}), nil
}

// changeOne changes the visibility of the message of handle h.
func (s *Server) changeOne(name, h string, params map[string]any) error {
	rh, err := handleFor(name, h)
	if err != nil {
		return err
	}
	vis, given, err := intParam(params, "VisibilityTimeout", 0, maxVisibilitySecs)
	if err != nil {
		return err
	}
	if !given {
		return missing("VisibilityTimeout")
	}
	q, err := s.b.Queue(broker.DefaultVHost, name)
	if err != nil {
		return err
	}
	var d time.Duration
	if vis > 0 {
		d = time.Duration(vis) * time.Second
	}
	err = q.ChangeLeaseVisibility(rh.owner, queue.Lease{ID: rh.id, Delivery: rh.deliveries}, d, s.b.Now())
	if errors.Is(err, queue.ErrUnknownDelivery) {
		return fail(errMessageNotInflight, "Message does not exist or is not available for visibility timeout change.")
	}
	return err
}

func (s *Server) changeMessageVisibility(r *request) (map[string]any, error) {
	qi, err := s.lookupQueue(r)
	if err != nil {
		return nil, err
	}
	h, err := r.requiredStr("ReceiptHandle")
	if err != nil {
		return nil, err
	}
	return nil, s.changeOne(qi.Name, h, r.params)
}

func (s *Server) changeMessageVisibilityBatch(r *request) (map[string]any, error) {
	qi, err := s.lookupQueue(r)
	if err != nil {
		return nil, err
	}
	entries, ids, err := batchEntries(r)
	if err != nil {
		return nil, err
	}
	return runBatch(entries, ids, func(e map[string]any) (func() (map[string]any, error), error) {
		h, _ := e["ReceiptHandle"].(string)
		err := s.changeOne(qi.Name, h, e)
		return func() (map[string]any, error) { return nil, err }, nil
	}), nil
}
