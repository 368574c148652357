package admin

import (
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads /metrics and parses it.
func (e *env) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	r := e.doAs("", "", "GET", "/metrics", nil)
	if r.status != http.StatusOK {
		t.Fatalf("/metrics: %d", r.status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(r.body)))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// value finds the series of family name with all the labels given.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		got := map[string]string{}
		for _, l := range m.Label {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if got[k] != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		}
	}
	return 0, false
}

func TestMetrics(t *testing.T) {
	e := start(t, Config{})
	e.do("PUT", "/api/queues/%2F/m1", nil).want(t, http.StatusCreated, nil)
	_, ch := e.dial()
	publish(t, ch, "m1", nil, "1", "2", "3", "4", "5")
	for range 2 {
		d, ok, err := ch.Get("m1", false)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		must(t, d.Ack(false))
	}
	d, _, err := ch.Get("m1", false) // one left unacked
	must(t, err)
	_ = d
	must(t, ch.Qos(0, 0, false)) // a round trip: the acks are in
	fams := e.scrape(t)
	q := map[string]string{"vhost": "/", "queue": "m1"}
	with := func(k, v string) map[string]string {
		m := map[string]string{"vhost": "/", "queue": "m1", k: v}
		return m
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"ferry_queue_messages", with("state", "ready"), 2},
		{"ferry_queue_messages", with("state", "unacked"), 1},
		{"ferry_queue_messages", with("state", "delayed"), 0},
		{"ferry_queue_messages", with("state", "dead"), 0},
		{"ferry_queue_consumers", q, 0},
		{"ferry_queue_published_total", q, 5},
		{"ferry_queue_delivered_total", q, 3},
		{"ferry_queue_acked_total", q, 2},
		{"ferry_queue_redelivered_total", q, 0},
		{"ferry_queue_dead_lettered_total", with("reason", "rejected"), 0},
		{"ferry_queue_expired_total", q, 0},
		{"ferry_queue_deduplicated_total", q, 0},
		{"ferry_queues", map[string]string{"vhost": "/"}, 1},
		{"ferry_connections", nil, 1},
		{"ferry_channels", nil, 1},
	} {
		got, ok := value(t, fams, c.name, c.labels)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (found %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	if f := fams["ferry_queue_published_total"]; f == nil || f.GetType() != dto.MetricType_COUNTER {
		t.Errorf("ferry_queue_published_total is not a counter: %v", f)
	}
	if v, ok := value(t, fams, "ferry_received_bytes_total", nil); !ok || v == 0 {
		t.Errorf("ferry_received_bytes_total = %v, %v", v, ok)
	}
	// Histograms count exactly what happened: 2 acks, 5 confirms.
	if n := histogram(t, fams, "ferry_queue_enqueue_to_ack_seconds", q).GetSampleCount(); n != 2 {
		t.Errorf("enqueue_to_ack count = %d, want 2", n)
	}
	if n := histogram(t, fams, "ferry_publish_confirm_seconds", nil).GetSampleCount(); n != 5 {
		t.Errorf("publish_confirm count = %d, want 5", n)
	}
	// Without a disk store there are no store series.
	if fams["ferry_store_bytes"] != nil || fams["ferry_store_fsync_seconds"] != nil {
		t.Errorf("store series without a store: %v %v", fams["ferry_store_bytes"], fams["ferry_store_fsync_seconds"])
	}
}

func TestMetricsCap(t *testing.T) {
	e := start(t, Config{MetricsMaxQueues: 2})
	_, ch := e.dial()
	for _, n := range []string{"a", "b", "c", "d"} {
		e.do("PUT", "/api/queues/%2F/"+n, nil).want(t, http.StatusCreated, nil)
	}
	publish(t, ch, "c", nil, "1")
	publish(t, ch, "d", nil, "1", "2")
	fams := e.scrape(t)
	queues := map[string]bool{}
	for _, m := range fams["ferry_queue_published_total"].Metric {
		for _, l := range m.Label {
			if l.GetName() == "queue" {
				queues[l.GetValue()] = true
			}
		}
	}
	if len(queues) != 3 || !queues["a"] || !queues["b"] || !queues["_other"] {
		t.Errorf("queues with series = %v, want a, b, _other", queues)
	}
	if v, _ := value(t, fams, "ferry_queue_published_total", map[string]string{"queue": "_other"}); v != 3 {
		t.Errorf("_other published = %v, want 3", v)
	}
	if v, _ := value(t, fams, "ferry_queue_messages", map[string]string{"queue": "_other", "state": "ready"}); v != 3 {
		t.Errorf("_other ready = %v, want 3", v)
	}
	if v, _ := value(t, fams, "ferry_queues", map[string]string{"vhost": "/"}); v != 4 {
		t.Errorf("ferry_queues = %v, want 4", v)
	}
	// The enqueue→ack histogram is capped alike.
	if n := len(fams["ferry_queue_enqueue_to_ack_seconds"].Metric); n != 3 {
		t.Errorf("enqueue_to_ack series = %d, want 3 (a, b, _other)", n)
	}
}
