package queue

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestOverflow(t *testing.T) {
	for _, tc := range []struct {
		name     string
		p        Policy
		bodies   []string
		rejected []bool   // per publish
		ready    []uint64 // IDs left ready, in order
		dead     []string
		maxlen   uint64
	}{
		{"drop-head by count", Policy{MaxLength: 2, HasMaxLength: true},
			[]string{"a", "b", "c", "d"}, []bool{false, false, false, false}, []uint64{3, 4},
			[]string{"1:maxlen/0:a", "2:maxlen/0:b"}, 2},
		{"drop-head by bytes", Policy{MaxLengthBytes: 5, HasMaxLengthBytes: true},
			[]string{"aa", "bb", "cc"}, []bool{false, false, false}, []uint64{2, 3},
			[]string{"1:maxlen/0:aa"}, 1},
		{"drop-head big message drops several", Policy{MaxLengthBytes: 5, HasMaxLengthBytes: true},
			[]string{"a", "b", "c", "dddd"}, []bool{false, false, false, false}, []uint64{3, 4},
			[]string{"1:maxlen/0:a", "2:maxlen/0:b"}, 2},
		{"reject-publish", Policy{MaxLength: 2, HasMaxLength: true, Overflow: OverflowRejectPublish},
			[]string{"a", "b", "c", "d"}, []bool{false, false, true, true}, []uint64{1, 2}, nil, 0},
		{"reject-publish-dlx", Policy{MaxLength: 2, HasMaxLength: true, Overflow: OverflowRejectPublishDLX},
			[]string{"a", "b", "c"}, []bool{false, false, true}, []uint64{1, 2}, nil, 0},
		{"reject by bytes", Policy{MaxLengthBytes: 3, HasMaxLengthBytes: true, Overflow: OverflowRejectPublish},
			[]string{"ab", "c", "d"}, []bool{false, false, true}, []uint64{1, 2}, nil, 0},
		{"max length 0 drops everything", Policy{HasMaxLength: true},
			[]string{"a"}, []bool{false}, nil, []string{"1:maxlen/0:a"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := memPQ(t, tc.p)
			rejected := 0
			for i, b := range tc.bodies {
				var done error = errors.New("not called")
				r, err := x.q.PublishWith([]byte(b), PublishOptions{}, x.now, func(err error) { done = err })
				if tc.rejected[i] {
					rejected++
					if !errors.Is(err, ErrRejected) || r.ID != 0 {
						t.Fatalf("publish %q = %+v, %v; want ErrRejected", b, r, err)
					}
					if done == nil {
						t.Fatalf("publish %q: done ran for a rejected publish", b)
					}
					continue
				}
				if err != nil || done != nil {
					t.Fatalf("publish %q = %v, done %v", b, err, done)
				}
			}
			var ids []uint64
			for {
				d, ok := x.get(1)
				if !ok {
					break
				}
				ids = append(ids, d.ID)
			}
			if len(ids) != len(tc.ready) || (len(ids) > 0 && !equalIDs(ids, tc.ready)) {
				t.Fatalf("ready = %v, want %v", ids, tc.ready)
			}
			wantStrings(t, "dead", x.bury(), tc.dead)
			s := x.stats()
			if s.MaxLen != tc.maxlen || s.DeadLettered[ReasonMaxLen] != tc.maxlen ||
				s.RejectedPublish != uint64(rejected) || s.Published != uint64(len(tc.bodies)-rejected) {
				t.Fatalf("Stats = %+v, want maxlen %d, %d rejected", s, tc.maxlen, rejected)
			}
		})
	}
}

func equalIDs(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestLengthLimitCountsWaitingOnly: leased messages do not count; delayed
// ones do, and drop-head takes them when nothing is ready.
func TestLengthLimitCountsWaitingOnly(t *testing.T) {
	x := memPQ(t, Policy{MaxLength: 1, HasMaxLength: true, Overflow: OverflowRejectPublish})
	x.pub("a", PublishOptions{})
	x.mustGet(1, 1, 1)
	x.pub("b", PublishOptions{}) // a is leased: room for one
	if _, err := x.q.PublishWith([]byte("c"), PublishOptions{}, x.now, nil); !errors.Is(err, ErrRejected) {
		t.Fatalf("third publish: %v, want ErrRejected", err)
	}
	x.mustGet(1, 2, 1)
	x.pub("d", PublishOptions{Delay: time.Minute}) // delayed counts
	if _, err := x.q.PublishWith([]byte("e"), PublishOptions{}, x.now, nil); !errors.Is(err, ErrRejected) {
		t.Fatalf("publish past a delayed message: %v, want ErrRejected", err)
	}

	y := memPQ(t, Policy{MaxLength: 1, HasMaxLength: true})
	y.pub("a", PublishOptions{Delay: time.Minute})
	y.pub("b", PublishOptions{Delay: 2 * time.Minute})
	wantStrings(t, "dead", y.bury(), []string{"1:maxlen/0:a"})
	if s := y.stats(); s.Delayed != 1 || s.DelayedBytes != 1 {
		t.Fatalf("Stats = %+v, want 1 delayed", s)
	}
}

// TestSetPolicyTrims: a lower length limit drops the head at once.
func TestSetPolicyTrims(t *testing.T) {
	x := memPQ(t, Policy{})
	for _, b := range []string{"a", "b", "c"} {
		x.pub(b, PublishOptions{})
	}
	x.q.SetPolicy(Policy{MaxLength: 1, HasMaxLength: true}, x.now)
	if got := x.q.Policy(); !got.HasMaxLength || got.MaxLength != 1 {
		t.Fatalf("Policy() = %+v", got)
	}
	wantStrings(t, "dead", x.bury(), []string{"1:maxlen/0:a", "2:maxlen/0:b"})
	x.mustGet(1, 3, 1)
}

// TestRejectedPublishForgetsNothing: a refused publish leaves no record,
// takes no ID and does not remember its deduplication id.
func TestRejectedPublishForgetsNothing(t *testing.T) {
	x := memPQ(t, Policy{MaxLength: 1, HasMaxLength: true, Overflow: OverflowRejectPublish})
	x.pub("a", PublishOptions{})
	x.log.takeRecords()
	_, err := x.q.PublishWith([]byte("b"), PublishOptions{DedupID: "k"}, x.now, nil)
	if !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), `"q"`) {
		t.Fatalf("publish: %v, want ErrRejected naming the queue", err)
	}
	if recs := x.log.takeRecords(); len(recs) != 0 {
		t.Fatalf("rejected publish wrote %+v", recs)
	}
	x.mustGet(1, 1, 1)
	r := x.pub("b", PublishOptions{DedupID: "k"})
	if r.Duplicate || r.ID != 3 { // 2 is the Dedup record
		t.Fatalf("publish after room = %+v, want new message 3", r)
	}
	if s := x.stats(); s.RejectedPublish != 1 || s.Deduplicated != 0 {
		t.Fatalf("Stats = %+v", s)
	}
}

// TestDropHeadOfHolderDispatches: dropping a retry-delayed message that
// holds its FIFO group frees the group; the message it lets go must reach
// a consumer with credit at once.
func TestDropHeadOfHolderDispatches(t *testing.T) {
	x := memPQ(t, Policy{FIFO: true, Retry: Backoff{Initial: time.Minute}, MaxLength: 2, HasMaxLength: true})
	x.pub("a1", PublishOptions{Group: "A"})
	x.pub("a2", PublishOptions{Group: "A"})
	x.mustGet(1, 1, 1)
	x.nack(1, 1, true) // a1 delayed, holding A
	x.none(1)          // a2 parked behind it
	x.consume("c", 2, 0, nil)
	wantStrings(t, "nothing to push", x.takeGot(), nil)
	x.pub("y", PublishOptions{Delay: time.Hour}) // 3 waiting: a1 goes
	wantStrings(t, "dead", x.bury(), []string{"1:maxlen/1:a1"})
	wantStrings(t, "pushed", x.takeGot(), []string{"c:2/1"})
	x.q.snapshot() // checks that nothing is ready while c has credit
}
