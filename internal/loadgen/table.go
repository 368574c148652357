package loadgen

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// WriteComparison prints results as one markdown table, grouped by
// scenario in the order they first appear: a row per broker, and a ratio
// row contender ÷ baseline where both ran. Throughput ratios above 1 and
// latency ratios below 1 favour the contender. A broker that has no
// result for a scenario gets a "not run" row, so a missing run is visible.
func WriteComparison(w io.Writer, results []Result, baseline, contender string) error {
	var b strings.Builder
	b.WriteString("| scenario | broker | publish msg/s | consume msg/s | p50 latency | p99 latency | lost | dup |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|\n")
	var scenarios []string
	for _, r := range results {
		if !slices.Contains(scenarios, r.Scenario) {
			scenarios = append(scenarios, r.Scenario)
		}
	}
	for _, sc := range scenarios {
		brokers := []string{baseline, contender}
		byBroker := map[string]*Result{}
		for i := range results {
			r := &results[i]
			if r.Scenario != sc {
				continue
			}
			byBroker[r.Broker] = r
			if !slices.Contains(brokers, r.Broker) {
				brokers = append(brokers, r.Broker)
			}
		}
		for _, br := range brokers {
			r := byBroker[br]
			if r == nil {
				fmt.Fprintf(&b, "| %s | %s | not run | | | | | |\n", sc, br)
				continue
			}
			lost := fmtCount(r.Lost)
			if !r.LossChecked {
				lost = "n/a"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", sc, br,
				fmtRate(r.Publish.MsgsPerSec), fmtRate(r.Consume.MsgsPerSec),
				latencyCell(r.Latency.P50, r.Latency.Count), latencyCell(r.Latency.P99, r.Latency.Count),
				lost, fmtCount(r.Duplicates))
		}
		base, cont := byBroker[baseline], byBroker[contender]
		if base != nil && cont != nil {
			fmt.Fprintf(&b, "| %s | %s ÷ %s | %s | %s | %s | %s | | |\n", sc, contender, baseline,
				ratio(cont.Publish.MsgsPerSec, base.Publish.MsgsPerSec),
				ratio(cont.Consume.MsgsPerSec, base.Consume.MsgsPerSec),
				ratio(float64(cont.Latency.P50), float64(base.Latency.P50)),
				ratio(float64(cont.Latency.P99), float64(base.Latency.P99)))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func latencyCell(d time.Duration, count uint64) string {
	if count == 0 {
		return "-"
	}
	return fmtLatency(d)
}

func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f×", a/b)
}
