package loadgen

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// queryClient speaks SQS's query protocol, as the AWS CLI and older SDKs
// do: each action is a form POST (Action=..., Version=2012-11-05), signed
// with SigV4 when the URL gives a key, answered in XML. It knows just the
// actions a run uses, and reads answers by element names, whatever their
// namespace (scanXML).
type queryClient struct {
	hc       *http.Client
	endpoint string
	creds    aws.Credentials // AccessKeyID "": requests go unsigned
	signer   *v4.Signer
}

func newQueryClient(hc *http.Client, endpoint, keyID, secret string) *queryClient {
	return &queryClient{hc: hc, endpoint: endpoint + "/", signer: v4.NewSigner(),
		creds: aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}}
}

// queryError is an <ErrorResponse>.
type queryError struct {
	Status  int
	Code    string `xml:"Error>Code"`
	Message string `xml:"Error>Message"`
}

func (e *queryError) Error() string {
	return fmt.Sprintf("HTTP %d: %s: %s", e.Status, e.Code, e.Message)
}

// maxQueryAnswer bounds what call reads: ten 256 KiB bodies, escaped,
// with room to spare.
const maxQueryAnswer = 16 << 20

// call posts one action and hands each element of the answer to field
// (nil: the answer is not read), as scanXML does.
func (q *queryClient) call(ctx context.Context, action string, f form, field func(path []string, text string)) error {
	f = append(f, "Action", action, "Version", "2012-11-05")
	body := f.encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, q.endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if q.creds.AccessKeyID != "" {
		sum := sha256.Sum256(body)
		if err := q.signer.SignHTTP(ctx, q.creds, req, hex.EncodeToString(sum[:]), "sqs", sqsRegion, time.Now()); err != nil {
			return fmt.Errorf("%s: sign: %w", action, err)
		}
	}
	resp, err := q.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	defer resp.Body.Close()
	data, err := readAnswer(resp)
	if err != nil {
		return fmt.Errorf("%s: read answer: %w", action, err)
	}
	if resp.StatusCode != http.StatusOK {
		qe := &queryError{Status: resp.StatusCode}
		if xml.Unmarshal(data, qe) != nil || qe.Code == "" {
			qe.Code, qe.Message = "(no error code)", string(data[:min(len(data), 200)])
		}
		return fmt.Errorf("%s: %w", action, qe)
	}
	if field == nil {
		return nil
	}
	if err := scanXML(data, field); err != nil {
		return fmt.Errorf("%s: decode answer: %w", action, err)
	}
	return nil
}

func (q *queryClient) createQueue(ctx context.Context, name string) (string, error) {
	var queueURL string
	field := func(path []string, text string) {
		if under(path, "CreateQueueResult", "QueueUrl") {
			queueURL = text
		}
	}
	if err := q.call(ctx, "CreateQueue", form{"QueueName", name}, field); err != nil {
		return "", err
	}
	if queueURL == "" {
		return "", fmt.Errorf("CreateQueue %q: no QueueUrl in the answer", name)
	}
	return queueURL, nil
}

func (q *queryClient) deleteQueue(ctx context.Context, queueURL string) error {
	return q.call(ctx, "DeleteQueue", form{"QueueUrl", queueURL}, nil)
}

// form is a request's parameters, name and value in turn. It is encoded
// in the order given (servers read a form's pairs in any order) into one
// buffer of the exact size: url.Values sorted its keys and grew a builder
// for each request, a fifth of the tool's allocations.
type form []string

func (f form) encode() []byte {
	n := max(0, len(f)-1) // an '=' in each pair, an '&' between pairs
	for _, s := range f {
		n += len(s) + 2*escapedBytes(s)
	}
	b := make([]byte, 0, n)
	for i := 0; i+1 < len(f); i += 2 {
		if i > 0 {
			b = append(b, '&')
		}
		b = appendQueryEscape(b, f[i])
		b = append(b, '=')
		b = appendQueryEscape(b, f[i+1])
	}
	return b
}

// unescaped marks the bytes url.QueryEscape leaves as they are.
var unescaped = func() (t [256]bool) {
	for c := range 256 {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
	}
	return t
}()

// escapedBytes counts the bytes of s that become %XX.
func escapedBytes(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; !unescaped[c] && c != ' ' {
			n++
		}
	}
	return n
}

// appendQueryEscape appends s escaped as url.QueryEscape escapes it,
// copying each run of bytes that need no escape at once.
func appendQueryEscape(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for len(s) > 0 {
		i := 0
		for i < len(s) && unescaped[s[i]] {
			i++
		}
		b = append(b, s[:i]...)
		if i == len(s) {
			return b
		}
		if c := s[i]; c == ' ' {
			b = append(b, '+')
		} else {
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
		s = s[i+1:]
	}
	return b
}

// readAnswer reads an answer's body, at most maxQueryAnswer bytes, in one
// allocation when the server gives its length.
func readAnswer(resp *http.Response) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= maxQueryAnswer {
		data := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, data); err != nil {
			return nil, err
		}
		return data, nil
	}
	return io.ReadAll(io.LimitReader(resp.Body, maxQueryAnswer))
}

// under says whether path ends with names.
func under(path []string, names ...string) bool {
	if len(path) < len(names) {
		return false
	}
	for i, n := range names {
		if path[len(path)-len(names)+i] != n {
			return false
		}
	}
	return true
}

func (q *queryClient) sendBatch(ctx context.Context, queueURL string, bodies []string) ([]bool, error) {
	f := make(form, 0, 2+4*len(bodies)+4)
	f = append(f, "QueueUrl", queueURL)
	for i, b := range bodies {
		prefix := "SendMessageBatchRequestEntry." + strconv.Itoa(i+1) + "."
		f = append(f, prefix+"Id", strconv.Itoa(i), prefix+"MessageBody", b)
	}
	ok := make([]bool, len(bodies))
	field := func(path []string, text string) {
		if under(path, "SendMessageBatchResult", "SendMessageBatchResultEntry", "Id") {
			if i, err := strconv.Atoi(text); err == nil && i >= 0 && i < len(ok) {
				ok[i] = true
			}
		}
	}
	if err := q.call(ctx, "SendMessageBatch", f, field); err != nil {
		return nil, err
	}
	return ok, nil
}

func (q *queryClient) receive(ctx context.Context, queueURL string, max, waitSeconds int) ([]sqsMessage, error) {
	f := form{"QueueUrl", queueURL, "MaxNumberOfMessages", strconv.Itoa(max), "WaitTimeSeconds", strconv.Itoa(waitSeconds)}
	msgs := make([]sqsMessage, 0, max)
	var cur sqsMessage
	field := func(path []string, text string) {
		switch {
		case under(path, "ReceiveMessageResult", "Message", "Body"):
			cur.body = text
		case under(path, "ReceiveMessageResult", "Message", "ReceiptHandle"):
			cur.receiptHandle = text
		case under(path, "ReceiveMessageResult", "Message"):
			msgs = append(msgs, cur)
			cur = sqsMessage{}
		}
	}
	if err := q.call(ctx, "ReceiveMessage", f, field); err != nil {
		return nil, err
	}
	return msgs, nil
}

func (q *queryClient) deleteBatch(ctx context.Context, queueURL string, handles []string) (int, error) {
	f := make(form, 0, 2+4*len(handles)+4)
	f = append(f, "QueueUrl", queueURL)
	for i, h := range handles {
		prefix := "DeleteMessageBatchRequestEntry." + strconv.Itoa(i+1) + "."
		f = append(f, prefix+"Id", strconv.Itoa(i), prefix+"ReceiptHandle", h)
	}
	deleted := 0
	field := func(path []string, _ string) {
		if under(path, "DeleteMessageBatchResult", "DeleteMessageBatchResultEntry") {
			deleted++
		}
	}
	if err := q.call(ctx, "DeleteMessageBatch", f, field); err != nil {
		return 0, err
	}
	return len(handles) - deleted, nil
}
