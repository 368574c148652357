package sqs

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ferrymq/ferry/internal/broker"
)

func (s *Server) createQueue(r *request) (map[string]any, error) {
	name, err := r.requiredStr("QueueName")
	if err != nil {
		return nil, err
	}
	if err := checkQueueName(name); err != nil {
		return nil, err
	}
	attrs, err := strMap(r.params, "Attributes")
	if err != nil {
		return nil, err
	}
	tagsParam := "tags"
	if _, ok := r.params[tagsParam]; !ok {
		tagsParam = "Tags"
	}
	tags, err := strMap(r.params, tagsParam)
	if err != nil {
		return nil, err
	}
	if err := checkTags(tags); err != nil {
		return nil, err
	}
	if strings.HasSuffix(name, ".fifo") && attrs["FifoQueue"] != "true" {
		if attrs == nil {
			attrs = map[string]string{}
		}
		if _, given := attrs["FifoQueue"]; given {
			return nil, invalid("The name of a FIFO queue must end with .fifo and FifoQueue must be true.")
		}
		attrs["FifoQueue"] = "true"
	}
	url := map[string]any{"QueueUrl": s.queueURL(r.host, name)}
	for range 2 {
		if qi, err := s.b.QueueInfo(broker.DefaultVHost, name); err == nil {
			return url, s.sameAttributes(qi, attrs)
		}
		args := map[string]any{}
		if err := s.applyQueueAttrs(name, attrs, args, true); err != nil {
			return nil, err
		}
		if len(tags) > 0 {
			args[argTags] = tagsAny(tags)
		}
		now := strconv.FormatInt(time.Now().Unix(), 10)
		args[argCreated], args[argModified] = now, now
		_, created, err := s.b.DeclareQueue(broker.DefaultVHost, name, broker.QueueOptions{Durable: true, Args: args})
		if err == nil && created {
			return url, nil
		}
		if err != nil && !errors.Is(err, broker.ErrPreconditionFailed) {
			return nil, err
		}
		// Another CreateQueue won the race: compare with what it made.
		// (A declare alike in the broker's eyes is not enough: the
		// broker does not compare the attributes SQS alone keeps.)
	}
	return nil, fail(errQueueNameExists, "A queue already exists with the same name and a different value for attributes.")
}

// sameAttributes answers CreateQueue for an existing queue: every
// attribute given must have the value the queue has.
func (s *Server) sameAttributes(qi broker.QueueInfo, attrs map[string]string) error {
	have := s.queueAttributes(qi)
	for k, v := range attrs {
		if !slices.Contains(settable, k) {
			return fail(errInvalidAttributeName, "Unknown Attribute %s.", k)
		}
		h, ok := have[k]
		if ok && (h == v || k == "RedrivePolicy" && sameJSON(h, v)) || !ok && v == "" {
			continue
		}
		return fail(errQueueNameExists, "A queue already exists with the same name and a different value for attribute %s", k)
	}
	return nil
}

// sameJSON compares two JSON texts by value, numbers given as strings
// equal to numbers.
func sameJSON(a, b string) bool {
	var x, y map[string]any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	for _, m := range []map[string]any{x, y} {
		for k, v := range m {
			if s, ok := v.(string); ok {
				if f, err := strconv.ParseFloat(s, 64); err == nil && k == "maxReceiveCount" {
					m[k] = f
				}
			}
		}
	}
	return reflect.DeepEqual(x, y)
}

func (s *Server) deleteQueue(r *request) (map[string]any, error) {
	qi, err := s.lookupQueue(r)
	if err != nil {
		return nil, err
	}
	if _, err := s.b.DeleteQueue(broker.DefaultVHost, qi.Name, false, false); err != nil {
		return nil, err
	}
	s.mu.Lock()
	delete(s.purges, qi.Name)
	for k := range s.firstRecv {
		if k.queue == qi.Name {
			delete(s.firstRecv, k)
		}
	}
	s.mu.Unlock()
	return nil, nil
}

func (s *Server) getQueueURL(r *request) (map[string]any, error) {
	name, err := r.requiredStr("QueueName")
	if err != nil {
		return nil, err
	}
	if _, err := s.b.QueueInfo(broker.DefaultVHost, name); err != nil {
		if errors.Is(err, broker.ErrNotFound) {
			return nil, noQueue()
		}
		return nil, err
	}
	return map[string]any{"QueueUrl": s.queueURL(r.host, name)}, nil
}

// page cuts names (sorted) for MaxResults and NextToken, the token being
// the base64 of the first name of the next page.
func page(names []string, r *request) ([]string, string, error) {
	maxN, paged, err := r.intParam("MaxResults", 1, 1000)
	if err != nil {
		return nil, "", err
	}
	if tok, ok, _ := r.str("NextToken"); ok && tok != "" {
		start, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			return nil, "", invalid("Invalid NextToken value.")
		}
		i, _ := slices.BinarySearch(names, string(start))
		names = names[i:]
	}
	if !paged {
		maxN = 1000
	}
	if int64(len(names)) > maxN {
		next := ""
		if paged {
			next = base64.RawURLEncoding.EncodeToString([]byte(names[maxN]))
		}
		return names[:maxN], next, nil
	}
	return names, "", nil
}

func (s *Server) listQueues(r *request) (map[string]any, error) {
	prefix, _, err := r.str("QueueNamePrefix")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, qi := range s.b.Queues(broker.DefaultVHost) {
		if strings.HasPrefix(qi.Name, prefix) && checkQueueName(qi.Name) == nil {
			names = append(names, qi.Name)
		}
	}
	names, next, err := page(names, r)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if len(names) > 0 {
		urls := make([]string, len(names))
		for i, n := range names {
			urls[i] = s.queueURL(r.host, n)
		}
		out["QueueUrls"] = urls
	}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

func (s *Server) getQueueAttributes(r *request) (map[string]any, error) {
	qi, err := s.lookupQueue(r)
	if err != nil {
		return nil, err
	}
	names, err := strList(r.params, "AttributeNames")
	if err != nil {
		return nil, err
	}
	all := s.queueAttributes(qi)
	out := map[string]string{}
	for _, n := range names {
		if n == "All" {
			out = all
			break
		}
		if !slices.Contains(settable, n) && !slices.Contains(readOnly, n) {
			return nil, fail(errInvalidAttributeName, "Unknown Attribute %s.", n)
		}
		if v, ok := all[n]; ok {
			out[n] = v
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return map[string]any{"Attributes": out}, nil
}

func (s *Server) setQueueAttributes(r *request) (map[string]any, error) {
	qi, err := s.lookupQueue(r)
	if err != nil {
		return nil, err
	}
	attrs, err := strMap(r.params, "Attributes")
	if err != nil {
		return nil, err
	}
	if attrs == nil {
		return nil, missing("Attributes")
	}
	if _, ok := attrs["FifoQueue"]; ok {
		return nil, fail(errInvalidAttributeName, "Attribute FifoQueue can only be set when the queue is created.")
	}
	return nil, s.changeArgs(qi.Name, func(args map[string]any) error {
		if err := s.applyQueueAttrs(qi.Name, attrs, args, false); err != nil {
			return err
		}
		args[argModified] = strconv.FormatInt(time.Now().Unix(), 10)
		return nil
	})
}

// changeArgs applies change to the arguments of queue name. Changes to
// one queue's arguments are serialized by s.mu against each other.
func (s *Server) changeArgs(name string, change func(args map[string]any) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	args, err := s.b.QueueArgs(broker.DefaultVHost, name)
	if err != nil {
		return err
	}
	if err := change(args); err != nil {
		return err
	}
	return s.b.SetQueueArgs(broker.DefaultVHost, name, args)
}

// purgeInterval is how often SQS lets a queue be purged.
const purgeInterval = 60 * time.Second

func (s *Server) purgeQueue(r *request) (map[string]any, error) {
	qi, err := s.lookupQueue(r)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	s.mu.Lock()
	last, ok := s.purges[qi.Name]
	if ok && now.Sub(last) < purgeInterval {
		s.mu.Unlock()
		return nil, fail(errPurgeInProgress, "Only one PurgeQueue operation on %s is allowed every 60 seconds.", qi.Name)
	}
	s.purges[qi.Name] = now
	s.mu.Unlock()
	q, err := s.b.Queue(broker.DefaultVHost, qi.Name)
	if err != nil {
		return nil, err
	}
	if _, err := q.Purge(s.b.Now()); err != nil {
		return nil, err
	}
	return nil, nil
}

func (s *Server) listDeadLetterSourceQueues(r *request) (map[string]any, error) {
	qi, err := s.lookupQueue(r)
	if err != nil {
		return nil, err
	}
	arn := s.queueArn(qi.Name)
	var names []string
	for _, o := range s.b.Queues(broker.DefaultVHost) {
		p, _ := argStr(o.Args, argPrefix+"RedrivePolicy")
		var rp struct {
			Arn string `json:"deadLetterTargetArn"`
		}
		if p != "" && json.Unmarshal([]byte(p), &rp) == nil && rp.Arn == arn {
			names = append(names, o.Name)
		}
	}
	names, next, err := page(names, r)
	if err != nil {
		return nil, err
	}
	urls := make([]string, len(names))
	for i, n := range names {
		urls[i] = s.queueURL(r.host, n)
	}
	out := map[string]any{"queueUrls": urls}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

func checkTags(tags map[string]string) error {
	if len(tags) > maxTags {
		return invalid("Too many tags: a queue holds at most %d.", maxTags)
	}
	for k, v := range tags {
		if k == "" || len(k) > 128 || len(v) > 256 {
			return invalid("Tag keys must be 1 to 128 characters and values at most 256.")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return invalid("Tag keys must not start with aws:.")
		}
	}
	return nil
}

func tagsAny(tags map[string]string) map[string]any {
	out := make(map[string]any, len(tags))
	for k, v := range tags {
		out[k] = v
	}
	return out
}

func queueTags(args map[string]any) map[string]string {
	m, _ := args[argTags].(map[string]any)
	out := make(map[string]string, len(m))
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

func (s *Server) tagQueue(r *request) (map[string]any, error) {
	qi, err := s.lookupQueue(r)
	if err != nil {
		return nil, err
	}
	tags, err := strMap(r.params, "Tags")
	if err != nil {
		return nil, err
	}
	if len(tags) == 0 {
		return nil, missing("Tags")
	}
	return nil, s.changeArgs(qi.Name, func(args map[string]any) error {
		all := queueTags(args)
		for k, v := range tags {
			all[k] = v
		}
		if err := checkTags(all); err != nil {
			return err
		}
		args[argTags] = tagsAny(all)
		return nil
	})
}

func (s *Server) untagQueue(r *request) (map[string]any, error) {
	qi, err := s.lookupQueue(r)
	if err != nil {
		return nil, err
	}
	keys, err := strList(r.params, "TagKeys")
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, missing("TagKeys")
	}
	return nil, s.changeArgs(qi.Name, func(args map[string]any) error {
		all := queueTags(args)
		for _, k := range keys {
			delete(all, k)
		}
		if len(all) == 0 {
			delete(args, argTags)
		} else {
			args[argTags] = tagsAny(all)
		}
		return nil
	})
}

func (s *Server) listQueueTags(r *request) (map[string]any, error) {
	qi, err := s.lookupQueue(r)
	if err != nil {
		return nil, err
	}
	tags := queueTags(qi.Args)
	if len(tags) == 0 {
		return nil, nil
	}
	return map[string]any{"Tags": tags}, nil
}

// AddPermission and RemovePermission are accepted and recorded (in the
// queue's x-sqs-permissions argument) but grant nothing: a local broker
// has one account, and access is by access key (SigV4) alone.

func (s *Server) addPermission(r *request) (map[string]any, error) {
	qi, err := s.lookupQueue(r)
	if err != nil {
		return nil, err
	}
	label, err := r.requiredStr("Label")
	if err != nil {
		return nil, err
	}
	if label == "" || len(label) > 80 || checkBatchID(label) != nil {
		return nil, invalid("Value %s for parameter Label is invalid. Reason: Must be 1 to 80 alphanumeric characters, hyphens or underscores.", label)
	}
	accounts, err := strList(r.params, "AWSAccountIds")
	if err != nil {
		return nil, err
	}
	if len(accounts) == 0 {
		return nil, missing("AWSAccountIds")
	}
	acts, err := strList(r.params, "Actions")
	if err != nil {
		return nil, err
	}
	if len(acts) == 0 {
		return nil, missing("Actions")
	}
	for _, a := range acts {
		if a != "*" && actions[a] == nil {
			return nil, invalid("Value %s for parameter ActionName is invalid.", a)
		}
	}
	return nil, s.changeArgs(qi.Name, func(args map[string]any) error {
		perms, _ := args[argPermissions].(map[string]any)
		if perms == nil {
			perms = map[string]any{}
		}
		if _, ok := perms[label]; ok {
			return invalid("Value %s for parameter Label is invalid. Reason: Already exists.", label)
		}
		perms[label] = map[string]any{"accounts": accounts, "actions": acts}
		args[argPermissions] = perms
		return nil
	})
}

func (s *Server) removePermission(r *request) (map[string]any, error) {
	qi, err := s.lookupQueue(r)
	if err != nil {
		return nil, err
	}
	label, err := r.requiredStr("Label")
	if err != nil {
		return nil, err
	}
	return nil, s.changeArgs(qi.Name, func(args map[string]any) error {
		perms, _ := args[argPermissions].(map[string]any)
		if _, ok := perms[label]; !ok {
			return invalid("Value %s for parameter Label is invalid. Reason: can't find label on existing policy.", label)
		}
		delete(perms, label)
		if len(perms) == 0 {
			delete(args, argPermissions)
		}
		return nil
	})
}
