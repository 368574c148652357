package loadgen

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"
)

// SQS mode. The same run as over AMQP, in SQS's terms: the run's queue is
// made with CreateQueue (a fresh name per run with FreshQueue, or the
// run's own name when Queue is empty, and then deleted with DeleteQueue);
// producers send with SendMessageBatch, one batch at a time (a batch's
// answer is its confirm: successful entries are accepted, failed ones
// nacked); consumers long-poll with ReceiveMessage and delete what they
// got with DeleteMessageBatch. Each producer and consumer has its own HTTP
// client, so its own connections.
//
// SQS bodies are text (XML 1.0 characters), so the 32-byte header travels
// base64-encoded in the first sqsHeaderLen characters of the body, padded
// with 'x' to Size. Loss and duplicates are counted with the same ledger.

const (
	// sqsHeaderLen is the length of the base64 header (32 bytes, padded).
	sqsHeaderLen = 44
	// sqsMaxRequest is SQS's limit on a message and on a batch's total.
	sqsMaxRequest = 256 << 10
	// sqsRegion is the region the clients sign for; local servers ignore it.
	sqsRegion = "us-east-1"
)

// sqsClient is one wire protocol's client for the five actions a run uses.
type sqsClient interface {
	createQueue(ctx context.Context, name string) (queueURL string, err error)
	deleteQueue(ctx context.Context, queueURL string) error
	// sendBatch sends bodies as one batch, entry ids "0", "1", ..., and
	// reports which entries the server accepted.
	sendBatch(ctx context.Context, queueURL string, bodies []string) (ok []bool, err error)
	receive(ctx context.Context, queueURL string, max, waitSeconds int) ([]sqsMessage, error)
	// deleteBatch deletes by receipt handle and returns how many failed.
	deleteBatch(ctx context.Context, queueURL string, handles []string) (failed int, err error)
}

type sqsMessage struct {
	body, receiptHandle string
}

// sqsEndpoint splits an SQS URL into the endpoint (without credentials)
// and the access key to sign with. Without one keyID is "" and requests
// go unsigned, which servers that check no signature (Ferry without keys,
// goaws) accept: signing would only spend the load tool's CPU, which it
// shares with the broker under test.
func sqsEndpoint(raw string) (endpoint, keyID, secret string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", "", err
	}
	if u.User != nil {
		keyID = u.User.Username()
		if s, ok := u.User.Password(); ok {
			secret = s
		}
	}
	u.User = nil
	u.Path, u.RawPath, u.RawQuery, u.Fragment = "", "", "", ""
	return u.String(), keyID, secret, nil
}

// newSQSClient returns a client in cfg's protocol with its own HTTP
// connections.
func newSQSClient(cfg *Config) (sqsClient, error) {
	endpoint, keyID, secret, err := sqsEndpoint(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("url %s: %w", cfg.RedactedURL(), err)
	}
	hc := &http.Client{
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 2,
			IdleConnTimeout:     time.Minute,
		},
		// A hang guard: a long poll answers within WaitSeconds.
		Timeout: time.Duration(cfg.WaitSeconds)*time.Second + time.Minute,
	}
	if cfg.Protocol == ProtocolSQSJSON {
		return newJSONClient(hc, endpoint, keyID, secret), nil
	}
	return newQueryClient(hc, endpoint, keyID, secret), nil
}

// sqsBatchLen is how many entries go in one SendMessageBatch: Batch, or
// fewer if their bodies would pass the request limit.
func sqsBatchLen(cfg *Config) int {
	n := max(1, cfg.Batch)
	if cfg.Size > 0 {
		n = min(n, sqsMaxRequest/cfg.Size)
	}
	return max(1, n)
}

// newSQSBody returns a producer's reusable body buffer: the header's place, then
// padding.
func newSQSBody(size int) []byte {
	b := make([]byte, size)
	for i := sqsHeaderLen; i < size; i++ {
		b[i] = 'x'
	}
	return b
}

// encodeSQSBody writes h, base64-encoded, at the start of buf and returns
// the body as a string.
func encodeSQSBody(buf []byte, h header) string {
	var raw [HeaderSize]byte
	h.put(raw[:])
	base64.StdEncoding.Encode(buf[:sqsHeaderLen], raw[:])
	return string(buf)
}

// parseSQSBody reads the header at the start of an SQS body.
func parseSQSBody(body string) (header, error) {
	if len(body) < sqsHeaderLen {
		return header{}, errNotOurs
	}
	var raw [HeaderSize + 1]byte // base64's decoder wants room for padding
	n, err := base64.StdEncoding.Decode(raw[:], []byte(body[:sqsHeaderLen]))
	if err != nil || n != HeaderSize {
		return header{}, errNotOurs
	}
	return parseHeader(raw[:n])
}

// sqsQueueName is the run's queue name: Queue, with the run id appended
// for a fresh queue or when Queue is empty (SQS has no server-named
// queues). owned says whether the run deletes it afterwards.
func sqsQueueName(cfg *Config, runID uint64) (name string, owned bool) {
	switch {
	case cfg.Queue == "":
		return fmt.Sprintf("ferry-bench-%016x", runID), true
	case cfg.FreshQueue:
		return fmt.Sprintf("%s-%016x", cfg.Queue, runID), true
	}
	return cfg.Queue, false
}
