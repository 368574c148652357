package amqp_test

import (
	"strings"
	"testing"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/ferrymq/ferry/internal/amqp"
	"github.com/ferrymq/ferry/internal/auth"
)

// roundTrip waits for the server to have handled everything sent on ch
// before (a passive declare of queue answers in order) and returns what
// that declare got: nil, or the error the channel was closed with.
func roundTrip(ch *amqp091.Channel, queue string) error {
	_, err := ch.QueueDeclarePassive(queue, false, false, false, false, nil)
	return err
}

// wantStats checks the ready and unacked counts of a queue.
func wantStats(t *testing.T, e *env, queue string, ready, unacked int) {
	t.Helper()
	info, err := e.broker.QueueInfo("/", queue)
	must(t, err)
	if info.Stats.Ready != ready || info.Stats.Unacked != unacked {
		t.Fatalf("queue %s: ready %d, unacked %d; want %d, %d", queue, info.Stats.Ready, info.Stats.Unacked, ready, unacked)
	}
}

// TestTxPublishRefusedWhenHeld: a transactional publish to an exchange
// that does not exist, or to an internal one, closes the channel at
// once, as from RabbitMQ, not at commit; and nothing the transaction held
// before it reaches a queue.
func TestTxPublishRefusedWhenHeld(t *testing.T) {
	e := start(t)
	_, setup := e.channel()
	declare(t, setup, "txq")
	must(t, setup.ExchangeDeclare("inner", "fanout", false, false, true, false, nil))
	for _, tc := range []struct {
		exchange string
		code     int
		reason   string
	}{
		{"nope", 404, "NOT_FOUND - no exchange 'nope' in vhost '/'"},
		{"inner", 403, "ACCESS_REFUSED - cannot publish to internal exchange 'inner' in vhost '/'"},
	} {
		t.Run(tc.exchange, func(t *testing.T) {
			_, ch := e.channel()
			must(t, ch.Tx())
			// Awaited as the close, not as the answer to a later call,
			// which may find the channel closed already (504).
			closed := ch.NotifyClose(make(chan *amqp091.Error, 1))
			publish(t, ch, "", "txq", "held first")
			publish(t, ch, tc.exchange, "", "refused")
			if ae := amqpErr(t, closed); ae.Code != tc.code || ae.Reason != tc.reason {
				t.Fatalf("publish to %s in a transaction, before commit: closed with %d %q, want %d %q", tc.exchange, ae.Code, ae.Reason, tc.code, tc.reason)
			}
			wantStats(t, e, "txq", 0, 0)
		})
	}
}

// TestTxCommitAppliesHeldOps: a rollback applies nothing; a commit
// applies every held publish, ack, nack and reject, in order. An ack of
// multiple with tag 0 settles what was delivered when it was held, not
// a delivery that came after it.
func TestTxCommitAppliesHeldOps(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	declare(t, ch, "src")
	declare(t, ch, "dst")
	for _, b := range []string{"1", "2", "3", "4", "5"} {
		publish(t, ch, "", "src", b)
	}
	ds := getN(t, ch, "src", 4)
	must(t, ch.Tx())

	publish(t, ch, "", "dst", "rolled back")
	must(t, ds[0].Ack(false))
	must(t, ch.TxRollback())
	wantStats(t, e, "dst", 0, 0)
	wantStats(t, e, "src", 1, 4)

	publish(t, ch, "", "dst", "a")
	must(t, ds[0].Ack(false))        // 1: acked
	must(t, ds[1].Nack(false, true)) // 2: requeued
	must(t, ds[2].Reject(false))     // 3: dropped
	publish(t, ch, "", "dst", "b")
	must(t, ch.Ack(0, true))         // 4: acked, the only delivery left
	late := getN(t, ch, "src", 1)[0] // 5: delivered after that ack, before the commit
	must(t, roundTrip(ch, "dst"))    // every hold was accepted,
	wantStats(t, e, "dst", 0, 0)     // and none applied yet
	must(t, ch.TxCommit())
	if got := bodies(getN(t, ch, "dst", 2)); got != "a b " {
		t.Fatalf("dst after commit: %q, want \"a b \"", got)
	}
	if string(late.Body) != "5" {
		t.Fatalf("late delivery %q, want 5", late.Body)
	}
	// 2 is ready again; 5 is still unacked.
	wantStats(t, e, "src", 1, 1)
}

// TestTxDuplicateAckRefusedWhenHeld: acking a delivery twice in one
// transaction is refused at the second ack, as from RabbitMQ, instead of
// at commit after the operations before it were applied.
func TestTxDuplicateAckRefusedWhenHeld(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	declare(t, ch, "src")
	declare(t, ch, "dst")
	publish(t, ch, "", "src", "m")
	d := getN(t, ch, "src", 1)[0]
	must(t, ch.Tx())
	closed := ch.NotifyClose(make(chan *amqp091.Error, 1))
	publish(t, ch, "", "dst", "held")
	must(t, d.Ack(false))
	must(t, d.Ack(false))
	if ae := amqpErr(t, closed); ae.Code != 406 || !strings.Contains(ae.Reason, "unknown delivery tag 1") {
		t.Fatalf("second ack of a delivery in one transaction: closed with %d %q, want 406 unknown delivery tag 1", ae.Code, ae.Reason)
	}
	wantStats(t, e, "dst", 0, 0)
	wantStats(t, e, "src", 1, 0) // released with the channel
}

// TestTxCommitAfterRecover: basic.recover between an ack and the commit
// releases the delivery the ack named. The commit then has nothing to
// ack, and applies the rest instead of failing half-way with 406.
func TestTxCommitAfterRecover(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	declare(t, ch, "src")
	declare(t, ch, "dst")
	publish(t, ch, "", "src", "m")
	d := getN(t, ch, "src", 1)[0]
	must(t, ch.Tx())
	must(t, d.Ack(false))
	publish(t, ch, "", "dst", "after the ack")
	must(t, ch.Recover(true))
	must(t, ch.TxCommit())
	wantStats(t, e, "dst", 1, 0)
	wantStats(t, e, "src", 1, 0)
}

// TestTxHeldPublishesBounded: a connection's transactions hold at most
// MaxHeldTxMessages publishes and MaxHeldTxBytes of bodies (the message
// that crosses the byte bound is taken). Past it the publish is refused
// with 406 naming the limit, and nothing held is applied. The refused
// channel's holds no longer count: another channel of the connection
// gets the whole budget.
func TestTxHeldPublishesBounded(t *testing.T) {
	for _, tc := range []struct {
		name   string
		flow   amqp.FlowConfig
		bodies []int // the last one is refused
		limit  string
	}{
		{"messages", amqp.FlowConfig{MaxHeldTxMessages: 4}, []int{1, 1, 1, 1, 1}, "MaxHeldTxMessages"},
		{"bytes", amqp.FlowConfig{MaxHeldTxBytes: 1000}, []int{600, 600, 1}, "MaxHeldTxBytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &env{t: t, dir: t.TempDir(), users: auth.Default()}
			e.cfg.Flow = tc.flow
			e.up()
			t.Cleanup(e.down)
			conn, ch := e.channel()
			declare(t, ch, "dst")
			must(t, ch.Tx())
			// The refusal closes the channel whenever it arrives: awaited
			// as the close, not as the answer to a later call, which may
			// find the channel closed already.
			closed := ch.NotifyClose(make(chan *amqp091.Error, 1))
			for _, n := range tc.bodies {
				publish(t, ch, "", "dst", strings.Repeat("x", n))
			}
			ae := amqpErr(t, closed)
			if ae.Code != 406 || !strings.Contains(ae.Reason, tc.limit) {
				t.Fatalf("publish past the bound: closed with %d %q, want 406 naming %s", ae.Code, ae.Reason, tc.limit)
			}
			wantStats(t, e, "dst", 0, 0)

			ch2, err := conn.Channel()
			must(t, err)
			must(t, ch2.Tx())
			held := tc.bodies[:len(tc.bodies)-1]
			for _, n := range held {
				publish(t, ch2, "", "dst", strings.Repeat("x", n))
			}
			must(t, ch2.TxCommit())
			wantStats(t, e, "dst", len(held), 0)
		})
	}
}

// TestTxLargerThanTheFlowBudget: with the default bounds a transaction
// may hold more than a connection may have in flight to the store (8
// MiB, 4,096 messages), as RabbitMQ lets batch loaders do: 3 messages
// of 4 MiB and 5,000 small ones commit.
func TestTxLargerThanTheFlowBudget(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	declare(t, ch, "big")
	must(t, ch.Tx())
	for range 3 {
		publish(t, ch, "", "big", strings.Repeat("x", 4<<20))
	}
	for range 5000 {
		publish(t, ch, "", "big", "s")
	}
	must(t, ch.TxCommit())
	wantStats(t, e, "big", 5003, 0)
}
