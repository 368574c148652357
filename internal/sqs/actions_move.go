package sqs

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/ferrymq/ferry/internal/broker"
)

// Message move tasks (dead-letter redrive) run the engine's
// broker.Redrive on a goroutine: each message is published to its target
// and removed from the dead-letter queue only once stored. Without a
// DestinationArn, messages go back to the queue they died in (from their
// x-death headers). Tasks are kept in memory: a restart forgets them (the
// messages not yet moved stay in the dead-letter queue).

const (
	taskRunning    = "RUNNING"
	taskCompleted  = "COMPLETED"
	taskCancelling = "CANCELLING"
	taskCancelled  = "CANCELLED"
	taskFailed     = "FAILED"
)

// moveTask is one StartMessageMoveTask.
type moveTask struct {
	handle, sourceArn, destArn string
	rate                       int64
	toMove                     int64
	started                    int64 // ms
	cancel                     context.CancelFunc
	moved                      atomic.Int64

	// guarded by Server.mu
	status  string
	failure string
}

func (s *Server) startMessageMoveTask(r *request) (map[string]any, error) {
	src, err := r.requiredStr("SourceArn")
	if err != nil {
		return nil, err
	}
	srcName, ok := s.nameFromArn(src)
	if !ok {
		return nil, invalid("Value %s for parameter SourceArn is invalid.", src)
	}
	qi, err := s.b.QueueInfo(broker.DefaultVHost, srcName)
	if err != nil {
		return nil, fail(errResourceNotFound, "The resource that you specified for the SourceArn parameter doesn't exist.")
	}
	dest, _, err := r.str("DestinationArn")
	if err != nil {
		return nil, err
	}
	destName := ""
	if dest != "" {
		if destName, ok = s.nameFromArn(dest); !ok {
			return nil, invalid("Value %s for parameter DestinationArn is invalid.", dest)
		}
		if _, err := s.b.QueueInfo(broker.DefaultVHost, destName); err != nil {
			return nil, fail(errResourceNotFound, "The resource that you specified for the DestinationArn parameter doesn't exist.")
		}
	}
	rate, _, err := r.intParam("MaxNumberOfMessagesPerSecond", 1, 500)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &moveTask{
		handle: newUUID(), sourceArn: src, destArn: dest, rate: rate, toMove: int64(qi.Stats.Ready),
		started: time.Now().UnixMilli(), cancel: cancel, status: taskRunning,
	}
	s.mu.Lock()
	for _, o := range s.bySource[src] {
		if o.status == taskRunning || o.status == taskCancelling {
			s.mu.Unlock()
			cancel()
			return nil, invalid("There is already a task running. Only one active task is allowed for a source queue arn at a given time.")
		}
	}
	s.moves[t.handle] = t
	s.bySource[src] = append(s.bySource[src], t)
	s.tasks.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.tasks.Done()
		defer cancel()
		_, err := s.b.Redrive(ctx, broker.DefaultVHost, srcName, broker.RedriveOptions{
			To: destName, Limit: int(t.toMove), Rate: float64(rate),
			Progress: func(n int) { t.moved.Store(int64(n)) },
		})
		s.mu.Lock()
		defer s.mu.Unlock()
		switch {
		case errors.Is(err, context.Canceled):
			t.status = taskCancelled
		case err != nil:
			t.status, t.failure = taskFailed, err.Error()
		default:
			t.status = taskCompleted
		}
	}()
	return map[string]any{"TaskHandle": t.handle}, nil
}

func (s *Server) listMessageMoveTasks(r *request) (map[string]any, error) {
	src, err := r.requiredStr("SourceArn")
	if err != nil {
		return nil, err
	}
	maxN, given, err := r.intParam("MaxResults", 1, 10)
	if err != nil {
		return nil, err
	}
	if !given {
		maxN = 1
	}
	if name, ok := s.nameFromArn(src); !ok {
		return nil, invalid("Value %s for parameter SourceArn is invalid.", src)
	} else if _, err := s.b.QueueInfo(broker.DefaultVHost, name); err != nil {
		return nil, fail(errResourceNotFound, "The resource that you specified for the SourceArn parameter doesn't exist.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.bySource[src]
	results := []any{}
	for i := len(ts) - 1; i >= 0 && int64(len(results)) < maxN; i-- {
		t := ts[i]
		e := map[string]any{
			"Status": t.status, "SourceArn": t.sourceArn,
			"ApproximateNumberOfMessagesMoved":  t.moved.Load(),
			"ApproximateNumberOfMessagesToMove": t.toMove,
			"StartedTimestamp":                  t.started,
		}
		if t.status == taskRunning {
			e["TaskHandle"] = t.handle
		}
		if t.destArn != "" {
			e["DestinationArn"] = t.destArn
		}
		if t.rate > 0 {
			e["MaxNumberOfMessagesPerSecond"] = t.rate
		}
		if t.failure != "" {
			e["FailureReason"] = t.failure
		}
		results = append(results, e)
	}
	return map[string]any{"Results": results}, nil
}

func (s *Server) cancelMessageMoveTask(r *request) (map[string]any, error) {
	h, err := r.requiredStr("TaskHandle")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	t := s.moves[h]
	if t == nil {
		s.mu.Unlock()
		return nil, fail(errResourceNotFound, "Task does not exist.")
	}
	if t.status != taskRunning {
		s.mu.Unlock()
		return nil, fail(errUnsupportedOperation, "Only active tasks can be cancelled.")
	}
	t.status = taskCancelling
	s.mu.Unlock()
	t.cancel()
	return map[string]any{"ApproximateNumberOfMessagesMoved": t.moved.Load()}, nil
}
