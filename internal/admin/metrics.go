package admin

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ferrymq/ferry/internal/hist"
	"github.com/ferrymq/ferry/internal/queue"
)

// otherQueue is the queue label under which the queues past
// Config.MetricsMaxQueues are summed, per vhost.
const otherQueue = "_other"

var (
	qLabels = []string{"vhost", "queue"}

	descMessages = prometheus.NewDesc("ferry_queue_messages",
		"Messages in the queue by state: ready (held back by a FIFO group included), unacked (leased), delayed, dead (waiting to move to their dead-letter target).",
		append(qLabels, "state"), nil)
	descConsumers = prometheus.NewDesc("ferry_queue_consumers", "Push consumers of the queue.", qLabels, nil)
	descOldest    = prometheus.NewDesc("ferry_queue_oldest_message_age_seconds",
		"How long the oldest ready message has waited; 0 when none is ready.", qLabels, nil)
	descPublished   = prometheus.NewDesc("ferry_queue_published_total", "Messages published to the queue (duplicates not included).", qLabels, nil)
	descDelivered   = prometheus.NewDesc("ferry_queue_delivered_total", "Deliveries, pushed or got, redeliveries included.", qLabels, nil)
	descAcked       = prometheus.NewDesc("ferry_queue_acked_total", "Messages acknowledged (or delivered to no-ack consumers).", qLabels, nil)
	descRedelivered = prometheus.NewDesc("ferry_queue_redelivered_total", "Deliveries of messages delivered before.", qLabels, nil)
	descNacked      = prometheus.NewDesc("ferry_queue_rejected_total", "Messages nacked or rejected without requeue.", qLabels, nil)
	descDead        = prometheus.NewDesc("ferry_queue_dead_lettered_total", "Messages that died, by reason (rejected, expired, maxlen, delivery_limit).",
		append(qLabels, "reason"), nil)
	descExpired = prometheus.NewDesc("ferry_queue_expired_total", "Messages whose TTL passed.", qLabels, nil)
	descDedup   = prometheus.NewDesc("ferry_queue_deduplicated_total", "Publishes dropped as duplicates.", qLabels, nil)
	descQueues  = prometheus.NewDesc("ferry_queues", "Queues, per vhost (all of them, also those summed under queue=\"_other\").", []string{"vhost"}, nil)

	descConns    = prometheus.NewDesc("ferry_connections", "Open AMQP connections.", nil, nil)
	descChannels = prometheus.NewDesc("ferry_channels", "Open AMQP channels.", nil, nil)
	descBytesIn  = prometheus.NewDesc("ferry_received_bytes_total", "Bytes read from AMQP sockets.", nil, nil)
	descBytesOut = prometheus.NewDesc("ferry_sent_bytes_total", "Bytes written to AMQP sockets.", nil, nil)

	descAckLatency = prometheus.NewDesc("ferry_queue_enqueue_to_ack_seconds",
		"Time from a message's enqueue (its publish, or the queue's start for one found in the log) to its ack; a no-ack delivery counts as the ack.", qLabels, nil)
	descConfirm = prometheus.NewDesc("ferry_publish_confirm_seconds",
		"Time from a publish (AMQP or SQS) to its confirmation, once every queue it was routed to has stored it.", nil, nil)
	descFsync        = prometheus.NewDesc("ferry_store_fsync_seconds", "Duration of each fsync of a disk-store segment.", nil, nil)
	descFsyncRecords = prometheus.NewDesc("ferry_store_fsync_batch_records", "Records made durable by each fsync (group commit).", nil, nil)
	descStoreBytes   = prometheus.NewDesc("ferry_store_bytes", "Bytes in the disk store's segment files, live or not.", nil, nil)
	descStoreSegs    = prometheus.NewDesc("ferry_store_segments", "Segment files in the disk store.", nil, nil)
)

// collector builds the metrics at scrape time from the broker's queue
// stats and the AMQP server's, so that nothing is counted twice and the
// engine stays free of Prometheus.
type collector struct{ s *Server }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descMessages, descConsumers, descOldest, descPublished, descDelivered, descAcked,
		descRedelivered, descNacked, descDead, descExpired, descDedup, descQueues, descConns, descChannels, descBytesIn, descBytesOut,
		descAckLatency, descConfirm, descFsync, descFsyncRecords, descStoreBytes, descStoreSegs} {
		ch <- d
	}
}

// qsum is what one series set shows: a queue's stats, or the sum of the
// queues past the cap.
type qsum struct {
	ready, unacked, delayed, dead, consumers                             int
	oldest                                                               float64
	published, delivered, acked, redelivered, rejected, expired, deduped uint64
	died                                                                 [queue.ReasonDeliveryLimit + 1]uint64
	ackLatency                                                           hist.Counts
}

func (q *qsum) add(st queue.Stats) {
	q.ready += st.Ready
	q.unacked += st.Unacked
	q.delayed += st.Delayed
	q.dead += st.Dead
	q.consumers += st.Consumers
	q.oldest = max(q.oldest, st.OldestReadyAge.Seconds())
	q.published += st.Published
	q.delivered += st.Delivered
	q.acked += st.Acked
	q.redelivered += st.Redelivered
	q.rejected += st.Rejected
	q.expired += st.Expired
	q.deduped += st.Deduplicated
	for i, n := range st.DeadLettered {
		q.died[i] += n
	}
	q.ackLatency.Merge(st.AckLatency)
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	n := 0
	for _, vh := range c.s.broker.VHosts() {
		qs := c.s.broker.Queues(vh)
		ch <- prometheus.MustNewConstMetric(descQueues, prometheus.GaugeValue, float64(len(qs)), vh)
		var other qsum
		others := false
		for _, q := range qs {
			if n >= c.s.cfg.MetricsMaxQueues {
				other.add(q.Stats)
				others = true
				continue
			}
			n++
			var one qsum
			one.add(q.Stats)
			emit(ch, &one, vh, q.Name)
		}
		if others {
			emit(ch, &other, vh, otherQueue)
		}
	}
	if c.s.amqp != nil {
		st := c.s.amqp.Stats()
		ch <- prometheus.MustNewConstMetric(descConns, prometheus.GaugeValue, float64(st.Connections))
		ch <- prometheus.MustNewConstMetric(descChannels, prometheus.GaugeValue, float64(st.Channels))
		ch <- prometheus.MustNewConstMetric(descBytesIn, prometheus.CounterValue, float64(st.BytesIn))
		ch <- prometheus.MustNewConstMetric(descBytesOut, prometheus.CounterValue, float64(st.BytesOut))
	}
	ch <- constHistogram(descConfirm, c.s.broker.PublishStats().ConfirmLatency, 1e-9)
	if c.s.cfg.Store != nil {
		st := c.s.cfg.Store()
		ch <- constHistogram(descFsync, st.FsyncTime, 1e-9)
		ch <- constHistogram(descFsyncRecords, st.FsyncRecords, 1)
		ch <- prometheus.MustNewConstMetric(descStoreBytes, prometheus.GaugeValue, float64(st.Bytes))
		ch <- prometheus.MustNewConstMetric(descStoreSegs, prometheus.GaugeValue, float64(st.Segments))
	}
}

// constHistogram turns the engine's plain histogram h into a Prometheus
// one; scale converts h's unit (nanoseconds: 1e-9 for seconds).
func constHistogram(d *prometheus.Desc, h hist.Counts, scale float64, labels ...string) prometheus.Metric {
	buckets := make(map[float64]uint64, h.Layout.N)
	h.Cumulative(func(upper int64, n uint64) { buckets[float64(upper)*scale] = n })
	return prometheus.MustNewConstHistogram(d, h.Count, float64(h.Sum)*scale, buckets, labels...)
}

func emit(ch chan<- prometheus.Metric, q *qsum, vh, name string) {
	g := func(d *prometheus.Desc, v float64, extra ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append([]string{vh, name}, extra...)...)
	}
	c := func(d *prometheus.Desc, v uint64, extra ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), append([]string{vh, name}, extra...)...)
	}
	g(descMessages, float64(q.ready), "ready")
	g(descMessages, float64(q.unacked), "unacked")
	g(descMessages, float64(q.delayed), "delayed")
	g(descMessages, float64(q.dead), "dead")
	g(descConsumers, float64(q.consumers))
	g(descOldest, q.oldest)
	c(descPublished, q.published)
	c(descDelivered, q.delivered)
	c(descAcked, q.acked)
	c(descRedelivered, q.redelivered)
	c(descNacked, q.rejected)
	c(descExpired, q.expired)
	c(descDedup, q.deduped)
	for r := queue.ReasonRejected; r <= queue.ReasonDeliveryLimit; r++ {
		c(descDead, q.died[r], r.String())
	}
	ack := q.ackLatency
	if ack.Layout == (hist.Layout{}) {
		ack = hist.New(queue.AckLatencyLayout) // no queue was summed in
	}
	ch <- constHistogram(descAckLatency, ack, 1e-9, vh, name)
}

// metricsHandler serves /metrics from a registry of its own: the queue
// collector, and Go's and the process's.
func (s *Server) metricsHandler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector{s}, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: nil})
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request, _ params) { s.metric.ServeHTTP(w, r) }
