package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrymq/ferry/internal/loadgen"
)

func TestBenchTableReadsResults(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for _, broker := range []string{"rabbitmq", "ferry"} {
		res := loadgen.Result{Scenario: "a", Broker: broker, LossChecked: true,
			Publish: loadgen.Throughput{MsgsPerSec: 1000}}
		data, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, broker+".json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	var out, errOut bytes.Buffer
	if code := runBench(append([]string{"table"}, paths...), &out, &errOut); code != 0 {
		t.Fatalf("table exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"| a | rabbitmq | 1,000 |", "| a | ferry | 1,000 |", "| a | ferry ÷ rabbitmq | 1.00× |"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	if code := runBench([]string{"table", filepath.Join(dir, "missing.json")}, &out, &errOut); code != 1 {
		t.Errorf("table of a missing file: exit %d, want 1", code)
	}
}

func TestBenchExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		say  string
	}{
		{[]string{"-h"}, 0, "-producers"},
		{[]string{"-no-such-flag"}, 2, "not defined"},
		{[]string{"stray"}, 2, "unexpected argument"},
		{[]string{"-size", "8"}, 1, "size 8"},
		{[]string{"-protocol", "stomp"}, 1, "protocol \"stomp\""},
		{[]string{"-protocol", "sqs-query", "-wait-seconds", "21"}, 1, "wait 21 s"},
		{[]string{"-h"}, 0, "-protocol"},
		{[]string{"-h"}, 0, "-client"},
		{[]string{"-client", "pika"}, 1, "client \"pika\": want lean or amqp091"},
	} {
		var out, errOut bytes.Buffer
		if code := runBench(tc.args, &out, &errOut); code != tc.code || !strings.Contains(errOut.String(), tc.say) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, errOut.String(), tc.code, tc.say)
		}
	}
}

// Results written before -client existed have no "client" field; the
// table reads them as before.
func TestBenchTableReadsResultsWithoutClient(t *testing.T) {
	dir := t.TempDir()
	old := `{"scenario":"a","broker":"rabbitmq","queue":"ferry-bench-1","run_id":"00000000000000ff",
		"config":{"protocol":"amqp","url":"amqp://guest:xxxxx@127.0.0.1:5672/","queue":"ferry-bench","fresh_queue":true,
		"durable":true,"producers":1,"consumers":1,"size":1024,"persistent":true,"confirm_window":64,"prefetch":100,
		"auto_ack":false,"ack_every":1,"rate":0,"duration_ns":20000000000,"count":0,"warmup_ns":2000000000,
		"drain_timeout_ns":10000000000,"interval_ns":1000000000,"scenario":"a","broker":"rabbitmq"},
		"sent":50000,"confirmed":50000,"nacked":0,"returned":0,"unconfirmed":0,"consumed":50000,"lost":0,
		"duplicates":0,"foreign":0,"loss_checked":true,"drained":true,
		"publish":{"messages":40000,"window_ns":20000000000,"msgs_per_sec":2000,"mb_per_sec":2.048},
		"consume":{"messages":40000,"window_ns":20000000000,"msgs_per_sec":2000,"mb_per_sec":2.048},
		"latency":{"count":40000,"min_ns":1000,"mean_ns":2000,"p50_ns":2000000,"p75_ns":2000,"p95_ns":2000,"p99_ns":3000000,"p999_ns":2000,"max_ns":9000},
		"confirm_latency":{"count":0,"min_ns":0,"mean_ns":0,"p50_ns":0,"p75_ns":0,"p95_ns":0,"p99_ns":0,"p999_ns":0,"max_ns":0},
		"elapsed_ns":23000000000,"drain_ns":1000000}`
	path := filepath.Join(dir, "old.json")
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := runBench([]string{"table", path}, &out, &errOut); code != 0 {
		t.Fatalf("table exit %d: %s", code, errOut.String())
	}
	if want := "| a | rabbitmq | 2,000 | 2,000 | 2.00ms | 3.00ms | 0 | 0 |"; !strings.Contains(out.String(), want) {
		t.Errorf("table lacks %q:\n%s", want, out.String())
	}
}
