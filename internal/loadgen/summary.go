package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Write prints res to w: as indented JSON, or as an aligned summary for a
// person to read.
func Write(w io.Writer, res Result, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return writeSummary(w, res)
}

func writeSummary(w io.Writer, res Result) error {
	c := res.Config
	var b strings.Builder
	title := "ferry bench"
	if res.Scenario != "" || res.Broker != "" {
		title += fmt.Sprintf(" — %s %s", res.Scenario, res.Broker)
	}
	fmt.Fprintf(&b, "%s (run %s)\n", title, res.RunID)
	durable := "transient"
	if c.Durable {
		durable = "durable"
	}
	client := ""
	if res.Client != "" {
		client = ", client " + res.Client
	}
	fmt.Fprintf(&b, "  broker    %s, queue %s (%s)%s\n", c.URL, res.Queue, durable, client)
	fmt.Fprintf(&b, "  load      %s, %s, %s\n", plural(c.Producers, "producer"), plural(c.Consumers, "consumer"), loadLine(c))
	fmt.Fprintf(&b, "  time      elapsed %s, warm-up %s, publishing %s, drain %s\n\n",
		fmtLatency(res.Elapsed), fmtLatency(c.Warmup), fmtLatency(res.Publish.Window), fmtLatency(res.Drain))

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\t", label("messages"))
	fmt.Fprintf(tw, "sent\tconfirmed\tnacked\treturned\tunconfirmed\tconsumed\tlost\tduplicates\tforeign\t\n")
	lost := fmtCount(res.Lost)
	if !res.LossChecked {
		lost = "n/a"
	}
	fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", label(""),
		fmtCount(res.Sent), fmtCount(res.Confirmed), fmtCount(res.Nacked), fmtCount(res.Returned),
		fmtCount(res.Unconfirmed), fmtCount(res.Consumed), lost, fmtCount(res.Duplicates), fmtCount(res.Foreign))
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("\n")

	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\tmsg/s\tMB/s\t\n", label("throughput"))
	fmt.Fprintf(tw, "%s\t%s\t%.1f\t\n", label("publish"), fmtRate(res.Publish.MsgsPerSec), res.Publish.MBPerSec)
	fmt.Fprintf(tw, "%s\t%s\t%.1f\t\n", label("consume"), fmtRate(res.Consume.MsgsPerSec), res.Consume.MBPerSec)
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("\n")

	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\tcount\tp50\tp75\tp95\tp99\tp99.9\tmax\t\n", label("latency"))
	for _, row := range []struct {
		name string
		l    Latency
	}{{"end-to-end", res.Latency}, {"confirm", res.ConfirmLatency}} {
		l := row.l
		if l.Count == 0 {
			fmt.Fprintf(tw, "%s\t0\t-\t-\t-\t-\t-\t-\t\n", label(row.name))
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", label(row.name), fmtCount(l.Count),
			fmtLatency(l.P50), fmtLatency(l.P75), fmtLatency(l.P95), fmtLatency(l.P99), fmtLatency(l.P999), fmtLatency(l.Max))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if res.LossChecked && !res.Drained {
		fmt.Fprintf(&b, "\n  the drain timed out after %s: some accepted messages were not consumed\n", c.DrainTimeout)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// loadLine describes the message and delivery settings in a few words.
func loadLine(c Config) string {
	if c.IsSQS() {
		parts := []string{fmtBytes(c.Size), c.Protocol,
			fmt.Sprintf("SendMessageBatch of %d", sqsBatchLen(&c)),
			fmt.Sprintf("ReceiveMessage of %d waiting %d s", sqsBatchLen(&c), c.WaitSeconds),
			"DeleteMessageBatch"}
		if c.Rate > 0 {
			parts = append(parts, fmt.Sprintf("rate %s msg/s", fmtRate(c.Rate)))
		}
		return strings.Join(parts, ", ")
	}
	parts := []string{fmtBytes(c.Size)}
	if c.Persistent {
		parts[0] += " persistent"
	} else {
		parts[0] += " transient"
	}
	if c.ConfirmWindow > 0 {
		parts = append(parts, fmt.Sprintf("confirm window %d", c.ConfirmWindow))
	} else {
		parts = append(parts, "no confirms")
	}
	switch {
	case c.AutoAck:
		parts = append(parts, "auto-ack")
	case c.AckEvery > 1:
		parts = append(parts, fmt.Sprintf("prefetch %d", c.Prefetch), fmt.Sprintf("ack every %d", c.AckEvery))
	default:
		parts = append(parts, fmt.Sprintf("prefetch %d", c.Prefetch), "manual ack")
	}
	if c.Rate > 0 {
		parts = append(parts, fmt.Sprintf("rate %s msg/s", fmtRate(c.Rate)))
	}
	return strings.Join(parts, ", ")
}

// label pads a row name to one width, so that the right-aligned tables
// still start their rows flush left.
func label(name string) string { return fmt.Sprintf("%-12s", name) }
