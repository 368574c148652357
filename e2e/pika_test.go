package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// pikaScript is the Python side of the pika tests; it prints one JSON
// object with what it observed and asserts nothing itself.
const pikaScript = "testdata/pika_client.py"

// pikaPython returns a python3 that can import pika. It tries python3 on
// PATH first, then /usr/bin/python3: Debian's python3-pika installs into
// the system interpreter, which a pyenv or venv python3 earlier on PATH
// does not see.
//
// Without one the test is skipped on a developer's machine, but fails when
// CI is set: .ci/run installs python3-pika, so a missing pika there is a
// broken CI, and a skip would let these tests vanish unnoticed.
func pikaPython(t *testing.T) string {
	t.Helper()
	var tried []string
	for _, name := range []string{"python3", "/usr/bin/python3"} {
		path, err := exec.LookPath(name)
		if err != nil {
			tried = append(tried, err.Error())
			continue
		}
		out, err := exec.Command(path, "-c", "import pika; print(pika.__version__)").CombinedOutput()
		if err == nil {
			t.Logf("pika %s, with %s", strings.TrimSpace(string(out)), path)
			return path
		}
		tried = append(tried, path+": "+lastLine(out))
	}
	msg := "no python3 with pika (Debian: apt-get install python3-pika); tried " + strings.Join(tried, "; ")
	if os.Getenv("CI") != "" {
		t.Fatal(msg + "; CI is set, so this fails instead of skipping")
	}
	t.Skip(msg)
	return ""
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

// runPika runs the script in mode against n and decodes what it printed.
func runPika(t *testing.T, py string, n *node, mode string, args ...string) map[string]any {
	t.Helper()
	// pika wants the default vhost "/" spelled out, escaped.
	url := "amqp://guest:guest@" + n.addr + "/%2F"
	cmd := exec.Command(py, append([]string{pikaScript, mode, url}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("pika %s: %v\nstderr:\n%s\nstdout:\n%s", mode, err, stderr.String(), stdout.String())
	}
	var out map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("pika %s printed no JSON object: %v\n%s", mode, err, stdout.String())
	}
	return out
}

// TestPikaScenario runs pika's BlockingConnection through declare, bind,
// confirmed publishes with headers of every type pika encodes, basic_get,
// consume with prefetch 2, nack and reject with requeue, a 404 channel
// error, exchange-to-exchange bindings, purge and delete, and compares
// every observation with testdata/pika_scenario.json: the answers RabbitMQ
// documents for the same calls (reply codes and texts, message counts,
// redelivered flags), so a client written against RabbitMQ sees no
// difference.
func TestPikaScenario(t *testing.T) {
	t.Parallel()
	py := pikaPython(t)
	n := startNode(t, t.TempDir())
	got := runPika(t, py, n, "scenario")

	raw, err := os.ReadFile("testdata/pika_scenario.json")
	must(t, err)
	var want map[string]any
	must(t, json.Unmarshal(raw, &want))
	compareJSON(t, got, want)
}

// compareJSON reports, key by key, where got and want differ, so a
// failure names the step of the scenario that went wrong.
func compareJSON(t *testing.T, got, want map[string]any) {
	t.Helper()
	keys := map[string]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		if !reflect.DeepEqual(got[k], want[k]) {
			g, _ := json.MarshalIndent(got[k], "  ", "  ")
			w, _ := json.MarshalIndent(want[k], "  ", "  ")
			t.Errorf("%s:\n  got  %s\n  want %s", k, g, w)
		}
	}
}
