package loadgen

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestWriteComparison(t *testing.T) {
	rabbit := sampleResult()
	ferry := sampleResult()
	ferry.Broker = "ferry"
	ferry.Publish = throughputOf(150_000, 10*time.Second, 1024) // 1.5× rabbit's
	ferry.Latency.P99 = rabbit.Latency.P99 / 2
	onlyRabbit := sampleResult()
	onlyRabbit.Scenario = "b"
	onlyRabbit.LossChecked = false

	var b bytes.Buffer
	if err := WriteComparison(&b, []Result{rabbit, ferry, onlyRabbit}, "rabbitmq", "ferry"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	want := []string{
		"| scenario | broker | publish msg/s | consume msg/s | p50 latency | p99 latency | lost | dup |",
		"|---|---|---:|---:|---:|---:|---:|---:|",
		"| a | rabbitmq | 10,000 | 9,900 | 500µs | 990µs | 0 | 1 |",
		"| a | ferry | 15,000 | 9,900 | 500µs | 495µs | 0 | 1 |",
		"| a | ferry ÷ rabbitmq | 1.50× | 1.00× | 1.00× | 0.50× | | |",
		"| b | rabbitmq | 10,000 | 9,900 | 500µs | 990µs | n/a | 1 |",
		"| b | ferry | not run | | | | | |",
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), b.String())
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d:\n got %s\nwant %s", i, lines[i], want[i])
		}
	}
}

// TestWriteComparisonSeveralBaselines is the SQS part of compare.sh: the
// baseline is goaws where RabbitMQ did not run, and every other broker
// gets its ratio row.
func TestWriteComparisonSeveralBaselines(t *testing.T) {
	rabbit := sampleResult()
	ferryA := sampleResult()
	ferryA.Broker = "ferry"
	goaws := sampleResult()
	goaws.Scenario, goaws.Broker = "d", "goaws"
	ferryQuery := goaws
	ferryQuery.Broker = "ferry"
	ferryQuery.Publish = throughputOf(300_000, 10*time.Second, 1024)
	ferryJSON := goaws
	ferryJSON.Broker = "ferry (json)"
	ferryJSON.Publish = throughputOf(200_000, 10*time.Second, 1024)

	var b bytes.Buffer
	if err := WriteComparison(&b, []Result{rabbit, ferryA, goaws, ferryQuery, ferryJSON}, "rabbitmq,goaws", "ferry"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	want := []string{
		"| a | rabbitmq | 10,000 | 9,900 | 500µs | 990µs | 0 | 1 |",
		"| a | ferry | 10,000 | 9,900 | 500µs | 990µs | 0 | 1 |",
		"| a | ferry ÷ rabbitmq | 1.00× | 1.00× | 1.00× | 1.00× | | |",
		"| d | goaws | 10,000 | 9,900 | 500µs | 990µs | 0 | 1 |",
		"| d | ferry | 30,000 | 9,900 | 500µs | 990µs | 0 | 1 |",
		"| d | ferry ÷ goaws | 3.00× | 1.00× | 1.00× | 1.00× | | |",
		"| d | ferry (json) | 20,000 | 9,900 | 500µs | 990µs | 0 | 1 |",
		"| d | ferry (json) ÷ goaws | 2.00× | 1.00× | 1.00× | 1.00× | | |",
	}
	if len(lines) != len(want)+2 {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want)+2, b.String())
	}
	for i := range want {
		if lines[i+2] != want[i] {
			t.Errorf("line %d:\n got %s\nwant %s", i+2, lines[i+2], want[i])
		}
	}
}
