package sqs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferrymq/ferry/internal/broker"
)

// DefaultAccountID is the account in queue URLs and ARNs unless
// Config.AccountID says otherwise, as local SQS emulators use it.
const DefaultAccountID = "000000000000"

// DefaultRegion is the region in queue ARNs unless Config.Region says
// otherwise.
const DefaultRegion = "us-east-1"

// maxRequestBytes bounds a request body: a batch of ten messages at the
// largest size SQS allows, plus room for the encoding.
const maxRequestBytes = 4 << 20

// Config is what NewServer needs.
type Config struct {
	// Broker holds the queues; SQS queues are those of broker.DefaultVHost.
	Broker *broker.Broker
	// AccountID appears in queue URLs and ARNs; "" means DefaultAccountID.
	AccountID string
	// Region appears in ARNs; "" means DefaultRegion.
	Region string
	// Keys maps access key ids to secret keys. When it is empty, any
	// credentials (or none) are accepted, as local emulators do; otherwise
	// every request must carry a valid SigV4 signature by one of them.
	Keys map[string]string
	// Logger receives the server's logs; nil means slog.Default().
	Logger *slog.Logger
}

// Server is the SQS front end: an http.Handler that speaks both of SQS's
// wire protocols. Safe for concurrent use.
type Server struct {
	b       *broker.Broker
	account string
	region  string
	keys    map[string]string
	logger  *slog.Logger

	ownerSeq  atomic.Uint64 // lease owners: one per ReceiveMessage call
	closing   chan struct{} // closed by Shutdown: long polls answer at once
	closeOnce sync.Once

	mu        sync.Mutex
	purges    map[string]time.Time   // guarded by mu; last PurgeQueue of each queue
	firstRecv map[msgKey]int64       // guarded by mu; ApproximateFirstReceiveTimestamp (ms) of messages in flight
	moves     map[string]*moveTask   // guarded by mu; message move tasks by handle
	bySource  map[string][]*moveTask // guarded by mu; tasks by source ARN, oldest first
	tasks     sync.WaitGroup         // running move tasks
	srv       *http.Server           // guarded by mu
}

// msgKey names a message of a queue.
type msgKey struct {
	queue string
	id    uint64
}

// ownerBase keeps SQS lease owners apart from AMQP channels (counted up
// from 1) and broker redrives (from 1<<62).
const ownerBase = 1 << 61

// NewServer returns a server on cfg. It logs once whether it checks
// signatures.
func NewServer(cfg Config) *Server {
	s := &Server{
		b: cfg.Broker, account: cfg.AccountID, region: cfg.Region, keys: cfg.Keys, logger: cfg.Logger,
		purges: map[string]time.Time{}, firstRecv: map[msgKey]int64{},
		moves: map[string]*moveTask{}, bySource: map[string][]*moveTask{}, closing: make(chan struct{}),
	}
	if s.account == "" {
		s.account = DefaultAccountID
	}
	if s.region == "" {
		s.region = DefaultRegion
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	s.logger = s.logger.With(slog.String("component", "sqs"))
	s.ownerSeq.Store(ownerBase)
	if len(s.keys) == 0 {
		s.logger.Warn("no SQS access keys configured: accepting any credentials (set sqs-access-keys to check SigV4 signatures)")
	} else {
		s.logger.Info("checking SigV4 signatures", slog.Int("access-keys", len(s.keys)))
	}
	return s
}

// ErrServerClosed is what Serve returns after Shutdown.
var ErrServerClosed = http.ErrServerClosed

// Serve answers requests on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.srv == nil {
		s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second}
	}
	srv := s.srv
	s.mu.Unlock()
	s.logger.Info("listening", slog.String("addr", ln.Addr().String()), slog.String("account", s.account))
	return srv.Serve(ln)
}

// Shutdown stops accepting requests, ends long polls (they answer with
// what they have, as when their wait is over) and move tasks, and waits
// for requests in flight within ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closeOnce.Do(func() { close(s.closing) })
	s.mu.Lock()
	srv := s.srv
	if srv == nil {
		s.srv = &http.Server{Handler: s}
		srv = s.srv
	}
	for _, t := range s.moves {
		t.cancel()
	}
	s.mu.Unlock()
	err := srv.Shutdown(ctx)
	s.tasks.Wait()
	return err
}

// request is one decoded call: the action, its parameters in the JSON
// protocol's shape (query parameters are converted into it) and where it
// came from.
type request struct {
	ctx       context.Context
	action    string
	params    map[string]any
	host      string // Host header, for queue URLs
	pathQueue string // queue named by the URL path, if any
	sender    string // access key id of the signer, or the account id
}

// handler runs one action and returns its result in the JSON protocol's
// shape.
type handler func(s *Server, r *request) (map[string]any, error)

// protocol is the wire protocol of a request.
type protocol uint8

const (
	protoJSON protocol = iota
	protoQuery
)

func (s *Server) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	reqID := newUUID()
	proto := protoQuery
	if t := hr.Header.Get("X-Amz-Target"); t != "" || strings.HasPrefix(hr.Header.Get("Content-Type"), "application/x-amz-json") {
		proto = protoJSON
	}
	action := ""
	reqBuf := getBuffer()
	defer putBuffer(reqBuf)
	res, err := func() (map[string]any, error) {
		if hr.Method != http.MethodPost && hr.Method != http.MethodGet {
			return nil, fail(errInvalidAction, "method %s is not supported", hr.Method)
		}
		body, err := readBody(hr, *reqBuf, maxRequestBytes)
		*reqBuf = body[:0]
		if err != nil {
			return nil, invalid("cannot read the request: %v", err)
		}
		if len(body) > maxRequestBytes {
			return nil, fail(errBatchRequestTooLong, "request body is larger than %d bytes", maxRequestBytes)
		}
		sender, aerr := s.authenticate(hr, body)
		if aerr != nil {
			return nil, aerr
		}
		r := &request{ctx: hr.Context(), host: hr.Host, sender: sender}
		if proto == protoJSON {
			r.action, r.params, err = decodeJSONRequest(hr.Header.Get("X-Amz-Target"), body)
		} else {
			r.action, r.params, err = decodeQueryRequest(hr.URL.RawQuery, body)
		}
		action = r.action
		if err != nil {
			return nil, err
		}
		r.pathQueue = queueFromPath(hr.URL.Path)
		h := actions[r.action]
		if h == nil {
			return nil, fail(errInvalidAction, "The action %s is not valid for this endpoint.", r.action)
		}
		return h(s, r)
	}()
	if err != nil {
		ae := toAPIError(err)
		if ae.status >= 500 {
			s.logger.Error("request failed", slog.String("action", action), slog.Any("err", err))
		}
		if proto == protoJSON {
			writeJSONError(w, ae, reqID)
		} else {
			writeXMLError(w, ae, reqID)
		}
		return
	}
	if proto == protoJSON {
		writeJSON(w, res, reqID)
	} else {
		writeXML(w, action, res, reqID)
	}
}

// queueFromPath returns the queue name of a path /<account>/<name>, or "".
func queueFromPath(p string) string {
	p = strings.Trim(p, "/")
	if i := strings.LastIndexByte(p, '/'); i >= 0 && i < len(p)-1 {
		return p[i+1:]
	}
	return ""
}

// queueURL is the URL of queue name as a client that reached us at host
// should use it.
func (s *Server) queueURL(host, name string) string {
	if host == "" {
		host = "localhost:9324"
	}
	return "http://" + host + "/" + s.account + "/" + name
}

// queueArn is the ARN of queue name.
func (s *Server) queueArn(name string) string {
	return "arn:aws:sqs:" + s.region + ":" + s.account + ":" + name
}

// nameFromArn returns the queue name of an SQS ARN of this server.
func (s *Server) nameFromArn(arn string) (string, bool) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sqs" || parts[5] == "" {
		return "", false
	}
	return parts[5], true
}

// queueName returns the queue a request addresses: its QueueUrl
// parameter, else its URL path. The name must be one of an existing queue
// for the action to go on; this only parses.
func (r *request) queueName() (string, error) {
	u, ok := r.params["QueueUrl"].(string)
	if !ok || u == "" {
		if r.pathQueue != "" {
			return r.pathQueue, nil
		}
		return "", missing("QueueUrl")
	}
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
		if j := strings.IndexByte(u, '/'); j >= 0 {
			u = u[j:]
		} else {
			u = ""
		}
	}
	if n := queueFromPath(u); n != "" {
		return n, nil
	}
	return "", invalid("Invalid value for the parameter QueueUrl.")
}

// lookupQueue returns the info of the queue a request addresses, or
// QueueDoesNotExist.
func (s *Server) lookupQueue(r *request) (broker.QueueInfo, error) {
	name, err := r.queueName()
	if err != nil {
		return broker.QueueInfo{}, err
	}
	qi, err := s.b.QueueInfo(broker.DefaultVHost, name)
	if err != nil {
		if errors.Is(err, broker.ErrNotFound) {
			return broker.QueueInfo{}, noQueue()
		}
		return broker.QueueInfo{}, err
	}
	return qi, nil
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}
