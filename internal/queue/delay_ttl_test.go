package queue

import (
	"testing"
	"time"
)

func TestPublishDelay(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		name   string
		policy time.Duration
		o      PublishOptions
		want   time.Duration // delay the message gets
	}{
		{"none", 0, PublishOptions{}, 0},
		{"own", 0, PublishOptions{Delay: 5 * s}, 5 * s},
		{"policy", 7 * s, PublishOptions{}, 7 * s},
		{"own beats policy", 7 * s, PublishOptions{Delay: 3 * s}, 3 * s},
		{"own zero beats policy", 7 * s, PublishOptions{HasDelay: true}, 0},
		{"negative is none", 7 * s, PublishOptions{Delay: -s, HasDelay: true}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := memPQ(t, Policy{Delay: tc.policy})
			x.at(s)
			id := x.pub("a", tc.o).ID
			if tc.want == 0 {
				x.mustGet(1, id, 1)
				x.wantDeadline(-1)
				return
			}
			if st := x.stats(); st.Delayed != 1 || st.Ready != 0 || st.DelayedBytes != 1 {
				t.Fatalf("Stats = %+v, want 1 delayed", st)
			}
			x.wantDeadline(s + tc.want)
			x.at(s + tc.want - 1)
			x.tick()
			x.none(1)
			x.at(s + tc.want)
			x.tick()
			if st := x.stats(); st.Delayed != 0 || st.Ready != 1 {
				t.Fatalf("Stats = %+v, want 1 ready", st)
			}
			x.mustGet(1, id, 1)
		})
	}
}

// TestDelayedReleasedInDueOrder: messages come due by due time, then ID.
func TestDelayedReleasedInDueOrder(t *testing.T) {
	x := memPQ(t, Policy{})
	s := time.Second
	for _, d := range []time.Duration{30 * s, 10 * s, 20 * s, 10 * s} {
		x.pub("m", PublishOptions{Delay: d})
	}
	x.pub("now", PublishOptions{})
	c := x.consume("c", 1, 0, nil)
	_ = c
	wantStrings(t, "first", x.takeGot(), []string{"c:5/1"})
	x.at(10 * s)
	x.tick()
	wantStrings(t, "at 10s", x.takeGot(), []string{"c:2/1", "c:4/1"})
	x.wantDeadline(20 * s)
	x.at(20 * s)
	x.tick()
	wantStrings(t, "at 20s", x.takeGot(), []string{"c:3/1"})
	x.wantDeadline(30 * s)
	x.at(30 * s)
	x.tick()
	wantStrings(t, "at 30s", x.takeGot(), []string{"c:1/1"})
	x.wantDeadline(-1)
}

// TestDelayedSurvivesRestart: delayed messages come back delayed, until
// their own due time, in due order; those due by the reopen are ready,
// behind what was published without a delay (as if published when due).
func TestDelayedSurvivesRestart(t *testing.T) {
	for _, eng := range engines() {
		t.Run(eng.name, func(t *testing.T) {
			s := time.Second
			x := newPQ(t, eng, Policy{})
			for _, d := range []time.Duration{30 * s, 10 * s, 20 * s, 3 * s} {
				x.pub("m", PublishOptions{Delay: d})
			}
			x.pub("now", PublishOptions{})
			x.at(5 * s)
			x.restart()
			if st := x.stats(); st.Delayed != 3 || st.Ready != 2 {
				t.Fatalf("after restart: Stats = %+v, want 3 delayed, 2 ready", st)
			}
			x.wantDeadline(10 * s)
			x.mustGet(1, 5, 1)
			x.mustGet(1, 4, 1) // due at 3s, before the reopen
			x.none(1)
			x.at(10 * s)
			x.tick()
			x.mustGet(1, 2, 1)
			x.none(1)
			x.wantDeadline(20 * s)
			x.at(20 * s)
			x.tick()
			x.mustGet(1, 3, 1)
			x.none(1)
			x.wantDeadline(30 * s)
			x.at(30 * s)
			x.tick()
			x.mustGet(1, 1, 1)
		})
	}
}

func TestMessageTTL(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		name   string
		p      Policy
		o      PublishOptions
		expire time.Duration // after publish; -1: never
	}{
		{"none", Policy{}, PublishOptions{}, -1},
		{"policy", Policy{MessageTTL: 10 * s, HasMessageTTL: true}, PublishOptions{}, 10 * s},
		{"own", Policy{}, PublishOptions{TTL: 4 * s, HasTTL: true}, 4 * s},
		{"own lower wins", Policy{MessageTTL: 10 * s, HasMessageTTL: true}, PublishOptions{TTL: 4 * s, HasTTL: true}, 4 * s},
		{"policy lower wins", Policy{MessageTTL: 3 * s, HasMessageTTL: true}, PublishOptions{TTL: 8 * s, HasTTL: true}, 3 * s},
		{"counts from due", Policy{MessageTTL: 5 * s, HasMessageTTL: true}, PublishOptions{Delay: 10 * s}, 15 * s},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := memPQ(t, tc.p)
			x.pub("a", tc.o)
			if tc.expire < 0 {
				x.wantDeadline(-1)
				return
			}
			if tc.o.Delay > 0 {
				x.wantDeadline(tc.o.Delay)
				x.at(tc.o.Delay)
				x.tick()
			}
			x.wantDeadline(tc.expire + 1) // expired is strictly after
			x.at(tc.expire)
			x.tick()
			if st := x.stats(); st.Expired != 0 || st.Dead != 0 {
				t.Fatalf("at expiry: Stats = %+v, want nothing expired yet", st)
			}
			x.at(tc.expire + 1)
			x.tick()
			if st := x.stats(); st.Expired != 1 || st.Dead != 1 || st.DeadLettered[ReasonExpired] != 1 {
				t.Fatalf("after expiry: Stats = %+v, want 1 expired", st)
			}
			wantStrings(t, "dead", x.bury(), []string{"1:expired/0:a"})
		})
	}
}

// TestExpiredSkippedOnGet: an expired message met on delivery dies and
// the next one is handed out, without a Tick.
func TestExpiredSkippedOnGet(t *testing.T) {
	x := memPQ(t, Policy{})
	x.pub("a", PublishOptions{TTL: time.Second, HasTTL: true})
	x.pub("b", PublishOptions{TTL: time.Hour, HasTTL: true})
	x.at(2 * time.Second)
	x.mustGet(1, 2, 1)
	wantStrings(t, "dead", x.bury(), []string{"1:expired/0:a"})
}

// TestTTLZero: a message with TTL 0 is delivered only if a consumer can
// take it at once.
func TestTTLZero(t *testing.T) {
	x := memPQ(t, Policy{MessageTTL: 0, HasMessageTTL: true})
	x.pub("a", PublishOptions{})
	x.at(1)
	x.tick()
	wantStrings(t, "dead", x.bury(), []string{"1:expired/0:a"})
	x.consume("c", 1, 0, nil)
	x.pub("b", PublishOptions{})
	wantStrings(t, "pushed", x.takeGot(), []string{"c:2/1"})
}

// TestLongTTLHeadHoldsShorter: as in RabbitMQ, only the head expires by
// Tick; NextDeadline follows the head.
func TestLongTTLHeadHoldsShorter(t *testing.T) {
	x := memPQ(t, Policy{})
	s := time.Second
	x.pub("long", PublishOptions{TTL: 100 * s, HasTTL: true})
	x.pub("short", PublishOptions{TTL: s, HasTTL: true})
	x.wantDeadline(100*s + 1)
	x.at(10 * s)
	x.tick()
	if st := x.stats(); st.Expired != 0 {
		t.Fatalf("Expired = %d behind a live head", st.Expired)
	}
	x.mustGet(1, 1, 1)
	x.none(1) // short expired, met on the way
	if st := x.stats(); st.Expired != 1 {
		t.Fatalf("Expired = %d, want 1", st.Expired)
	}
}

// TestTTLSurvivesRestart: the expiry is kept in the log.
func TestTTLSurvivesRestart(t *testing.T) {
	for _, eng := range engines() {
		t.Run(eng.name, func(t *testing.T) {
			s := time.Second
			x := newPQ(t, eng, Policy{})
			x.pub("a", PublishOptions{TTL: 10 * s, HasTTL: true})
			x.pub("b", PublishOptions{TTL: 10 * s, HasTTL: true, Delay: 20 * s})
			x.at(5 * s)
			x.restart()
			x.wantDeadline(10*s + 1)
			x.at(10*s + 1)
			x.tick()
			wantStrings(t, "dead", x.bury(), []string{"1:expired/0:a"})
			x.at(20 * s)
			x.tick()
			x.wantDeadline(30*s + 1)
			x.mustGet(1, 2, 1)
		})
	}
}

// TestRetryPastExpiryDies: a message whose retry delay ends after its
// expiry dies when it comes due.
func TestRetryPastExpiryDies(t *testing.T) {
	x := memPQ(t, Policy{Retry: Backoff{Initial: time.Minute}, MessageTTL: 30 * time.Second, HasMessageTTL: true})
	x.pub("a", PublishOptions{})
	x.mustGet(1, 1, 1)
	x.nack(1, 1, true)
	x.at(time.Minute)
	x.tick()
	wantStrings(t, "dead", x.bury(), []string{"1:expired/1:a"})
}

// TestDelayedReleasedTogetherInDueOrder: messages that fall due in the
// same tick join the back of the queue in due order, not ID order, as if
// each had been published when it fell due.
func TestDelayedReleasedTogetherInDueOrder(t *testing.T) {
	s := time.Second
	x := memPQ(t, Policy{})
	for _, d := range []time.Duration{3 * s, 1 * s, 2 * s} { // IDs 1, 2, 3
		x.pub("m", PublishOptions{Delay: d})
	}
	x.pub("now", PublishOptions{}) // ID 4
	x.at(5 * s)
	x.tick()
	x.mustGet(1, 4, 1)
	x.mustGet(1, 2, 1)
	x.mustGet(1, 3, 1)
	x.mustGet(1, 1, 1)
	x.none(1)
}
