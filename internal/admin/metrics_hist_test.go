package admin

import (
	"math"
	"net/http"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/ferrymq/ferry/internal/broker"
	"github.com/ferrymq/ferry/internal/clock"
	"github.com/ferrymq/ferry/internal/store/diskstore"
	"github.com/ferrymq/ferry/internal/store/memstore"
)

// histogram finds the histogram series of family name with all the
// labels given.
func histogram(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) *dto.Histogram {
	t.Helper()
	f := fams[name]
	if f == nil {
		t.Fatalf("no metric family %s", name)
	}
	if f.GetType() != dto.MetricType_HISTOGRAM {
		t.Fatalf("%s is a %v, not a histogram", name, f.GetType())
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
		return m.Histogram
	}
	t.Fatalf("no series of %s with labels %v", name, labels)
	return nil
}

// bucketAt is the cumulative count of h's bucket with upper bound le
// (compared with a relative tolerance: the bounds are products of
// floats).
func bucketAt(t *testing.T, h *dto.Histogram, le float64) uint64 {
	t.Helper()
	for _, b := range h.Bucket {
		if math.Abs(b.GetUpperBound()-le) <= le*1e-9 {
			return b.GetCumulativeCount()
		}
	}
	t.Fatalf("no bucket le=%v in %v", le, h.Bucket)
	return 0
}

// TestMetricsHistograms runs a known workload on a broker with a fake
// clock and a disk store, and checks the histograms and store gauges
// exactly: 5 publishes confirmed one at a time (5 fsyncs of 1 record
// each, confirmed at once by the fake clock), then 3 messages acked 2s
// of fake time after their publish.
func TestMetricsHistograms(t *testing.T) {
	fc := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	ds, err := diskstore.Open(t.TempDir(), diskstore.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	storeStats := func() StoreStats {
		st := ds.Stats()
		return StoreStats{Bytes: st.Bytes, Segments: st.Segments, FsyncTime: st.FsyncTime, FsyncRecords: st.FsyncRecords, Err: st.Err}
	}
	e := startWith(t, broker.Config{Durable: ds, Transient: memstore.New(), Clock: fc}, Config{Store: storeStats})
	t.Cleanup(func() { ds.Close() }) // after the broker (cleanups run last-in first-out)
	e.do("PUT", "/api/queues/%2F/h1", map[string]any{"durable": true}).want(t, http.StatusCreated, nil)
	_, ch := e.dial()
	publish(t, ch, "h1", nil, "1", "2", "3", "4", "5")

	fams := e.scrape(t)
	conf := histogram(t, fams, "ferry_publish_confirm_seconds", nil)
	if conf.GetSampleCount() != 5 || conf.GetSampleSum() != 0 || bucketAt(t, conf, 10e-6) != 5 {
		t.Errorf("publish_confirm: count %d sum %v ≤10µs %d; want 5, 0, 5", conf.GetSampleCount(), conf.GetSampleSum(), bucketAt(t, conf, 10e-6))
	}
	rec := histogram(t, fams, "ferry_store_fsync_batch_records", nil)
	if rec.GetSampleCount() != 5 || rec.GetSampleSum() != 5 || bucketAt(t, rec, 1) != 5 {
		t.Errorf("fsync_batch_records: count %d sum %v ≤1 %d; want 5, 5, 5", rec.GetSampleCount(), rec.GetSampleSum(), bucketAt(t, rec, 1))
	}
	if n := histogram(t, fams, "ferry_store_fsync_seconds", nil).GetSampleCount(); n != 5 {
		t.Errorf("fsync_seconds count = %d, want 5", n)
	}
	st := ds.Stats()
	if v, ok := value(t, fams, "ferry_store_segments", nil); !ok || v != 1 {
		t.Errorf("ferry_store_segments = %v (%v), want 1", v, ok)
	}
	if v, ok := value(t, fams, "ferry_store_bytes", nil); !ok || v != float64(st.Bytes) || st.Bytes == 0 {
		t.Errorf("ferry_store_bytes = %v (%v), want %d", v, ok, st.Bytes)
	}
	ov := e.do("GET", "/api/overview", nil).obj(t, http.StatusOK)
	if num(t, ov, "ferry_store", "segments") != 1 || num(t, ov, "ferry_store", "bytes") != float64(st.Bytes) {
		t.Errorf("overview ferry_store = %v, want 1 segment and %d bytes", ov["ferry_store"], st.Bytes)
	}

	var tags []uint64
	for range 3 {
		d, ok, err := ch.Get("h1", false)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		tags = append(tags, d.DeliveryTag)
	}
	fc.Advance(2 * time.Second)
	for _, tag := range tags {
		must(t, ch.Ack(tag, false))
	}
	must(t, ch.Qos(0, 0, false)) // a round trip: the acks are in
	fams = e.scrape(t)
	ack := histogram(t, fams, "ferry_queue_enqueue_to_ack_seconds", map[string]string{"vhost": "/", "queue": "h1"})
	// 2s falls in the bucket (1.6384s, 3.2768s] of 100µs·2^i.
	if ack.GetSampleCount() != 3 || ack.GetSampleSum() != 6 || bucketAt(t, ack, 1.6384) != 0 || bucketAt(t, ack, 3.2768) != 3 {
		t.Errorf("enqueue_to_ack: count %d sum %v ≤1.6384 %d ≤3.2768 %d; want 3, 6, 0, 3",
			ack.GetSampleCount(), ack.GetSampleSum(), bucketAt(t, ack, 1.6384), bucketAt(t, ack, 3.2768))
	}
	if v, _ := value(t, fams, "ferry_queue_acked_total", map[string]string{"queue": "h1"}); v != 3 {
		t.Errorf("acked_total = %v, want 3 (as the histogram's count)", v)
	}
}
