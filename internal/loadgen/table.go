package loadgen

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// WriteComparison prints results as one markdown table, grouped by
// scenario in the order they first appear: a row per broker, each but the
// baseline's followed by a ratio row broker ÷ baseline. Throughput ratios
// above 1 and latency ratios below 1 favour the broker over the baseline.
// baseline may list several labels, comma-separated (rabbitmq,goaws): a
// scenario's baseline is the first of them with a result there. The
// baseline and the contender get a "not run" row where they have no
// result, so a missing run is visible.
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
	baselines := strings.Split(baseline, ",")
	for _, sc := range scenarios {
		byBroker := map[string]*Result{}
		var seen []string
		for i := range results {
			r := &results[i]
			if r.Scenario != sc {
				continue
			}
			byBroker[r.Broker] = r
			if !slices.Contains(seen, r.Broker) {
				seen = append(seen, r.Broker)
			}
		}
		base := baselines[0]
		for _, bl := range baselines {
			if byBroker[bl] != nil {
				base = bl
				break
			}
		}
		brokers := []string{base, contender}
		for _, br := range seen {
			if !slices.Contains(brokers, br) {
				brokers = append(brokers, br)
			}
		}
		baseRes := byBroker[base]
		for _, br := range brokers {
			r := byBroker[br]
			if r == nil {
				if br == base || br == contender {
					fmt.Fprintf(&b, "| %s | %s | not run | | | | | |\n", sc, br)
				}
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
			if br != base && baseRes != nil {
				fmt.Fprintf(&b, "| %s | %s ÷ %s | %s | %s | %s | %s | | |\n", sc, br, base,
					ratio(r.Publish.MsgsPerSec, baseRes.Publish.MsgsPerSec),
					ratio(r.Consume.MsgsPerSec, baseRes.Consume.MsgsPerSec),
					ratio(float64(r.Latency.P50), float64(baseRes.Latency.P50)),
					ratio(float64(r.Latency.P99), float64(baseRes.Latency.P99)))
			}
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
