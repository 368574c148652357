package amqp

import (
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/ferrymq/ferry/internal/amqp/wire"
	"github.com/ferrymq/ferry/internal/queue"
)

// qkey names a queue across vhosts.
type qkey struct{ vhost, name string }

// consumer is one basic.consume: a queue.Consumer plus what AMQP adds.
type consumer struct {
	ch        *channel
	tag       string
	key       qkey
	q         *queue.Queue
	qc        *queue.Consumer // set by the reader once q.Consume returns
	noAck     bool
	exclusive bool
	prefetch  int         // its limit of unacked deliveries, 0 for none; read-only
	gone      atomic.Bool // its queue was deleted, or it timed out; the client was told
}

// registry lists the push consumers of this server by queue, for what the
// queue engine does not know about: exclusive consumers, auto-delete on
// the last cancel, and basic.cancel when a queue is deleted.
type registry struct {
	mu      sync.Mutex
	byQueue map[qkey][]*consumer // guarded by mu
}

func (r *registry) init() { r.byQueue = map[qkey][]*consumer{} }

// add registers c, unless an exclusive consumer holds its queue or c is
// exclusive and the queue has consumers (403, as RabbitMQ).
func (r *registry) add(c *consumer) *amqpError {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := r.byQueue[c.key]
	for _, o := range list {
		if o.q == c.q && (o.exclusive || c.exclusive) {
			return newErr(wire.AccessRefused, "queue '%s' in vhost '%s' in exclusive use", c.key.name, c.key.vhost)
		}
	}
	r.byQueue[c.key] = append(list, c)
	return nil
}

// remove forgets c; removing twice does nothing.
func (r *registry) remove(c *consumer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := r.byQueue[c.key]
	if i := slices.Index(list, c); i >= 0 {
		list = slices.Delete(list, i, i+1)
	}
	if len(list) == 0 {
		delete(r.byQueue, c.key)
	} else {
		r.byQueue[c.key] = list
	}
}

// takeQueue removes and returns the consumers of queue q, which is gone.
func (r *registry) takeQueue(key qkey, q *queue.Queue) []*consumer {
	r.mu.Lock()
	defer r.mu.Unlock()
	var gone, keep []*consumer
	for _, c := range r.byQueue[key] {
		if c.q == q {
			gone = append(gone, c)
		} else {
			keep = append(keep, c)
		}
	}
	if len(keep) == 0 {
		delete(r.byQueue, key)
	} else {
		r.byQueue[key] = keep
	}
	return gone
}

// queueDeleted tells the consumers of deleted queue q that they are
// cancelled (basic.cancel, for clients that announced
// consumer_cancel_notify). q may be nil when unknown; then nothing is
// sent.
func (s *Server) queueDeleted(vhost, name string, q *queue.Queue) {
	if q == nil {
		return
	}
	for _, c := range s.reg.takeQueue(qkey{vhost, name}, q) {
		c.gone.Store(true)
		c.ch.notifyCancel(c.tag)
	}
}

// maybeAutoDelete deletes queue name if it is auto-delete and has no
// consumers left, as RabbitMQ does when the last consumer goes.
func (s *Server) maybeAutoDelete(vhost, name string) {
	info, err := s.broker.QueueInfo(vhost, name)
	if err != nil || !info.AutoDelete || info.Stats.Consumers > 0 {
		return
	}
	q, _ := s.broker.Queue(vhost, name)
	if _, err := s.broker.DeleteQueue(vhost, name, true, false); err != nil {
		s.logger.Debug("auto-delete skipped", slog.String("queue", name), slog.Any("err", err))
		return
	}
	s.logger.Info("auto-delete queue deleted", slog.String("vhost", vhost), slog.String("queue", name))
	s.queueDeleted(vhost, name, q)
}
