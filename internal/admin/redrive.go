package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferrymq/ferry/internal/broker"
	"github.com/ferrymq/ferry/internal/message"
	"github.com/ferrymq/ferry/internal/queue"
)

// Redrive task states.
const (
	taskRunning  = "running"
	taskDone     = "done"
	taskFailed   = "failed"
	taskCanceled = "canceled"
)

// task is one redrive started through the API, running in the
// background.
type task struct {
	ID      string    `json:"id"`
	VHost   string    `json:"vhost"`
	Queue   string    `json:"queue"`
	To      string    `json:"to"`
	Limit   int       `json:"limit"`
	Rate    float64   `json:"rate"`
	Total   int       `json:"total"` // how many it means to move
	Started time.Time `json:"started_at"`
	// Match is the header filter, if any (as given, in text form).
	Match map[string]string `json:"match,omitempty"`

	moved atomic.Int64
	done  chan struct{} // closed when it ends

	mu       sync.Mutex
	state    string    // guarded by mu
	err      string    // guarded by mu
	finished time.Time // guarded by mu
}

// taskJSON is a task's progress.
type taskJSON struct {
	*task
	Moved    int        `json:"moved"`
	State    string     `json:"state"`
	Error    string     `json:"error,omitempty"`
	Finished *time.Time `json:"finished_at,omitempty"`
}

func (t *task) view() taskJSON {
	t.mu.Lock()
	defer t.mu.Unlock()
	v := taskJSON{task: t, Moved: int(t.moved.Load()), State: t.state, Error: t.err}
	if !t.finished.IsZero() {
		f := t.finished
		v.Finished = &f
	}
	return v
}

// tasks are the redrives started since the server began.
type tasks struct {
	mu   sync.Mutex
	seq  int
	all  []*task // guarded by mu; in start order
	runs sync.WaitGroup
}

func newTasks() *tasks { return &tasks{} }

func (ts *tasks) get(id string) *task {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, t := range ts.all {
		if t.ID == id {
			return t
		}
	}
	return nil
}

func (ts *tasks) wait() { ts.runs.Wait() }

type redriveRequest struct {
	To     string         `json:"to"`
	Limit  int            `json:"limit"`
	Rate   float64        `json:"rate"`
	DryRun bool           `json:"dry_run"`
	Match  map[string]any `json:"match"` // {"headers": {name: value}}
}

// headerMatch checks req.Match and returns its headers in text form (nil
// without a match), or what is wrong with it.
func (req *redriveRequest) headerMatch() (map[string]string, error) {
	if req.Match == nil {
		return nil, nil
	}
	for k := range req.Match {
		if k != "headers" {
			return nil, fmt.Errorf("match: unknown key '%s' (match takes headers)", k)
		}
	}
	hs, ok := req.Match["headers"].(map[string]any)
	if !ok || len(hs) == 0 {
		return nil, fmt.Errorf("match.headers must be an object naming at least one header, e.g. {\"headers\": {\"tenant\": \"acme\"}}")
	}
	out := make(map[string]string, len(hs))
	for k, v := range hs {
		switch x := v.(type) {
		case string:
			out[k] = x
		case json.Number:
			out[k] = x.String()
		case bool:
			out[k] = strconv.FormatBool(x)
		default:
			return nil, fmt.Errorf("match.headers.%s: want a string, number or boolean, got %s", k, valueKind(v))
		}
	}
	return out, nil
}

// valueKind names the JSON type of a value a match may not hold.
func valueKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return fmt.Sprintf("%T", v)
}

// startRedrive answers POST /api/ferry/queues/{vhost}/{name}/redrive:
// 202 with the task, which runs broker.Redrive in the background; with
// dry_run, 200 with how many messages would go to which queue.
func (s *Server) startRedrive(w http.ResponseWriter, r *http.Request, p params) {
	var req redriveRequest
	if !readJSON(w, r, &req) {
		return
	}
	if req.Limit < 0 || req.Rate < 0 {
		writeError(w, http.StatusBadRequest, "bad_request", "limit and rate must not be negative")
		return
	}
	match, err := req.headerMatch()
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	vh, name := p.get("vhost"), p.get("name")
	info, err := s.broker.QueueInfo(vh, name)
	if err != nil {
		writeBrokerError(w, err)
		return
	}
	if req.To != "" {
		if _, err := s.broker.QueueInfo(vh, req.To); err != nil {
			writeBrokerError(w, err)
			return
		}
	}
	total := info.Stats.Ready
	if req.Limit > 0 {
		total = min(total, req.Limit)
	}
	if req.DryRun || match != nil {
		// A filtered redrive means to move the matches: count them.
		c, err := s.countRedrive(vh, name, req.To, match, total)
		if err != nil {
			writeBrokerError(w, err)
			return
		}
		if req.DryRun {
			writeJSON(w, http.StatusOK, map[string]any{"dry_run": true, "vhost": vh, "queue": name, "total": c.total,
				"targets": c.targets, "no_target": c.noTarget})
			return
		}
		total = c.total
	}
	ts := s.tasks
	ts.mu.Lock()
	ts.seq++
	t := &task{ID: fmt.Sprintf("redrive-%d", ts.seq), VHost: vh, Queue: name, To: req.To, Limit: req.Limit, Rate: req.Rate,
		Total: total, Started: time.Now().UTC(), Match: match, done: make(chan struct{}), state: taskRunning}
	ts.all = append(ts.all, t)
	ts.runs.Add(1)
	ts.mu.Unlock()
	s.logger.Info("redrive started", "task", t.ID, "user", p.user, "vhost", vh, "queue", name, "to", req.To, "limit", req.Limit, "match", match)
	go func() {
		defer ts.runs.Done()
		moved, err := s.broker.Redrive(s.ctx, vh, name, broker.RedriveOptions{
			To: req.To, Limit: total, Rate: req.Rate, Match: match,
			Progress: func(n int) { t.moved.Store(int64(n)) },
		})
		t.mu.Lock()
		t.moved.Store(int64(moved))
		t.state, t.finished = taskDone, time.Now().UTC()
		if err != nil {
			t.state, t.err = taskFailed, err.Error()
			if s.ctx.Err() != nil {
				t.state = taskCanceled
			}
		}
		t.mu.Unlock()
		close(t.done)
		s.logger.Info("redrive ended", "task", t.ID, "moved", moved, "err", err)
	}()
	w.Header().Set("Location", "/api/ferry/redrives/"+t.ID)
	writeJSON(w, http.StatusAccepted, t.view())
}

// redriveCount is what a redrive would move: how many, by target queue
// (to, else each message's x-last-death-queue, else x-first-death-queue),
// and how many have no target (the real redrive would stop at them).
type redriveCount struct {
	total, noTarget int
	targets         map[string]int
}

// countRedrive counts the ready messages of queue name that a redrive
// would move, up to limit, in order: with match only those whose headers
// match (broker.MatchHeaders).
func (s *Server) countRedrive(vh, name, to string, match map[string]string, limit int) (redriveCount, error) {
	c := redriveCount{targets: map[string]int{}}
	q, err := s.broker.Queue(vh, name)
	if err != nil {
		return c, err
	}
	var after uint64
	for c.total < limit {
		page, err := q.Browse(after, maxBrowseLimit, to == "" || match != nil)
		if err != nil {
			return c, err
		}
		if len(page) == 0 {
			break
		}
		after = page[len(page)-1].ID
		for _, mi := range page {
			if c.total == limit {
				break
			}
			if mi.State != queue.StateReady && mi.State != queue.StateHeld {
				continue
			}
			var m *message.Message
			if mi.Data != nil {
				m, _ = message.Decode(mi.Data)
			}
			if match != nil && (m == nil || !broker.MatchHeaders(m.Properties.Headers, match)) {
				continue
			}
			c.total++
			target := to
			if target == "" {
				target = deathTarget(m)
			}
			if target == "" {
				c.noTarget++
				continue
			}
			c.targets[target]++
		}
	}
	return c, nil
}

func deathTarget(m *message.Message) string {
	if m == nil {
		return ""
	}
	for _, h := range []string{"x-last-death-queue", "x-first-death-queue"} {
		if v, ok := m.Properties.Headers.Get(h); ok {
			if s, ok := v.(string); ok && s != "" {
				return s
			}
		}
	}
	return ""
}

func (s *Server) listRedrives(w http.ResponseWriter, _ *http.Request, _ params) {
	s.tasks.mu.Lock()
	all := slices.Clone(s.tasks.all)
	s.tasks.mu.Unlock()
	out := make([]taskJSON, 0, len(all))
	for _, t := range all {
		out = append(out, t.view())
	}
	writeJSON(w, http.StatusOK, out)
}

// getRedrive answers a task's progress; with ?wait=true it answers once
// the task has ended (or the request is cancelled), so that a client
// awaits it without polling.
func (s *Server) getRedrive(w http.ResponseWriter, r *http.Request, p params) {
	t := s.tasks.get(p.get("id"))
	if t == nil {
		writeError(w, http.StatusNotFound, "Object Not Found", "no redrive '"+p.get("id")+"'")
		return
	}
	if boolParam(r, "wait") {
		select {
		case <-t.done:
		case <-r.Context().Done():
		}
	}
	writeJSON(w, http.StatusOK, t.view())
}
