package queue

import (
	"errors"
	"testing"
	"time"

	"github.com/ferrymq/ferry/internal/store"
)

// TestDeadReasons: each way to die gives its reason, its counters and the
// message's body and delivery count.
func TestDeadReasons(t *testing.T) {
	for _, tc := range []struct {
		name   string
		p      Policy
		kill   func(x *pq)
		want   string
		reason Reason
		check  func(s Stats) bool
	}{
		{"rejected", Policy{}, func(x *pq) {
			x.pub("a", PublishOptions{})
			x.mustGet(1, 1, 1)
			x.nack(1, 1, false)
		}, "1:rejected/1:a", ReasonRejected, func(s Stats) bool { return s.Rejected == 1 }},
		{"expired", Policy{MessageTTL: time.Second, HasMessageTTL: true}, func(x *pq) {
			x.pub("a", PublishOptions{})
			x.at(2 * time.Second)
			x.tick()
		}, "1:expired/0:a", ReasonExpired, func(s Stats) bool { return s.Expired == 1 }},
		{"maxlen", Policy{MaxLength: 1, HasMaxLength: true}, func(x *pq) {
			x.pub("a", PublishOptions{})
			x.pub("b", PublishOptions{})
		}, "1:maxlen/0:a", ReasonMaxLen, func(s Stats) bool { return s.MaxLen == 1 && s.Ready == 1 }},
		{"delivery limit", Policy{MaxDeliveries: 1}, func(x *pq) {
			x.pub("a", PublishOptions{})
			x.mustGet(1, 1, 1)
			x.nack(1, 1, true)
		}, "1:delivery_limit/1:a", ReasonDeliveryLimit, func(s Stats) bool { return s.Requeued == 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := memPQ(t, tc.p)
			x.deadline() // arm Notify
			tc.kill(x)
			if x.notified == 0 {
				t.Fatal("death did not call Notify")
			}
			s := x.stats()
			if s.Dead != 1 || !tc.check(s) {
				t.Fatalf("Stats = %+v", s)
			}
			for r := ReasonRejected; r <= ReasonDeliveryLimit; r++ {
				want := uint64(0)
				if r == tc.reason {
					want = 1
				}
				if s.DeadLettered[r] != want {
					t.Fatalf("DeadLettered[%v] = %d, want %d", r, s.DeadLettered[r], want)
				}
			}
			wantStrings(t, "dead", x.bury(), []string{tc.want})
			if s := x.stats(); s.Dead != 0 {
				t.Fatalf("after DeadLettered: Dead = %d", s.Dead)
			}
			if r, ok := ParseReason(tc.reason.String()); !ok || r != tc.reason {
				t.Fatalf("ParseReason(%q) = %v, %v", tc.reason.String(), r, ok)
			}
		})
	}
}

func TestDeadTwoSteps(t *testing.T) {
	x := memPQ(t, Policy{})
	for _, b := range []string{"a", "b", "c"} {
		x.pub(b, PublishOptions{Group: "g"})
	}
	for id := uint64(1); id <= 3; id++ {
		x.mustGet(1, id, 1)
	}
	x.at(time.Second)
	x.nack(1, 3, false)
	x.at(2 * time.Second)
	x.nack(1, 1, false)
	x.nack(1, 2, false)
	if s := x.stats(); s.Dead != 3 || s.Unacked != 0 {
		t.Fatalf("Stats = %+v, want 3 dead", s)
	}
	x.log.takeRecords()
	got := x.q.TakeDead(2)
	if len(got) != 2 || got[0].ID != 3 || got[1].ID != 1 {
		t.Fatalf("TakeDead(2) = %+v, want messages 3 then 1 (death order)", got)
	}
	if string(got[0].Data) != "c" || got[0].Reason != ReasonRejected || got[0].Group != "g" ||
		!got[0].At.Equal(t0.Add(time.Second)) || got[0].Deliveries != 1 {
		t.Fatalf("TakeDead[0] = %+v", got[0])
	}
	if s := x.stats(); s.Dead != 3 {
		t.Fatalf("taken but not settled: Dead = %d, want 3", s.Dead)
	}
	if recs := x.log.takeRecords(); len(recs) != 0 {
		t.Fatalf("TakeDead wrote %v", recs)
	}
	if err := x.q.DeadLettered(2, x.now, nil); !errors.Is(err, ErrUnknownDelivery) {
		t.Fatalf("DeadLettered of an untaken message: %v, want ErrUnknownDelivery", err)
	}
	var doneErr = errors.New("not called")
	if err := x.q.DeadLettered(3, x.now, func(err error) { doneErr = err }); err != nil || doneErr != nil {
		t.Fatalf("DeadLettered(3) = %v, done %v", err, doneErr)
	}
	if err := x.q.DeadLettered(3, x.now, nil); !errors.Is(err, ErrUnknownDelivery) {
		t.Fatalf("second DeadLettered(3): %v, want ErrUnknownDelivery", err)
	}
	recs := x.log.takeRecords()
	if len(recs) != 1 || recs[0].Kind != store.DeadLetter || recs[0].ID != 3 || recs[0].Deliveries != 1 {
		t.Fatalf("records = %+v, want one DeadLetter of 3", recs)
	}
	rest := x.q.TakeDead(10)
	if len(rest) != 1 || rest[0].ID != 2 {
		t.Fatalf("TakeDead(10) = %+v, want message 2", rest)
	}
	if more := x.q.TakeDead(10); len(more) != 0 {
		t.Fatalf("TakeDead again = %+v", more)
	}
	for _, id := range []uint64{1, 2} {
		if err := x.q.DeadLettered(id, x.now, nil); err != nil {
			t.Fatal(err)
		}
	}
	if s := x.stats(); s.Dead != 0 || s.Ready != 0 {
		t.Fatalf("Stats = %+v", s)
	}
	if n := x.log.Stats().Messages; n != 0 {
		t.Fatalf("log holds %d messages after all were dead-lettered", n)
	}
}

// TestDeadNotSettledComesBack: a dead message not yet moved (taken or not)
// is still in the log and comes back ready after a restart; a settled one
// does not.
func TestDeadNotSettledComesBack(t *testing.T) {
	for _, eng := range engines() {
		t.Run(eng.name, func(t *testing.T) {
			x := newPQ(t, eng, Policy{})
			for _, b := range []string{"a", "b", "c", "d"} {
				x.pub(b, PublishOptions{})
			}
			for id := uint64(1); id <= 3; id++ {
				x.mustGet(1, id, 1)
				x.nack(1, id, false)
			}
			taken := x.q.TakeDead(2) // 1 and 2
			if len(taken) != 2 {
				t.Fatalf("TakeDead = %+v", taken)
			}
			if err := x.q.DeadLettered(1, x.now, nil); err != nil {
				t.Fatal(err)
			}
			// 2: taken, not settled; 3: not taken; 4: never died.
			x.restart()
			if s := x.stats(); s.Dead != 0 || s.Ready != 3 {
				t.Fatalf("after restart: Stats = %+v, want 3 ready, none dead", s)
			}
			x.mustGet(1, 2, 1)
			x.mustGet(1, 3, 1)
			x.mustGet(1, 4, 1)
			if err := x.q.DeadLettered(2, x.now, nil); !errors.Is(err, ErrUnknownDelivery) {
				t.Fatalf("DeadLettered after restart: %v, want ErrUnknownDelivery", err)
			}
		})
	}
}

// TestDeadExpiredComesBackAndDiesAgain: a message that expired but was not
// dead-lettered before a restart dies again, its TTL being kept.
func TestDeadExpiredComesBackAndDiesAgain(t *testing.T) {
	for _, eng := range engines() {
		t.Run(eng.name, func(t *testing.T) {
			x := newPQ(t, eng, Policy{})
			x.pub("a", PublishOptions{TTL: time.Second, HasTTL: true})
			x.pub("b", PublishOptions{})
			x.at(5 * time.Second)
			x.tick()
			if s := x.stats(); s.Dead != 1 || s.Expired != 1 {
				t.Fatalf("Stats = %+v", s)
			}
			x.restart()
			x.mustGet(1, 2, 1) // a is skipped: it expired again
			wantStrings(t, "dead", x.bury(), []string{"1:expired/0:a"})
		})
	}
}
