package queue

import (
	"fmt"
	"math"
	"time"
)

// Policy is a queue's delivery rules. The zero Policy behaves as a
// RabbitMQ classic queue: immediate requeue, no delivery limit, no TTL, no
// length limit, no leases that end by themselves.
type Policy struct {
	// MaxDeliveries bounds the deliveries of a message: when a delivery
	// that reached it fails (nack with requeue, an expired lease, a lost
	// consumer), the message dies with ReasonDeliveryLimit instead of
	// coming back. 0: no limit. RabbitMQ's x-delivery-limit L is L+1 (L
	// returns allowed); SQS's maxReceiveCount N is N.
	MaxDeliveries uint32
	// Retry is the wait before a failed message is ready again.
	Retry Backoff
	// MessageTTL, when HasMessageTTL, is how long a message may wait
	// before it expires (from when it became deliverable; a per-message
	// TTL given at publish wins if lower).
	MessageTTL    time.Duration
	HasMessageTTL bool
	// Delay holds every message back this long after publish, unless the
	// publish gives its own.
	Delay time.Duration
	// MaxLength and MaxLengthBytes, when set, bound the messages waiting
	// (ready and delayed; leased ones do not count), as RabbitMQ's
	// x-max-length and x-max-length-bytes do; Overflow says what gives.
	MaxLength         int64
	HasMaxLength      bool
	MaxLengthBytes    int64
	HasMaxLengthBytes bool
	Overflow          Overflow
	// DedupWindow is how long a deduplication id is remembered; 0 means
	// DefaultDedupWindow.
	DedupWindow time.Duration
	// FIFO orders messages strictly within a message group: a group's
	// next message is not handed out while one of its messages is leased
	// or waiting out a retry delay.
	FIFO bool
	// LeaseTimeout is how long a message taken by Get stays leased before
	// it returns by itself (a visibility timeout); 0: until settled or
	// released.
	LeaseTimeout time.Duration
	// ConsumerTimeout cancels a push consumer that has held a message this
	// long without settling it, and returns what it held; 0: never.
	ConsumerTimeout time.Duration
}

// DefaultDedupWindow is how long a deduplication id is remembered when the
// policy does not say: five minutes, as SQS FIFO queues.
const DefaultDedupWindow = 5 * time.Minute

// Overflow is what happens when a publish would pass a length limit.
type Overflow uint8

const (
	// OverflowDropHead accepts the publish and kills the oldest waiting
	// messages (ReasonMaxLen) until the queue fits again.
	OverflowDropHead Overflow = iota
	// OverflowRejectPublish refuses the publish with ErrRejected.
	OverflowRejectPublish
	// OverflowRejectPublishDLX refuses the publish with ErrRejected and
	// the caller dead-letters the refused message (reason maxlen), as
	// RabbitMQ's reject-publish-dlx does.
	OverflowRejectPublishDLX
)

// Reason is why a message died, named as RabbitMQ names it in x-death.
type Reason uint8

const (
	ReasonRejected      Reason = iota + 1 // nacked or rejected without requeue
	ReasonExpired                         // its TTL passed
	ReasonMaxLen                          // dropped from the head of a full queue
	ReasonDeliveryLimit                   // failed MaxDeliveries times
)

var reasonNames = [...]string{ReasonRejected: "rejected", ReasonExpired: "expired", ReasonMaxLen: "maxlen", ReasonDeliveryLimit: "delivery_limit"}

func (r Reason) String() string {
	if int(r) < len(reasonNames) && reasonNames[r] != "" {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// ParseReason is the inverse of Reason.String.
func ParseReason(s string) (Reason, bool) {
	for r, n := range reasonNames {
		if n != "" && n == s {
			return Reason(r), true
		}
	}
	return 0, false
}

// Jitter spreads retry delays so that messages that failed together do
// not all come back in the same instant.
type Jitter uint8

const (
	// JitterNone waits exactly the computed delay d.
	JitterNone Jitter = iota
	// JitterFull waits a uniform time in [0, d].
	JitterFull
	// JitterEqual waits d/2 plus a uniform time in [0, d/2].
	JitterEqual
)

// Backoff is an exponential retry delay: before the redelivery that
// follows failed attempt n (n ≥ 1), wait min(Max, Initial × Multiplier^(n−1)),
// spread by Jitter. Initial 0 means redeliver at once.
type Backoff struct {
	Initial    time.Duration
	Max        time.Duration // 0: no cap
	Multiplier float64       // below 1 (the zero value included) means 2
	Jitter     Jitter
}

// Delay returns the wait after failed attempt n of message id. The jitter
// is not random: it is a hash of (id, n), so that the same commands give
// the same state on every replica and in every test, while different
// messages still spread out.
func (b Backoff) Delay(id uint64, n uint32) time.Duration {
	if b.Initial <= 0 || n == 0 {
		return 0
	}
	m := b.Multiplier
	if m < 1 {
		m = 2
	}
	d := float64(b.Initial) * math.Pow(m, float64(n-1))
	limit := float64(math.MaxInt64 / 2)
	if b.Max > 0 {
		limit = min(limit, float64(b.Max))
	}
	d = min(d, limit)
	frac := float64(mix(id, uint64(n))>>11) / (1 << 53) // uniform in [0, 1)
	switch b.Jitter {
	case JitterFull:
		d *= frac
	case JitterEqual:
		d = d/2 + d/2*frac
	}
	return time.Duration(d)
}

// mix is a splitmix64 finalizer over two words: a cheap, well-spread hash.
func mix(a, b uint64) uint64 {
	z := a*0x9e3779b97f4a7c15 ^ b
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// PublishOptions are one message's own delivery options.
type PublishOptions struct {
	// Delay holds the message back this long; 0 takes the policy's Delay.
	Delay    time.Duration
	HasDelay bool // Delay was given (so 0 means no delay, not the policy's)
	// TTL, when HasTTL, expires the message this long after it becomes
	// deliverable; the lower of this and the policy's MessageTTL applies.
	TTL    time.Duration
	HasTTL bool
	// Group is the message group (FIFO queues order within it); "" for none.
	Group string
	// DedupID, when not "", makes the publish exactly-once: a second
	// publish with the same id inside the queue's DedupWindow is
	// confirmed and dropped.
	DedupID string
	// Note is handed to the Observer with the published event (who
	// published, the message's public id); the queue neither reads nor
	// keeps it.
	Note any
}

// PublishResult is what a publish did.
type PublishResult struct {
	// ID is the new message's ID, or for a duplicate the ID of the
	// message first published with its deduplication id.
	ID uint64
	// Duplicate means the deduplication id was seen inside the window:
	// nothing was enqueued.
	Duplicate bool
}
