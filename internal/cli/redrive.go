package cli

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// pollInterval is how often a redrive's progress is read while waiting.
const pollInterval = 250 * time.Millisecond

// redriveTask is a redrive task as /api/ferry/redrives/{id} shows it.
type redriveTask struct {
	ID         string     `json:"id"`
	Queue      string     `json:"queue"`
	To         string     `json:"to"`
	Total      int        `json:"total"`
	Moved      int        `json:"moved"`
	State      string     `json:"state"`
	Error      string     `json:"error"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
}

func (t *redriveTask) ended() bool { return t.State != "" && t.State != "running" }

// dryRunAnswer is the redrive endpoint's answer to dry_run.
type dryRunAnswer struct {
	Total    int            `json:"total"`
	Targets  map[string]int `json:"targets"`
	NoTarget int            `json:"no_target"`
}

var dlqRedrive = &command{
	path: "dlq redrive", args: "QUEUE", summary: "move dead letters back, with progress", minArgs: 1, maxArgs: 1,
	about: `Moves the messages of a dead-letter queue back to the queues they died in
(or all to --to), oldest first: each is stored in its target before it leaves
QUEUE. --limit moves at most that many, --rate caps the pace (messages a
second), --match header=value (repeatable) moves only the messages whose every
named header has that value (as text) and leaves the others in place.
--dry-run counts what would move where and moves nothing.

It starts a task on the node, then follows it: a progress bar on stderr when
stderr is a terminal, "moved N/M" lines otherwise, and a summary at the end.
It exits 1 if the task failed. --no-wait prints the task and returns at once;
the task also keeps running if this command is interrupted (see it with
--json and the API's /api/ferry/redrives).`,
	setup: func(fs *flag.FlagSet) func(*session, []string) error {
		to := fs.String("to", "", "send every message to `queue` instead of where it died")
		limit := fs.Int("limit", 0, "move at most `n` messages (0: all that are there now)")
		rateFlag := fs.Float64("rate", 0, "at most `r` messages a second (0: as fast as stored)")
		var match listFlag
		fs.Var(&match, "match", "move only messages with header `key=value` (repeatable)")
		dry := fs.Bool("dry-run", false, "count what would move, move nothing")
		noWait := fs.Bool("no-wait", false, "start the task and return")
		return func(s *session, pos []string) error {
			if *limit < 0 {
				return usageErrorf("--limit must not be negative, got %d", *limit)
			}
			if *rateFlag < 0 {
				return usageErrorf("--rate must not be negative, got %v", *rateFlag)
			}
			body := map[string]any{"to": *to, "limit": *limit, "rate": *rateFlag, "dry_run": *dry}
			if len(match) > 0 {
				hs := map[string]string{}
				for _, kv := range match {
					k, v, err := keyValue("match", kv)
					if err != nil {
						return err
					}
					hs[k] = v
				}
				body["match"] = map[string]any{"headers": hs}
			}
			path := apiPath("api", "ferry", "queues", s.vhost, pos[0], "redrive")
			if *dry {
				var a dryRunAnswer
				data, err := s.api.sendJSON(s.ctx, http.MethodPost, path, body, &a)
				if err != nil {
					return err
				}
				if s.json {
					return printJSON(s.io.Stdout, data)
				}
				printDryRun(s.io.Stdout, pos[0], a)
				return nil
			}
			var t redriveTask
			data, err := s.api.sendJSON(s.ctx, http.MethodPost, path, body, &t)
			if err != nil {
				return err
			}
			if *noWait {
				if s.json {
					return printJSON(s.io.Stdout, data)
				}
				fmt.Fprintf(s.io.Stdout, "redrive %s started: %s from %s\n", t.ID, plural(t.Total, "message"), pos[0])
				return nil
			}
			return s.followRedrive(t, data)
		}
	},
}

func printDryRun(w io.Writer, queue string, a dryRunAnswer) {
	targets := make([]string, 0, len(a.Targets))
	for q := range a.Targets {
		targets = append(targets, q)
	}
	sort.Strings(targets)
	t := newTable(w, "TARGET", "MESSAGES")
	for _, q := range targets {
		t.row(q, strconv.Itoa(a.Targets[q]))
	}
	if a.NoTarget > 0 {
		t.row("(no target: the redrive would stop here)", strconv.Itoa(a.NoTarget))
	}
	t.flush()
	fmt.Fprintf(w, "dry run: %s would move from %s; nothing was moved\n", plural(a.Total, "message"), queue)
}

// followRedrive polls task t, whose JSON the start answered as data,
// until it ends, drawing progress on stderr, then prints the summary (or
// the task's last JSON) on stdout. Ctrl-C (s.ctx) stops the polling, not
// the task.
func (s *session) followRedrive(t redriveTask, data []byte) error {
	p := newProgress(s.io.Stderr, s.io.StderrIsTerminal)
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		p.update(t.Moved, t.Total)
		if t.ended() {
			break
		}
		select {
		case <-s.ctx.Done():
			p.done()
			return s.ctx.Err()
		case <-tick.C:
		}
		var err error
		if data, err = s.api.getJSON(s.ctx, apiPath("api", "ferry", "redrives", t.ID), &t); err != nil {
			p.done()
			return err
		}
	}
	p.done()
	if s.json && data != nil {
		if err := printJSON(s.io.Stdout, data); err != nil {
			return err
		}
	} else if !s.json {
		printRedriveSummary(s.io.Stdout, t)
	}
	if t.State != "done" {
		msg := fmt.Sprintf("redrive %s %s after moving %d of %d", t.ID, t.State, t.Moved, t.Total)
		if t.Error != "" {
			msg += ": " + t.Error
		}
		fmt.Fprintf(s.io.Stderr, "ferry dlq redrive: %s\n", msg)
		return &failedError{msg}
	}
	return nil
}

func printRedriveSummary(w io.Writer, t redriveTask) {
	to := "back to the queues they died in"
	if t.To != "" {
		to = "to " + t.To
	}
	took := ""
	if t.FinishedAt != nil {
		d := t.FinishedAt.Sub(t.StartedAt)
		took = ", took " + humanDuration(d)
		// A rate over a few milliseconds says nothing.
		if d >= 100*time.Millisecond && t.Moved > 0 {
			took += " (" + humanRate(float64(t.Moved)/d.Seconds()) + ")"
		}
	}
	fmt.Fprintf(w, "redrive %s %s: moved %d of %s from %s %s%s\n", t.ID, t.State, t.Moved, plural(t.Total, "message"), t.Queue, to, took)
}

// plural writes "1 message", "2 messages".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// progress shows a redrive's progress: a bar redrawn in place on a
// terminal, else a "moved N/M" line each time the count changes.
type progress struct {
	w     io.Writer
	tty   bool
	last  int
	drawn bool
	start time.Time
}

func newProgress(w io.Writer, tty bool) *progress {
	return &progress{w: w, tty: tty, last: -1, start: time.Now()}
}

func (p *progress) update(moved, total int) {
	if moved == p.last {
		return
	}
	p.last = moved
	if !p.tty {
		fmt.Fprintf(p.w, "moved %d/%d\n", moved, total)
		return
	}
	rate := 0.0
	if secs := time.Since(p.start).Seconds(); secs > 0 {
		rate = float64(moved) / secs
	}
	fmt.Fprintf(p.w, "\r%s %d/%d %s ", bar(moved, total, 30), moved, total, humanRate(rate))
	p.drawn = true
}

// done ends the bar's line.
func (p *progress) done() {
	if p.tty && p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

// bar draws moved of total as "[#####-----] 50%" width cells wide.
func bar(moved, total, width int) string {
	frac := 1.0
	if total > 0 {
		frac = min(1, float64(moved)/float64(total))
	}
	n := int(frac * float64(width))
	return fmt.Sprintf("[%s%s] %3.0f%%", strings.Repeat("#", n), strings.Repeat("-", width-n), frac*100)
}
