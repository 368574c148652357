package admin

import (
	"sync"
	"time"

	"github.com/ferrymq/ferry/internal/broker"
	"github.com/ferrymq/ferry/internal/queue"
)

// sampler keeps, per queue, the counters read at the last two samples,
// so that *_details.rate is the rate over the last interval (RabbitMQ's
// default sample shows the same). Queues gone since are forgotten.
type sampler struct {
	mu    sync.Mutex
	last  map[qname]sample // guarded by mu
	rates map[qname]rates  // guarded by mu
}

type qname struct{ vhost, name string }

type sample struct {
	at                                     time.Time
	published, delivered, acked, redeliver uint64
	depth                                  int // ready + unacked
}

// rates are per second over the last interval.
type rates struct {
	published, delivered, acked, redeliver, depth float64
}

func newSampler() *sampler {
	return &sampler{last: map[qname]sample{}, rates: map[qname]rates{}}
}

func sampleOf(st queue.Stats, at time.Time) sample {
	return sample{at: at, published: st.Published, delivered: st.Delivered, acked: st.Acked, redeliver: st.Redelivered, depth: st.Ready + st.Unacked}
}

// sample reads every queue of b at now.
func (s *sampler) sample(b *broker.Broker, now time.Time) {
	seen := map[qname]bool{}
	var cur []struct {
		k qname
		v sample
	}
	for _, vh := range b.VHosts() {
		for _, q := range b.Queues(vh) {
			k := qname{vh, q.Name}
			seen[k] = true
			cur = append(cur, struct {
				k qname
				v sample
			}{k, sampleOf(q.Stats, now)})
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range cur {
		if p, ok := s.last[c.k]; ok {
			if d := c.v.at.Sub(p.at).Seconds(); d > 0 {
				s.rates[c.k] = rates{
					published: float64(c.v.published-p.published) / d,
					delivered: float64(c.v.delivered-p.delivered) / d,
					acked:     float64(c.v.acked-p.acked) / d,
					redeliver: float64(c.v.redeliver-p.redeliver) / d,
					depth:     float64(c.v.depth-p.depth) / d,
				}
			}
		}
		s.last[c.k] = c.v
	}
	for k := range s.last {
		if !seen[k] {
			delete(s.last, k)
			delete(s.rates, k)
		}
	}
}

// of returns the rates of queue name in vhost (zero before two samples).
func (s *sampler) of(vhost, name string) rates {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rates[qname{vhost, name}]
}
