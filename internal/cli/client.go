package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults of the connection flags.
const (
	DefaultAdminURL = "http://127.0.0.1:15672"
	DefaultUser     = "guest"
	DefaultPassword = "guest"
	DefaultVHost    = "/"
)

// requestTimeout bounds one API call. A redrive is awaited by polling, so
// no single call runs long.
const requestTimeout = 30 * time.Second

// client calls the admin API as one user.
type client struct {
	base       string // scheme://host:port, no trailing slash
	user, pass string
	http       *http.Client
}

func newClient(base, user, pass string) (*client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageErrorf("--admin-url must be an http:// or https:// URL with a host, got %q", base)
	}
	return &client{base: strings.TrimRight(base, "/"), user: user, pass: pass, http: &http.Client{Timeout: requestTimeout}}, nil
}

// apiError is an answer other than 2xx: the status and RabbitMQ's
// {"error", "reason"} body, or the body's text if it is not that.
type apiError struct {
	Status int
	Name   string // "error"
	Reason string // "reason"
}

func (e *apiError) Error() string {
	if e.Name == "" {
		return fmt.Sprintf("%s (HTTP %d)", e.Reason, e.Status)
	}
	return fmt.Sprintf("%s (HTTP %d %s)", e.Reason, e.Status, e.Name)
}

// unreachableError is a failure to talk to the API at all.
type unreachableError struct {
	base string
	err  error
}

func (e *unreachableError) Error() string {
	return fmt.Sprintf("cannot reach the admin API at %s: %v (set --admin-url or FERRY_ADMIN_URL)", e.base, e.err)
}

func (e *unreachableError) Unwrap() error { return e.err }

// call sends method path (already escaped) with body as JSON (if not
// nil) and extra headers, and returns the answer's body on 2xx.
func (c *client) call(ctx context.Context, method, path string, body any, hdr http.Header) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		j, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(c.user, c.pass)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &unreachableError{base: c.base, err: errors.Unwrap(err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, &unreachableError{base: c.base, err: err}
	}
	if resp.StatusCode/100 != 2 {
		return nil, errorOf(resp.StatusCode, data)
	}
	return data, nil
}

// errorOf reads an error answer.
func errorOf(status int, data []byte) *apiError {
	var e struct {
		Error  string `json:"error"`
		Reason string `json:"reason"`
	}
	if json.Unmarshal(data, &e) == nil && (e.Error != "" || e.Reason != "") {
		if e.Reason == "" {
			e.Reason = e.Error
		}
		return &apiError{Status: status, Name: e.Error, Reason: e.Reason}
	}
	text := strings.TrimSpace(string(data))
	if text == "" {
		text = http.StatusText(status)
	}
	return &apiError{Status: status, Reason: text}
}

// getJSON GETs path and decodes the answer into out.
func (c *client) getJSON(ctx context.Context, path string, out any) ([]byte, error) {
	data, err := c.call(ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		return nil, err
	}
	return data, decode(path, data, out)
}

// sendJSON sends body and decodes the answer into out (if not nil).
func (c *client) sendJSON(ctx context.Context, method, path string, body, out any) ([]byte, error) {
	data, err := c.call(ctx, method, path, body, nil)
	if err != nil || out == nil {
		return data, err
	}
	return data, decode(path, data, out)
}

func decode(path string, data []byte, out any) error {
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("the answer to %s is not the JSON expected: %v", path, err)
	}
	return nil
}

// apiPath joins escaped segments under the API root: each segment is
// escaped whole, so the vhost "/" becomes %2F and stays one segment.
func apiPath(segs ...string) string {
	var b strings.Builder
	for _, s := range segs {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}
