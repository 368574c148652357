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
	} {
		var out, errOut bytes.Buffer
		if code := runBench(tc.args, &out, &errOut); code != tc.code || !strings.Contains(errOut.String(), tc.say) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, errOut.String(), tc.code, tc.say)
		}
	}
}
