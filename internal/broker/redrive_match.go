package broker

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/ferrymq/ferry/internal/message"
	"github.com/ferrymq/ferry/internal/queue"
)

// redrivePage is how many messages a filtered redrive browses at a time.
const redrivePage = 500

// redriveMatching is Redrive with o.Match: it moves, in ID order, the
// ready messages of src whose headers match, and leaves every other one
// as it is. Leasing the others to look at them would raise their
// delivery counts (and could push them past a delivery limit), so it
// browses instead; a matching message is then taken by id (Queue.Take:
// only while it is still ready, so never from under a consumer that
// leased it meanwhile), published to its target, and acked in src once
// the target has stored it, as Redrive does. A message leased, delayed
// or held back by its group when its turn comes is left for a later
// redrive.
//
// It considers the messages src held when the redrive began (IDs up to
// its LastID then), so it ends even while src keeps filling, or when the
// target is src itself; o.Limit caps the matching messages moved. ctx
// cancels between messages.
func (b *Broker) redriveMatching(ctx context.Context, vhostName string, src *entry, o RedriveOptions) (moved int, err error) {
	from := src.def.Name
	start := b.clock.Now()
	last := src.q.LastID()
	owner := queue.Owner(redriveOwner.Add(1))
	defer src.q.Release(owner, b.clock.Now()) // whatever is still leased on an early return
	var after uint64
	for o.Limit <= 0 || moved < o.Limit {
		page, err := src.q.Browse(after, redrivePage, true)
		if err != nil {
			return moved, fromQueue(err, "redrive from queue '%s' in vhost '%s'", from, vhostName)
		}
		if len(page) == 0 {
			return moved, nil
		}
		after = page[len(page)-1].ID
		for _, mi := range page {
			if o.Limit > 0 && moved == o.Limit {
				return moved, nil
			}
			if mi.ID > last {
				return moved, nil // the rest came in after the start
			}
			if mi.State != queue.StateReady || mi.Data == nil {
				continue
			}
			m, err := message.Decode(mi.Data)
			if err != nil || !MatchHeaders(m.Properties.Headers, o.Match) {
				continue
			}
			if err := ctx.Err(); err != nil {
				return moved, err
			}
			if o.Rate > 0 {
				due := start.Add(time.Duration(float64(moved) / o.Rate * float64(time.Second)))
				if err := b.sleepUntil(ctx, due); err != nil {
					return moved, err
				}
			}
			d, ok, err := src.q.Take(owner, mi.ID, b.clock.Now())
			if err != nil {
				return moved, fromQueue(err, "redrive from queue '%s' in vhost '%s'", from, vhostName)
			}
			if !ok {
				continue // leased, expired or gone since the page was read: left as it is
			}
			if err := b.moveLeased(vhostName, src, owner, d, o, moved+1); err != nil {
				return moved, err
			}
			moved++
		}
	}
	return moved, nil
}

// MatchHeaders reports whether every key of want is a header of h whose
// text form (HeaderText) equals the value given. An empty want matches
// everything.
func MatchHeaders(h message.Table, want map[string]string) bool {
	for k, v := range want {
		got, ok := h.Get(k)
		if !ok || HeaderText(got) != v {
			return false
		}
	}
	return true
}

// HeaderText is the text form of a header value, as an operator types it
// in a redrive filter: strings and byte strings as they are, integers in
// decimal, floats in their shortest form, booleans as true or false,
// timestamps in RFC 3339 (UTC); tables and arrays in Go's %v form, so
// they match only what is written exactly so.
func HeaderText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case nil:
		return ""
	}
	if n, ok := message.Int64(v); ok {
		return strconv.FormatInt(n, 10)
	}
	return fmt.Sprint(v)
}
