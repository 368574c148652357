package broker

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/ferrymq/ferry/internal/message"
)

// aeArgs is an exchange's arguments naming its alternate exchange.
func aeArgs(name string) message.Table {
	return message.Table{{Key: "alternate-exchange", Value: name}}
}

func TestAlternateExchangeArgument(t *testing.T) {
	e := newEnv(t)
	e.declareX("/", "ae", ExchangeOptions{Kind: "fanout"})
	e.declareX("/", "x", ExchangeOptions{Kind: "direct", Args: aeArgs("ae")})
	e.declare("/", "main", QueueOptions{})
	e.declare("/", "unrouted", QueueOptions{})
	e.bindQ("/", "main", "x", "k", nil)
	e.bindQ("/", "unrouted", "ae", "", nil)

	wantQueues(t, "matching key", e.routedTo("/", "x", "k", nil), "main")
	// Routed through the alternate: Route counts it, so a mandatory
	// publish is not returned.
	wantQueues(t, "other key", e.routedTo("/", "x", "other", nil), "unrouted")
	// The alternate's own bindings are not consulted when x routed it.
	e.bindQ("/", "main", "ae", "", nil)
	wantQueues(t, "matching key, alternate bound too", e.routedTo("/", "x", "k", nil), "main")
	wantQueues(t, "other key, alternate bound to both", e.routedTo("/", "x", "other", nil), "main", "unrouted")
	// Publishing to the alternate itself is plain routing.
	wantQueues(t, "to the alternate", e.routedTo("/", "ae", "any", nil), "main", "unrouted")

	// The message is not changed on its way: exchange and key stay.
	m := &message.Message{Exchange: "x", RoutingKey: "nobody", Body: []byte("as sent")}
	if n, err := e.b.Route("/", m, nil); n != 2 || err != nil {
		t.Fatalf("Route = %d, %v", n, err)
	}
	q, err := e.b.Queue("/", "unrouted")
	if err != nil {
		t.Fatal(err)
	}
	d, ok, err := q.Get(1, true, e.b.Now())
	if err != nil || !ok {
		t.Fatalf("Get = %v, %v", ok, err)
	}
	got, err := message.Decode(d.Data)
	if err != nil {
		t.Fatal(err)
	}
	if got.Exchange != "x" || got.RoutingKey != "nobody" || string(got.Body) != "as sent" {
		t.Fatalf("delivered %q %q %q, want x nobody \"as sent\"", got.Exchange, got.RoutingKey, got.Body)
	}
}

func TestAlternateExchangeChainsAndCycles(t *testing.T) {
	e := newEnv(t)
	// x -> ae1 (direct, routes only "one") -> ae2 (fanout) -> q2.
	e.declareX("/", "ae2", ExchangeOptions{Kind: "fanout"})
	e.declareX("/", "ae1", ExchangeOptions{Kind: "direct", Args: aeArgs("ae2")})
	e.declareX("/", "x", ExchangeOptions{Kind: "direct", Args: aeArgs("ae1")})
	e.declare("/", "q1", QueueOptions{})
	e.declare("/", "q2", QueueOptions{})
	e.bindQ("/", "q1", "ae1", "one", nil)
	e.bindQ("/", "q2", "ae2", "", nil)
	wantQueues(t, "first alternate routes", e.routedTo("/", "x", "one", nil), "q1")
	wantQueues(t, "second alternate routes", e.routedTo("/", "x", "two", nil), "q2")

	// a and b name each other and route nothing: the chain ends where it
	// comes back, with nothing routed.
	e.declareX("/", "a", ExchangeOptions{Kind: "direct", Args: aeArgs("b")})
	e.declareX("/", "b", ExchangeOptions{Kind: "direct", Args: aeArgs("a")})
	wantQueues(t, "cycle", e.routedTo("/", "a", "k", nil))
	// An exchange that names itself.
	e.declareX("/", "self", ExchangeOptions{Kind: "topic", Args: aeArgs("self")})
	wantQueues(t, "self", e.routedTo("/", "self", "k", nil))

	// Exchange-to-exchange: src routes to mid, so src's alternate is not
	// used even when mid routes nowhere; mid's own alternate is.
	e.declareX("/", "mid-ae", ExchangeOptions{Kind: "fanout"})
	e.declare("/", "mid-lost", QueueOptions{})
	e.bindQ("/", "mid-lost", "mid-ae", "", nil)
	e.declareX("/", "src-ae", ExchangeOptions{Kind: "fanout"})
	e.declare("/", "src-lost", QueueOptions{})
	e.bindQ("/", "src-lost", "src-ae", "", nil)
	e.declareX("/", "mid", ExchangeOptions{Kind: "direct", Args: aeArgs("mid-ae")})
	e.declareX("/", "src", ExchangeOptions{Kind: "fanout", Args: aeArgs("src-ae")})
	e.bindX("/", "mid", "src", "", nil)
	wantQueues(t, "bound exchange's alternate", e.routedTo("/", "src", "k", nil), "mid-lost")
	e.b.UnbindExchange("/", "mid", "src", "", nil)
	wantQueues(t, "after unbinding", e.routedTo("/", "src", "k", nil), "src-lost")
}

// recordingHandler keeps the messages of the records it is given.
type recordingHandler struct {
	mu   sync.Mutex
	msgs []string
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler            { return h }
func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b strings.Builder
	b.WriteString(r.Level.String() + " " + r.Message)
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.String())
		return true
	})
	h.msgs = append(h.msgs, b.String())
	return nil
}

// wantWarnedOnce fails unless want is the one WARN record h got.
func (h *recordingHandler) wantWarnedOnce(t *testing.T, want string) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	var warned []string
	for _, m := range h.msgs {
		if strings.HasPrefix(m, "WARN") {
			warned = append(warned, m)
		}
	}
	if len(warned) != 1 || warned[0] != want {
		t.Fatalf("warned %q, want once %q", warned, want)
	}
}

func TestAlternateExchangeMissing(t *testing.T) {
	e := newEnv(t)
	h := &recordingHandler{}
	e.b.logger = slog.New(h)
	e.declareX("/", "x", ExchangeOptions{Kind: "direct", Args: aeArgs("not-yet")})
	for range 3 {
		wantQueues(t, "missing alternate", e.routedTo("/", "x", "k", nil))
	}
	want := "WARN alternate exchange does not exist; unroutable messages are dropped vhost=/ exchange=x alternate_exchange=not-yet"
	h.wantWarnedOnce(t, want)
	// Declared later, it takes effect at once.
	e.declareX("/", "not-yet", ExchangeOptions{Kind: "fanout"})
	e.declare("/", "late", QueueOptions{})
	e.bindQ("/", "late", "not-yet", "", nil)
	wantQueues(t, "alternate declared later", e.routedTo("/", "x", "k", nil), "late")
}

func TestAlternateExchangeArgumentType(t *testing.T) {
	e := newEnv(t)
	err := e.b.DeclareExchange("/", "x", ExchangeOptions{Kind: "direct", Args: message.Table{{Key: "alternate-exchange", Value: int32(5)}}})
	wantCode(t, "numeric alternate-exchange", err, PreconditionFailed)
	if want := "invalid arg 'alternate-exchange' for exchange 'x' in vhost '/': {unacceptable_type,signedint}"; err.Error() != want {
		t.Fatalf("error = %q, want %q", err, want)
	}
	if err := e.b.ExchangeExists("/", "x"); err == nil {
		t.Fatal("a refused declare made the exchange")
	}
	// A byte string (how AMQP tables carry long strings) is a name.
	e.declareX("/", "y", ExchangeOptions{Kind: "direct", Args: message.Table{{Key: "alternate-exchange", Value: []byte("amq.fanout")}}})
	e.declare("/", "fq", QueueOptions{})
	e.bindQ("/", "fq", "amq.fanout", "", nil)
	wantQueues(t, "byte string name", e.routedTo("/", "y", "k", nil), "fq")
}

func TestAlternateExchangeSurvivesRestart(t *testing.T) {
	e := newEnv(t)
	e.declareX("/", "ae", ExchangeOptions{Kind: "fanout", Durable: true})
	e.declareX("/", "x", ExchangeOptions{Kind: "direct", Durable: true, Args: aeArgs("ae")})
	e.declare("/", "lost", QueueOptions{Durable: true})
	e.bindQ("/", "lost", "ae", "", nil)
	e.restart()
	wantQueues(t, "after restart", e.routedTo("/", "x", "k", nil), "lost")
}

func TestAlternateExchangeFromPolicy(t *testing.T) {
	e := newEnv(t)
	for _, x := range []string{"p.x", "p.arg", "p.hidden", "other"} {
		e.declareX("/", x, ExchangeOptions{Kind: "direct"})
	}
	e.declareX("/", "p.with-arg", ExchangeOptions{Kind: "direct", Args: aeArgs("arg-ae")})
	for _, ae := range []string{"policy-ae", "arg-ae"} {
		e.declareX("/", ae, ExchangeOptions{Kind: "fanout"})
		e.declare("/", ae+"-q", QueueOptions{})
		e.bindQ("/", ae+"-q", ae, "", nil)
	}
	err := e.b.SetPolicies([]Policy{
		{Name: "ae", Pattern: `^p\.`, ApplyTo: "exchanges", Definition: map[string]any{"alternate-exchange": "policy-ae"}},
		// Higher priority, no alternate: the exchange it matches has none,
		// as in RabbitMQ, where only the best policy applies.
		{Name: "hides", Pattern: `^p\.hidden$`, ApplyTo: "all", Priority: 5, Definition: map[string]any{"max-length": 10.0}},
		// A queues policy never gives an exchange an alternate.
		{Name: "queues-only", Pattern: `^other$`, ApplyTo: "queues", Definition: map[string]any{"alternate-exchange": "policy-ae"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantQueues(t, "policy", e.routedTo("/", "p.x", "k", nil), "policy-ae-q")
	wantQueues(t, "argument wins over policy", e.routedTo("/", "p.with-arg", "k", nil), "arg-ae-q")
	wantQueues(t, "higher-priority policy without one", e.routedTo("/", "p.hidden", "k", nil))
	wantQueues(t, "apply-to queues", e.routedTo("/", "other", "k", nil))
	// A queue the "all" policy matches keeps working: the exchange key is
	// not a queue rule.
	for q, want := range map[string]string{"p.hidden": "hides", "other": "queues-only"} {
		e.declare("/", q, QueueOptions{})
		if p, ok := e.b.PolicyOf("/", q); !ok || p.Name != want {
			t.Fatalf("queue %s: policy %q (%v), want %q", q, p.Name, ok, want)
		}
	}
	// Policies change live.
	if err := e.b.SetPolicies(nil); err != nil {
		t.Fatal(err)
	}
	wantQueues(t, "policy removed", e.routedTo("/", "p.x", "k", nil))
}

func TestAlternateExchangePolicyValues(t *testing.T) {
	for _, tt := range []struct {
		v    any
		want string
	}{
		{"ae", ""},
		{"", "invalid policy value for 'alternate-exchange': want an exchange name"},
		{5.0, "invalid policy value for 'alternate-exchange': want an exchange name"},
		{true, "invalid policy value for 'alternate-exchange': want an exchange name"},
	} {
		err := CheckPolicyDefinition(map[string]any{"alternate-exchange": tt.v})
		if got := errText(err); got != tt.want {
			t.Errorf("CheckPolicyDefinition(alternate-exchange: %v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
