package sqs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/ferrymq/ferry/internal/broker"
	"github.com/ferrymq/ferry/internal/queue"
	"github.com/ferrymq/ferry/internal/store/memstore"
)

// env is a broker and an SQS server on loopback, with an SDK client.
type env struct {
	t      *testing.T
	b      *broker.Broker
	srv    *Server
	addr   string
	client *awssqs.Client
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newEnv starts a broker (memory stores) and the server; keys, if any,
// are the access keys the server checks.
func newEnv(t *testing.T, keys map[string]string) *env {
	t.Helper()
	b, err := broker.New(broker.Config{Durable: memstore.New(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(Config{Broker: b, Keys: keys, Logger: quiet})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	e := &env{t: t, b: b, srv: srv, addr: ln.Addr().String()}
	e.client = e.newClient("AKIDTEST", "secret")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
		b.Close()
	})
	return e
}

func (e *env) endpoint() string { return "http://" + e.addr }

// newClient is an SDK client signing with the given key.
func (e *env) newClient(id, secret string) *awssqs.Client {
	return awssqs.New(awssqs.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(e.endpoint()),
		Credentials:      credentials.NewStaticCredentialsProvider(id, secret, ""),
		RetryMaxAttempts: 1,
	})
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// mustCreate creates queue name with attrs and returns its URL.
func (e *env) mustCreate(name string, attrs map[string]string) string {
	e.t.Helper()
	out, err := e.client.CreateQueue(ctx(e.t), &awssqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		e.t.Fatalf("CreateQueue %s: %v", name, err)
	}
	return *out.QueueUrl
}

// wantCode checks that err is an API error with the given code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v, want API error %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("error code %q (%v), want %q", ae.ErrorCode(), err, code)
	}
}

// query posts a query-protocol form and returns status and body.
func (e *env) query(form url.Values) (int, string) {
	e.t.Helper()
	resp, err := http.Post(e.endpoint()+"/", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, string(data)
}

// asErr is errors.As.
func asErr[T any](err error, target *T) bool { return errors.As(err, target) }

// stats are the engine's stats of queue name.
func (e *env) stats(name string) queue.Stats {
	e.t.Helper()
	qi, err := e.b.QueueInfo(broker.DefaultVHost, name)
	if err != nil {
		e.t.Fatal(err)
	}
	return qi.Stats
}

func httpPost(u string, form url.Values) (int, error) {
	resp, err := http.Post(u, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
