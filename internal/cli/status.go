package cli

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// overview is what status reads of /api/overview.
type overview struct {
	ProductVersion string `json:"product_version"`
	Node           string `json:"node"`
	QueueTotals    struct {
		Messages int64 `json:"messages"`
		Ready    int64 `json:"messages_ready"`
		Unacked  int64 `json:"messages_unacknowledged"`
	} `json:"queue_totals"`
	ObjectTotals struct {
		Connections int `json:"connections"`
		Channels    int `json:"channels"`
		Consumers   int `json:"consumers"`
		Exchanges   int `json:"exchanges"`
		Queues      int `json:"queues"`
	} `json:"object_totals"`
	MessageStats struct {
		Publish           int64 `json:"publish"`
		PublishDetails    rate  `json:"publish_details"`
		DeliverGet        int64 `json:"deliver_get"`
		DeliverGetDetails rate  `json:"deliver_get_details"`
		Ack               int64 `json:"ack"`
		AckDetails        rate  `json:"ack_details"`
	} `json:"message_stats"`
	// Listeners is RabbitMQ's list of the node's listeners.
	Listeners []struct {
		Protocol  string `json:"protocol"`
		IPAddress string `json:"ip_address"`
		Port      int    `json:"port"`
	} `json:"listeners"`
	Store *struct {
		Bytes    int64 `json:"bytes"`
		Segments int64 `json:"segments"`
		Free     int64 `json:"data_dir_free_bytes"`
	} `json:"ferry_store"`
}

var statusCmd = &command{
	path: "status", summary: "show the node: version, uptime, totals, rates, disk", maxArgs: 0,
	about: `Shows the node: version, uptime, readiness, listeners, message totals and
rates, queues, connections and the durable store's size on disk. --json prints
/api/overview.`,
	setup: func(*flag.FlagSet) func(*session, []string) error {
		return func(s *session, _ []string) error {
			var o overview
			data, err := s.api.getJSON(s.ctx, "/api/overview", &o)
			if err != nil {
				return err
			}
			if s.json {
				return printJSON(s.io.Stdout, data)
			}
			w := tabwriter.NewWriter(s.io.Stdout, 0, 0, 2, ' ', 0)
			line := func(k, format string, a ...any) { fmt.Fprintf(w, "%s\t"+format+"\n", append([]any{k}, a...)...) }
			line("version", "%s", o.ProductVersion)
			line("node", "%s", o.Node)
			if start, err := s.startTime(); err == nil {
				line("uptime", "%s (since %s)", humanDuration(s.now().Sub(start)), start.UTC().Format(time.RFC3339))
			} else {
				line("uptime", "unknown (%v)", err)
			}
			line("ready", "%s", s.readiness())
			line("admin API", "%s", s.api.base)
			for _, l := range o.Listeners {
				line("listener", "%s on %s", l.Protocol, net.JoinHostPort(l.IPAddress, strconv.Itoa(l.Port)))
			}
			qt, ms := o.QueueTotals, o.MessageStats
			line("messages", "%d (ready %d, unacked %d)", qt.Messages, qt.Ready, qt.Unacked)
			line("rates", "publish %s, deliver %s, ack %s", humanRate(ms.PublishDetails.Rate), humanRate(ms.DeliverGetDetails.Rate), humanRate(ms.AckDetails.Rate))
			line("totals", "published %d, delivered %d, acked %d", ms.Publish, ms.DeliverGet, ms.Ack)
			ot := o.ObjectTotals
			line("queues", "%d (exchanges %d)", ot.Queues, ot.Exchanges)
			line("connections", "%d (channels %d, consumers %d)", ot.Connections, ot.Channels, ot.Consumers)
			if st := o.Store; st != nil {
				free := ""
				if st.Free > 0 {
					free = ", " + humanBytes(st.Free) + " free in the data folder"
				}
				line("disk", "%s in %s%s", humanBytes(st.Bytes), plural(int(st.Segments), "segment"), free)
			}
			return w.Flush()
		}
	},
}

// startTime reads when the node's process started from /metrics
// (process_start_time_seconds, which Prometheus' process collector
// exports): the admin API has no uptime of its own.
func (s *session) startTime() (time.Time, error) {
	data, err := s.api.call(s.ctx, http.MethodGet, "/metrics", nil, nil)
	if err != nil {
		return time.Time{}, err
	}
	return processStart(data)
}

// processStart finds process_start_time_seconds in a Prometheus text
// exposition.
func processStart(metrics []byte) (time.Time, error) {
	sc := bufio.NewScanner(bytes.NewReader(metrics))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || name != "process_start_time_seconds" {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("process_start_time_seconds %q: %v", value, err)
		}
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)), nil
	}
	return time.Time{}, errors.New("/metrics has no process_start_time_seconds")
}

// readiness asks /readyz: "yes", or why not.
func (s *session) readiness() string {
	_, err := s.api.call(s.ctx, http.MethodGet, "/readyz", nil, nil)
	var ae *apiError
	switch {
	case err == nil:
		return "yes"
	case errors.As(err, &ae) && ae.Status == http.StatusServiceUnavailable:
		return "no: " + ae.Reason
	case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
		return "unknown (this node has no /readyz)"
	}
	return "unknown (" + err.Error() + ")"
}
