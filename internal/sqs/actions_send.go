package sqs

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/ferrymq/ferry/internal/broker"
)

// sendOne validates and stores one message in queue qi and returns its
// result members (MessageId, MD5s, SequenceNumber).
// sendOne publishes one message and waits until it is stored.
func (s *Server) sendOne(r *request, qi broker.QueueInfo, params map[string]any) (map[string]any, error) {
	wait, err := s.startSend(r, qi, params)
	if err != nil {
		return nil, err
	}
	return wait()
}

// startSend checks and publishes one message and returns a func that
// waits until it is stored and gives the answer. A batch starts every
// entry before it waits for any, so one group commit (one fsync) can
// store the whole batch.
func (s *Server) startSend(r *request, qi broker.QueueInfo, params map[string]any) (func() (map[string]any, error), error) {
	body, ok := params["MessageBody"].(string)
	if !ok {
		if _, given := params["MessageBody"]; given {
			return nil, invalid("Value for parameter MessageBody must be a string.")
		}
		return nil, missing("MessageBody")
	}
	if err := checkBody(body); err != nil {
		return nil, err
	}
	attrs, err := messageAttrs(params, "MessageAttributes", false)
	if err != nil {
		return nil, err
	}
	sys, err := messageAttrs(params, "MessageSystemAttributes", true)
	if err != nil {
		return nil, err
	}
	limit := maxMessageSize(qi.Args)
	if size := len(body) + attrsSize(attrs); size > limit {
		return nil, invalid("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", limit)
	}
	fifo := strings.HasSuffix(qi.Name, ".fifo")
	delay, hasDelay, err := intParam(params, "DelaySeconds", 0, maxDelaySeconds)
	if err != nil {
		return nil, err
	}
	group, _ := params["MessageGroupId"].(string)
	dedup, _ := params["MessageDeduplicationId"].(string)
	if fifo {
		if hasDelay && delay != 0 {
			return nil, invalid("Value %d for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.", delay)
		}
		hasDelay = false
		if group == "" {
			return nil, missing("MessageGroupId")
		}
		if dedup == "" {
			if !contentDedup(qi.Args) {
				return nil, invalid("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
			}
			sum := sha256.Sum256([]byte(body))
			dedup = hex.EncodeToString(sum[:])
		}
	} else if dedup != "" {
		return nil, invalid("The request include parameter MessageDeduplicationId that is not valid for this queue type")
	}
	for _, p := range [...]struct{ what, v string }{{"MessageGroupId", group}, {"MessageDeduplicationId", dedup}} {
		if len(p.v) > 128 || strings.ContainsFunc(p.v, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
			return nil, invalid("Value %s for parameter %s is invalid. Reason: at most 128 printable ASCII characters.", p.v, p.what)
		}
	}
	engineDedup := dedup
	if fifo && dedup != "" {
		if sc, _ := argStr(qi.Args, argPrefix+"DeduplicationScope"); sc == "messageGroup" {
			engineDedup = group + "\x00" + dedup
		}
	}
	o := &outgoing{
		queue: qi.Name, id: newUUID(), body: body, attrs: attrs, group: group, dedup: engineDedup,
		delay: time.Duration(delay) * time.Second, hasDly: hasDelay, sender: r.sender, sentAt: time.Now(),
	}
	if t, ok := sys["AWSTraceHeader"]; ok {
		o.trace = t.StringValue
	}
	m := o.toMessage()
	// Summed from the message's copy of the body: md5Hex([]byte(body))
	// copied every body once more.
	bodyMD5 := md5Hex(m.Body)
	if engineDedup != dedup {
		m.Properties.SetHeader(hdrDedup, engineDedup)
	}
	stored := make(chan error, 1)
	res, err := s.b.PublishResult(broker.DefaultVHost, qi.Name, m, func(err error) { stored <- err })
	if err != nil {
		return nil, err
	}
	return func() (map[string]any, error) {
		if err := <-stored; err != nil {
			return nil, err
		}
		out := map[string]any{"MessageId": o.id, "MD5OfMessageBody": bodyMD5}
		if len(attrs) > 0 {
			out["MD5OfMessageAttributes"] = md5OfAttributes(attrs)
		}
		if len(sys) > 0 {
			out["MD5OfMessageSystemAttributes"] = md5OfAttributes(sys)
		}
		if fifo {
			out["SequenceNumber"] = sequenceNumber(res.ID)
		}
		return out, nil
	}, nil
}

// sequenceNumber writes an engine message id as SQS writes sequence
// numbers: a decimal string of fixed width.
func sequenceNumber(id uint64) string { return fmt.Sprintf("%020d", id) }

func (s *Server) sendMessage(r *request) (map[string]any, error) {
	qi, err := s.lookupQueue(r)
	if err != nil {
		return nil, err
	}
	return s.sendOne(r, qi, r.params)
}

// batchEntries reads and checks the Entries of a batch request: 1 to
// 10, distinct, well-formed ids.
func batchEntries(r *request) ([]map[string]any, []string, error) {
	v, ok := r.params["Entries"]
	if !ok || v == nil {
		return nil, nil, fail(errEmptyBatch, "There should be at least one entry in the request.")
	}
	list, ok := v.([]any)
	if !ok {
		return nil, nil, invalid("Value for parameter Entries must be a list.")
	}
	switch {
	case len(list) == 0:
		return nil, nil, fail(errEmptyBatch, "There should be at least one entry in the request.")
	case len(list) > maxBatchEntries:
		return nil, nil, fail(errTooManyEntries, "Maximum number of entries per request are %d. You have sent %d.", maxBatchEntries, len(list))
	}
	entries := make([]map[string]any, len(list))
	ids := make([]string, len(list))
	seen := map[string]bool{}
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, nil, invalid("Each batch entry must be a structure.")
		}
		id, _ := m["Id"].(string)
		if id == "" {
			return nil, nil, missing("Id")
		}
		if err := checkBatchID(id); err != nil {
			return nil, nil, err
		}
		if seen[id] {
			return nil, nil, fail(errBatchIDsNotDistinct, "Id %s repeated.", id)
		}
		seen[id] = true
		entries[i], ids[i] = m, id
	}
	return entries, ids, nil
}

// runBatch runs a batch action: start begins one entry and returns a
// func that waits for its answer. Every entry is started before any is
// waited for, so that one group commit (one fsync) serves the batch. A
// failed entry is listed under Failed and the others go on, as in SQS.
func runBatch(entries []map[string]any, ids []string, start func(map[string]any) (func() (map[string]any, error), error)) map[string]any {
	waits := make([]func() (map[string]any, error), len(entries))
	errs := make([]error, len(entries))
	for i, e := range entries {
		waits[i], errs[i] = start(e)
	}
	ok, failed := []any{}, []any{}
	for i := range entries {
		var res map[string]any
		err := errs[i]
		if err == nil {
			res, err = waits[i]()
		}
		if err != nil {
			failed = append(failed, failedEntry(ids[i], err))
			continue
		}
		if res == nil {
			res = map[string]any{}
		}
		res["Id"] = ids[i]
		ok = append(ok, res)
	}
	return map[string]any{"Successful": ok, "Failed": failed}
}

// failedEntry is one BatchResultErrorEntry.
func failedEntry(id string, err error) map[string]any {
	ae := toAPIError(err)
	return map[string]any{"Id": id, "Code": ae.code, "Message": ae.msg, "SenderFault": ae.status < 500}
}

func (s *Server) sendMessageBatch(r *request) (map[string]any, error) {
	qi, err := s.lookupQueue(r)
	if err != nil {
		return nil, err
	}
	entries, ids, err := batchEntries(r)
	if err != nil {
		return nil, err
	}
	total := 0
	for _, e := range entries {
		b, _ := e["MessageBody"].(string)
		a, _ := messageAttrs(e, "MessageAttributes", false)
		total += len(b) + attrsSize(a)
	}
	if limit := max(defaultMaxMsgSize, maxMessageSize(qi.Args)); total > limit {
		return nil, fail(errBatchRequestTooLong, "Batch requests cannot be longer than %d bytes. You have sent %d bytes.", limit, total)
	}
	return runBatch(entries, ids, func(e map[string]any) (func() (map[string]any, error), error) {
		return s.startSend(r, qi, e)
	}), nil
}
