package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ferrymq/ferry/internal/amqp"
	"github.com/ferrymq/ferry/internal/auth"
	"github.com/ferrymq/ferry/internal/broker"
)

// DefaultMetricsMaxQueues is how many queues get series of their own in
// /metrics when Config.MetricsMaxQueues is 0.
const DefaultMetricsMaxQueues = 1000

// SampleInterval is how often the rate sampler reads the queues'
// counters; *_details.rate is the rate over the last interval.
const SampleInterval = 5 * time.Second

// Config is what New needs.
type Config struct {
	Broker *broker.Broker // required
	Users  *auth.Users    // nil means auth.Default()
	// AMQP is the AMQP front end, for connections, channels and
	// consumers; nil lists none.
	AMQP   *amqp.Server
	Logger *slog.Logger // nil means slog.Default()
	// Version is the product version shown by /api/overview.
	Version string
	// MetricsMaxQueues caps the queues with series of their own in
	// /metrics; the others are summed under queue="_other". 0 means
	// DefaultMetricsMaxQueues.
	MetricsMaxQueues int
	// Store, if not nil, reports the durable store for /metrics
	// (ferry_store_*), /api/overview (ferry_store) and /readyz (its
	// sticky error); cmd/ferry adapts the disk store's Stats.
	Store func() StoreStats
	// DataDir is the data folder: /api/overview shows the space free on
	// its file system, and /readyz fails when that is below
	// DiskFreeLimit (bytes; 0: no limit), the disk alarm's watermark.
	DataDir       string
	DiskFreeLimit int64
	// Ready, if not nil, tells /readyz what admin cannot see itself: nil
	// once every configured listener accepts, else why not (cmd/ferry).
	Ready func() error
	// Listeners, if not nil, lists the node's bound listeners for
	// /api/overview (RabbitMQ's "listeners"); admin knows only its own
	// address otherwise.
	Listeners func() []Listener
}

// Listener is one of the node's bound listeners, as /api/overview shows
// it: protocol "amqp", "sqs" or "http" (admin), and its address.
type Listener struct {
	Protocol string
	Addr     net.Addr
}

// Server is the admin HTTP front end: the REST API, Ferry's own
// endpoints and /metrics.
type Server struct {
	cfg    Config
	broker *broker.Broker
	users  *auth.Users
	amqp   *amqp.Server
	logger *slog.Logger
	routes []route
	rates  *sampler
	tasks  *tasks
	metric http.Handler

	ctx    context.Context // ends at Shutdown: background redrives stop
	cancel context.CancelFunc

	mu      sync.Mutex
	httpSrv *http.Server  // guarded by mu
	stop    chan struct{} // guarded by mu; closed to stop the sampler
	done    chan struct{} // closed when the sampler has stopped
	closed  bool          // guarded by mu; Shutdown was called
}

// New returns a server for cfg; it serves nothing until Serve.
func New(cfg Config) *Server {
	if cfg.MetricsMaxQueues <= 0 {
		cfg.MetricsMaxQueues = DefaultMetricsMaxQueues
	}
	if cfg.Version == "" {
		cfg.Version = amqp.Version
	}
	s := &Server{cfg: cfg, broker: cfg.Broker, users: cfg.Users, amqp: cfg.AMQP, logger: cfg.Logger}
	if s.users == nil {
		s.users = auth.Default()
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	s.logger = s.logger.With(slog.String("component", "admin"))
	s.rates = newSampler()
	s.tasks = newTasks()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.metric = s.metricsHandler()
	s.addRoutes()
	return s
}

// Handler returns the HTTP handler of every endpoint.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Serve serves HTTP on ln and samples rates until Shutdown; then it
// returns http.ErrServerClosed.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return http.ErrServerClosed
	}
	if s.httpSrv == nil {
		s.httpSrv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
		s.stop, s.done = make(chan struct{}), make(chan struct{})
		// The first sample is taken before serving, so that no request
		// (nor a test that samples by hand) can come before it.
		s.rates.sample(s.broker, s.broker.Now())
		go s.sampleLoop(s.stop, s.done)
	}
	hs := s.httpSrv
	s.mu.Unlock()
	s.logger.Info("listening", slog.String("addr", ln.Addr().String()))
	return hs.Serve(ln)
}

// Shutdown stops serving, waiting for requests in flight within ctx, and
// cancels running redrives (what they moved stays moved).
func (s *Server) Shutdown(ctx context.Context) error {
	s.cancel()
	s.mu.Lock()
	s.closed = true
	hs, stop, done := s.httpSrv, s.stop, s.done
	s.stop = nil
	s.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
	var err error
	if hs != nil {
		err = hs.Shutdown(ctx)
	}
	s.tasks.wait()
	return err
}

// sampleLoop feeds the rate sampler every SampleInterval.
func (s *Server) sampleLoop(stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(SampleInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			s.rates.sample(s.broker, s.broker.Now())
		}
	}
}

// route is one endpoint: a method and a path pattern whose "{name}"
// segments match one raw (still escaped) segment each, so that the vhost
// "/" arrives as %2F and stays one segment.
type route struct {
	method  string
	pattern string
	segs    []string
	auth    bool // needs basic auth
	rest    bool // the last "{name}" takes the rest of the path, slashes and all, or nothing (handleRest)
	h       func(w http.ResponseWriter, r *http.Request, p params)
}

// params are a route's path parameters, unescaped, and the caller.
type params struct {
	vars map[string]string
	user string
}

func (p params) get(k string) string { return p.vars[k] }

func (s *Server) handle(method, pattern string, needAuth bool, h func(http.ResponseWriter, *http.Request, params)) {
	s.routes = append(s.routes, route{method: method, pattern: pattern, segs: strings.Split(strings.Trim(pattern, "/"), "/"), auth: needAuth, h: h})
}

// handleRest registers a route whose last variable matches the rest of
// the path: the dashboard's files live under /dashboard/{path}.
func (s *Server) handleRest(method, pattern string, needAuth bool, h func(http.ResponseWriter, *http.Request, params)) {
	s.handle(method, pattern, needAuth, h)
	s.routes[len(s.routes)-1].rest = true
}

// match finds the route of method and raw path; pathOK reports whether
// some route has that path (for 405 against 404).
func (s *Server) match(method, raw string) (rt *route, vars map[string]string, pathOK bool, err error) {
	segs := strings.Split(strings.Trim(raw, "/"), "/")
	for i := range s.routes {
		r := &s.routes[i]
		rs := segs
		if n := len(r.segs) - 1; r.rest && len(segs) >= n {
			rs = append(segs[:n:n], strings.Join(segs[n:], "/")) // the tail as one segment
		}
		if len(r.segs) != len(rs) {
			continue
		}
		v, ok, err := matchSegs(r.segs, rs)
		if err != nil {
			return nil, nil, false, err
		}
		if !ok {
			continue
		}
		pathOK = true
		if r.method == method || method == http.MethodHead && r.method == http.MethodGet {
			return r, v, true, nil
		}
	}
	return nil, nil, pathOK, nil
}

func matchSegs(pat, segs []string) (map[string]string, bool, error) {
	var vars map[string]string
	for i, p := range pat {
		if strings.HasPrefix(p, "{") {
			v, err := url.PathUnescape(segs[i])
			if err != nil {
				return nil, false, fmt.Errorf("path segment %q: %w", segs[i], err)
			}
			if vars == nil {
				vars = map[string]string{}
			}
			vars[p[1:len(p)-1]] = v
			continue
		}
		if p != segs[i] {
			return nil, false, nil
		}
	}
	return vars, true, nil
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rt, vars, pathOK, err := s.match(r.Method, r.URL.EscapedPath())
	switch {
	case err != nil:
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	case rt == nil && pathOK:
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed on "+r.URL.Path)
		return
	case rt == nil:
		writeError(w, http.StatusNotFound, "Object Not Found", "Not Found")
		return
	}
	if !sameOrigin(r) {
		writeError(w, http.StatusForbidden, "forbidden", fmt.Sprintf("cross-origin %s refused: Origin %q is not this server (%s)", r.Method, r.Header.Get("Origin"), r.Host))
		return
	}
	p := params{vars: vars}
	if rt.auth {
		user, ok := s.authenticate(w, r)
		if !ok || !s.authorize(w, r.Method, rt.pattern, user) {
			return
		}
		p.user = user
		// Vhost management is not confined to the vhosts one may use.
		if vh, ok := vars["vhost"]; ok && !strings.HasPrefix(rt.pattern, "/api/vhosts/") &&
			!s.users.CanAccess(user, vh) && slices.Contains(s.broker.VHosts(), vh) {
			writeError(w, http.StatusUnauthorized, "not_authorised", fmt.Sprintf("access to vhost '%s' refused for user '%s'", vh, user))
			return
		}
	}
	rt.h(w, r, p)
}

// sameOrigin guards against cross-site request forgery: a browser that
// once sent basic credentials to the API keeps sending them, so a hostile
// page could make it POST a form (a publish, a get that acks, a redrive).
// Browsers name the page's origin in Origin on every cross-origin request
// that is not a plain GET; a request that changes something is refused
// when that origin is not this server. Tools (curl, rabbitmqadmin, the
// CLI, the SDKs) send no Origin and are not affected.
func sameOrigin(r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions {
		return true
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// writeError answers as RabbitMQ's management API does:
// {"error": "...", "reason": "..."}.
func writeError(w http.ResponseWriter, status int, name, reason string) {
	writeJSON(w, status, map[string]string{"error": name, "reason": reason})
}

// writeBrokerError maps a broker error to an HTTP status, in this one
// place.
func writeBrokerError(w http.ResponseWriter, err error) {
	switch broker.CodeOf(err) {
	case broker.NotFound:
		writeError(w, http.StatusNotFound, "Object Not Found", err.Error())
	case broker.PreconditionFailed, broker.InvalidArgument, broker.CommandInvalid, broker.NotAllowed:
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
	case broker.AccessRefused, broker.ResourceLocked:
		writeError(w, http.StatusForbidden, "access_refused", err.Error())
	default:
		writeError(w, http.StatusInternalServerError, "internal_error", err.Error())
	}
}

// readJSON decodes the request body into v; an empty body leaves v as
// it is. It answers 400 itself and reports false on bad input.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<20))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, "bad_request", "request body: "+err.Error())
		return false
	}
	return true
}

// boolParam reads a query flag: "true" or "1" is set.
func boolParam(r *http.Request, key string) bool {
	v := r.URL.Query().Get(key)
	return v == "true" || v == "1"
}
