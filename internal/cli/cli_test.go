package cli

import (
	"net"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestErrorOf(t *testing.T) {
	for _, c := range []struct {
		status int
		body   string
		want   string
	}{
		{404, `{"error":"Object Not Found","reason":"no queue 'x' in vhost '/'"}`, "no queue 'x' in vhost '/' (HTTP 404 Object Not Found)"},
		{400, `{"error":"bad_request"}`, "bad_request (HTTP 400 bad_request)"},
		{502, "<html>bad gateway</html>\n", "<html>bad gateway</html> (HTTP 502)"},
		{503, "", "Service Unavailable (HTTP 503)"},
	} {
		if got := errorOf(c.status, []byte(c.body)).Error(); got != c.want {
			t.Errorf("errorOf(%d, %q) = %q, want %q", c.status, c.body, got, c.want)
		}
	}
}

func TestAPIPathEscapesSegments(t *testing.T) {
	if got := apiPath("api", "queues", "/", "a b/c"); got != "/api/queues/%2F/a%20b%2Fc" {
		t.Errorf("apiPath = %q", got)
	}
	if got := apiPath("api", "connections", "127.0.0.1:5000 -> 127.0.0.1:5672"); got != "/api/connections/127.0.0.1:5000%20-%3E%20127.0.0.1:5672" {
		t.Errorf("apiPath = %q", got)
	}
}

// run runs a command line against no server and returns its code and
// streams.
func run(t *testing.T, environ []string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb strings.Builder
	code := Run(args, environ, IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

func TestRunUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"queues"}, "Usage: ferry queues COMMAND"},
		{[]string{"queues", "frob"}, `ferry queues: unknown command "frob"`},
		{[]string{"queues", "create"}, "ferry queues create: missing NAME"},
		{[]string{"queues", "create", "a", "b"}, `ferry queues create: unexpected argument "b"`},
		{[]string{"queues", "list", "--bogus"}, "ferry queues list: unknown flag --bogus"},
		{[]string{"queues", "browse", "q", "--limit", "0"}, "--limit must be 1 to 1000, got 0"},
		{[]string{"queues", "create", "q", "--arg", "x"}, `--arg wants key=value, got "x"`},
		{[]string{"consume", "q", "--count", "lots"}, `invalid value "lots" for flag -count`},
		{[]string{"publish", "q", "--routing-key", "k"}, "give a QUEUE or --exchange/--routing-key, not both"},
		{[]string{"publish", "--body", "x"}, "name a QUEUE (or --routing-key) for the default exchange"},
		{[]string{"history"}, "give a MESSAGE-ID, or --queue and --id"},
		{[]string{"history", "m-1", "--queue", "q"}, "not both"},
		{[]string{"dlq", "redrive", "q", "--limit", "-1"}, "--limit must not be negative"},
		{[]string{"dlq", "redrive", "q", "--match", "tenant"}, `--match wants key=value, got "tenant"`},
		{[]string{"status", "--admin-url", "ftp://x"}, "--admin-url must be an http:// or https:// URL"},
	} {
		code, _, stderr := run(t, nil, c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.stderr) {
			t.Errorf("%q: exit %d, stderr:\n%s\nwant exit 2 and %q", c.args, code, stderr, c.stderr)
		}
		if c.args[0] != "queues" || len(c.args) > 2 {
			if !strings.Contains(stderr, "Usage: ferry "+c.args[0]) {
				t.Errorf("%q: the usage error does not show the usage:\n%s", c.args, stderr)
			}
		}
	}
}

func TestRunHelp(t *testing.T) {
	code, stdout, stderr := run(t, nil, "dlq", "redrive", "-h")
	if code != exitOK || stderr != "" || !strings.Contains(stdout, "Usage: ferry dlq redrive QUEUE [flags]") || !strings.Contains(stdout, "--match key=value") {
		t.Errorf("dlq redrive -h: exit %d, stdout:\n%s\nstderr %q", code, stdout, stderr)
	}
	var b strings.Builder
	if !Help([]string{"connections"}, &b) || !strings.Contains(b.String(), "ferry connections close NAME") {
		t.Errorf("Help(connections) = %q", b.String())
	}
	if Help([]string{"nonsense"}, &b) {
		t.Error("Help(nonsense) = true")
	}
	if !Handles("dlq") || !Handles("status") || Handles("serve") {
		t.Errorf("Handles: names %v", Names())
	}
}

// TestRunUnreachable: with nothing listening, a command exits 1 and says
// where it tried, which comes from FERRY_ADMIN_URL unless --admin-url
// says otherwise.
func TestRunUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	code, _, stderr := run(t, []string{"FERRY_ADMIN_URL=" + url}, "queues", "list")
	if code != exitFailed || !strings.Contains(stderr, "ferry queues list: cannot reach the admin API at "+url) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = run(t, []string{"FERRY_ADMIN_URL=http://127.0.0.1:1"}, "status", "--admin-url", url)
	if code != exitFailed || !strings.Contains(stderr, url) {
		t.Errorf("--admin-url over the variable: exit %d, stderr %q", code, stderr)
	}
}

func TestDeadLetterTargets(t *testing.T) {
	qs := []queueInfo{
		{Name: "orders", Arguments: map[string]any{"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "orders.dlq"}},
		{Name: "orders.dlq"},
		{Name: "billing", Arguments: map[string]any{"x-dead-letter-exchange": "dlx"}},
		{Name: "billing.dead"},
		{Name: "tasks"}, // no dead-letter exchange: Ferry's tasks.dlq
		{Name: "tasks.dlq"},
		{Name: "mail"}, // policy
		{Name: "mail.failed"},
		{Name: "gone", Arguments: map[string]any{"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "nowhere"}},
	}
	bs := []binding{{Source: "dlx", Destination: "billing.dead", DestinationType: "queue", RoutingKey: "#"}}
	ps := []policy{
		{Name: "low", Pattern: "^mail$", Priority: 0, Definition: map[string]any{"dead-letter-exchange": "", "dead-letter-routing-key": "nope"}},
		{Name: "high", Pattern: "^ma", Priority: 5, Definition: map[string]any{"dead-letter-exchange": "", "dead-letter-routing-key": "mail.failed"}},
		{Name: "exchanges", Pattern: ".*", ApplyTo: "exchanges", Priority: 9, Definition: map[string]any{"dead-letter-exchange": "x"}},
	}
	got := deadLetterTargets(qs, bs, ps)
	want := map[string][]string{"orders.dlq": {"orders"}, "billing.dead": {"billing"}, "tasks.dlq": {"tasks"}, "mail.failed": {"mail"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("targets = %v, want %v", got, want)
	}
}

func TestDeathsOf(t *testing.T) {
	ds := deathsOf([]map[string]any{{"count": float64(3), "reason": "rejected", "queue": "orders", "time": float64(1796369989),
		"exchange": "", "routing-keys": []any{"orders"}}})
	want := death{Count: 3, Reason: "rejected", Queue: "orders", Time: time.Unix(1796369989, 0), RoutingKeys: []string{"orders"}}
	if len(ds) != 1 || !reflect.DeepEqual(ds[0], want) {
		t.Errorf("deathsOf = %+v, want %+v", ds, want)
	}
}
