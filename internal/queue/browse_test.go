package queue

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ferrymq/ferry/internal/store/memstore"
)

func openBrowse(t *testing.T, p Policy) *Queue {
	t.Helper()
	l, _ := memstore.New().Open("b")
	q, err := Open(Options{Name: "b", Log: l, Now: t0, Policy: p})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

func states(ms []MessageInfo) []string {
	var out []string
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%d:%s:%s", m.ID, m.State, m.Data))
	}
	return out
}

// TestBrowseSeesEveryStateWithoutTouching lists ready, delayed, held,
// leased and dead messages in ID order, pages with after and limit, and
// changes nothing: no lease, no delivery count.
func TestBrowseSeesEveryStateWithoutTouching(t *testing.T) {
	q := openBrowse(t, Policy{FIFO: true})
	pub := func(body string, o PublishOptions) uint64 {
		r, err := q.PublishWith([]byte(body), o, t0, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	pub("g1", PublishOptions{Group: "g"})           // 1: leased
	pub("g2", PublishOptions{Group: "g"})           // 2: held by its group once met
	pub("late", PublishOptions{Delay: time.Minute}) // 3: delayed
	pub("plain", PublishOptions{})                  // 4: ready
	pub("bad", PublishOptions{})                    // 5: dead
	d, _, _ := q.Get(1, false, t0)                  // takes 1
	d2, ok, _ := q.Get(2, false, t0)                // meets 2 (held), takes 4
	if d.ID != 1 || !ok || d2.ID != 4 {
		t.Fatalf("gets: %d, %d", d.ID, d2.ID)
	}
	q.Nack(2, 4, true, t0) // 4 back to ready
	d5, _, _ := q.Get(3, false, t0)
	if d5.ID != 4 {
		t.Fatalf("got %d", d5.ID)
	}
	q.Nack(3, 4, true, t0)
	// 5 is next after 4 in ID order; take 4 then 5 to reject 5.
	a, _, _ := q.Get(3, false, t0)
	b, _, _ := q.Get(3, false, t0)
	if a.ID != 4 || b.ID != 5 {
		t.Fatalf("got %d, %d", a.ID, b.ID)
	}
	q.Nack(3, 4, true, t0)
	q.Nack(3, 5, false, t0) // dies
	before := q.Stats(t0)

	all, err := q.Browse(0, 100, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1:leased:g1", "2:held:g2", "3:delayed:late", "4:ready:plain", "5:dead:bad"}
	if got := states(all); !slices.Equal(got, want) {
		t.Fatalf("Browse = %v\nwant %v", got, want)
	}
	if !all[2].Due.Equal(t0.Add(time.Minute)) || all[4].Reason != ReasonRejected || all[3].Deliveries != 3 || all[1].Group != "g" {
		t.Fatalf("details: %+v", all)
	}
	page, _ := q.Browse(2, 2, false)
	if got := states(page); !slices.Equal(got, []string{"3:delayed:", "4:ready:"}) {
		t.Fatalf("page after 2 = %v", got)
	}
	if after := q.Stats(t0); after.Delivered != before.Delivered || after.Unacked != before.Unacked || after.Ready != before.Ready {
		t.Fatalf("Browse changed the queue: %+v → %+v", before, after)
	}
}

// TestDeleteFromEveryState deletes a ready, a delayed, a held and a
// leased message; a dead one and an unknown one are refused.
func TestDeleteFromEveryState(t *testing.T) {
	q := openBrowse(t, Policy{FIFO: true})
	for i, o := range []PublishOptions{{Group: "g"}, {Group: "g"}, {Delay: time.Hour}, {}, {}, {}} {
		if _, err := q.PublishWith(fmt.Appendf(nil, "m%d", i+1), o, t0, nil); err != nil {
			t.Fatal(err)
		}
	}
	var got []Delivery
	if _, err := q.Consume(ConsumerOptions{Tag: "c", Owner: 1, Prefetch: 1, Deliver: func(d Delivery) { got = append(got, d) }}, t0); err != nil {
		t.Fatal(err)
	}
	// The consumer holds 1; 2 is held behind it once met.
	if _, ok, _ := q.Get(2, false, t0); !ok { // meets 2 (held), takes 4
		t.Fatal("no message")
	}
	for _, id := range []uint64{2, 3, 5} {
		if err := q.Delete(id, t0, nil); err != nil {
			t.Fatalf("Delete(%d): %v", id, err)
		}
	}
	// Deleting the consumer's lease gives it credit again: it gets 6.
	if err := q.Delete(1, t0, nil); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].ID != 6 {
		t.Fatalf("consumer got %+v", got)
	}
	if err := q.Delete(99, t0, nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete of an unknown id: %v", err)
	}
	// 4 is leased to owner 2; make it die and try to delete it dead.
	if err := q.Nack(2, 4, false, t0); err != nil {
		t.Fatal(err)
	}
	if err := q.Delete(4, t0, nil); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Delete of a dead message: %v", err)
	}
	all, _ := q.Browse(0, 10, false)
	if got := states(all); !slices.Equal(got, []string{"4:dead:", "6:leased:"}) {
		t.Fatalf("left: %v", got)
	}
	if s := q.Stats(t0); s.Deleted != 4 || s.Ready != 0 || s.Delayed != 0 || s.Unacked != 1 {
		t.Fatalf("Stats = %+v", s)
	}
}

// TestTakeOnlyReady: Take hands out a chosen message only while it is
// ready; a leased, delayed, group-held or unknown one is left as it is.
func TestTakeOnlyReady(t *testing.T) {
	q := openBrowse(t, Policy{FIFO: true})
	for i, o := range []PublishOptions{{Group: "g"}, {Group: "g"}, {Delay: time.Hour}, {}, {}} {
		if _, err := q.PublishWith(fmt.Appendf(nil, "m%d", i+1), o, t0, nil); err != nil {
			t.Fatal(err)
		}
	}
	if d, ok, err := q.Get(1, false, t0); err != nil || !ok || d.ID != 1 { // group g is held by 1
		t.Fatalf("Get: %+v %v %v", d, ok, err)
	}
	for _, id := range []uint64{1, 2, 3, 99} { // leased, held behind its group, delayed, unknown
		if d, ok, err := q.Take(2, id, t0); err != nil || ok {
			t.Errorf("Take(%d) = %+v, %v, %v; want nothing", id, d, ok, err)
		}
	}
	d, ok, err := q.Take(2, 5, t0) // out of order: 4 stays ready
	if err != nil || !ok || d.ID != 5 || string(d.Data) != "m5" || d.Deliveries != 1 {
		t.Fatalf("Take(5) = %+v, %v, %v", d, ok, err)
	}
	if err := q.Ack(1, 1, t0, nil); err != nil {
		t.Fatalf("the first holder's lease is intact: %v", err)
	}
	if err := q.Ack(2, 5, t0, nil); err != nil {
		t.Fatalf("Take's lease settles by Ack: %v", err)
	}
	if st := q.Stats(t0); st.Ready != 2 || st.Unacked != 0 { // 2 (released by the ack of 1) and 4
		t.Errorf("stats after: ready %d unacked %d, want 2 0", st.Ready, st.Unacked)
	}
}

// TestBrowsePagesInIDOrder pages through a queue whose messages are
// spread over every structure out of ID order (some delayed, some
// leased, returned ones at the front of the ready queue): pages of 7 put
// together are one Browse of everything, in ID order, each message once,
// with the details of its state.
func TestBrowsePagesInIDOrder(t *testing.T) {
	q := openBrowse(t, Policy{})
	const n = 300
	for i := range n {
		o := PublishOptions{}
		if i%5 == 0 {
			o.Delay = time.Duration(n-i) * time.Second
		}
		if _, err := q.PublishWith(fmt.Appendf(nil, "m%d", i), o, t0, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Lease 40, return the odd ones (they go back in front), keep the rest.
	for range 40 {
		d, ok, err := q.Get(1, false, t0)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		if d.ID%2 == 1 {
			q.Nack(1, d.ID, true, t0)
		}
	}
	whole, err := q.Browse(0, n, false)
	if err != nil || len(whole) != n {
		t.Fatalf("Browse of all: %d messages, %v", len(whole), err)
	}
	var paged []MessageInfo
	for after := uint64(0); ; {
		page, err := q.Browse(after, 7, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		if len(page) > 7 {
			t.Fatalf("page of %d", len(page))
		}
		paged = append(paged, page...)
		after = page[len(page)-1].ID
	}
	for i, m := range paged {
		if m.ID != uint64(i+1) {
			t.Fatalf("message %d of the pages has ID %d", i, m.ID)
		}
	}
	if !slices.EqualFunc(paged, whole, func(a, b MessageInfo) bool {
		return a.ID == b.ID && a.State == b.State && a.Due.Equal(b.Due) && a.Deliveries == b.Deliveries
	}) {
		t.Fatal("pages differ from one Browse of everything")
	}
	var delayed, leased int
	for _, m := range whole {
		switch m.State {
		case StateDelayed:
			delayed++
			if m.Due.IsZero() {
				t.Fatalf("delayed %d without Due", m.ID)
			}
		case StateLeased:
			leased++
		}
	}
	if delayed != n/5 || leased == 0 {
		t.Fatalf("%d delayed, %d leased", delayed, leased)
	}
}

// BenchmarkBrowsePage browses one page of 500 from the middle of a queue
// of 100,000 ready messages, as a filtered redrive does page after page.
func BenchmarkBrowsePage(b *testing.B) {
	l, _ := memstore.New().Open("b")
	q, err := Open(Options{Name: "b", Log: l, Now: t0})
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	for range 100_000 {
		if _, err := q.PublishWith([]byte("x"), PublishOptions{}, t0, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if page, err := q.Browse(50_000, 500, false); err != nil || len(page) != 500 {
			b.Fatal(len(page), err)
		}
	}
}
