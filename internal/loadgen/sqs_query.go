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
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// queryClient speaks SQS's query protocol, as the AWS CLI and older SDKs
// do: each action is a form POST (Action=..., Version=2012-11-05), signed
// with SigV4, answered in XML. It knows just the actions a run uses, and
// decodes answers by element names, whatever their namespace.
type queryClient struct {
	hc       *http.Client
	endpoint string
	creds    aws.Credentials
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

// call posts one action and decodes the answer into out (nil: ignored).
func (q *queryClient) call(ctx context.Context, action string, form url.Values, out any) error {
	form.Set("Action", action)
	form.Set("Version", "2012-11-05")
	body := []byte(form.Encode())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, q.endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256(body)
	if err := q.signer.SignHTTP(ctx, q.creds, req, hex.EncodeToString(sum[:]), "sqs", sqsRegion, time.Now()); err != nil {
		return fmt.Errorf("%s: sign: %w", action, err)
	}
	resp, err := q.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxQueryAnswer))
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
	if out == nil {
		return nil
	}
	if err := xml.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s: decode answer: %w", action, err)
	}
	return nil
}

func (q *queryClient) createQueue(ctx context.Context, name string) (string, error) {
	var out struct {
		QueueURL string `xml:"CreateQueueResult>QueueUrl"`
	}
	if err := q.call(ctx, "CreateQueue", url.Values{"QueueName": {name}}, &out); err != nil {
		return "", err
	}
	if out.QueueURL == "" {
		return "", fmt.Errorf("CreateQueue %q: no QueueUrl in the answer", name)
	}
	return out.QueueURL, nil
}

func (q *queryClient) deleteQueue(ctx context.Context, queueURL string) error {
	return q.call(ctx, "DeleteQueue", url.Values{"QueueUrl": {queueURL}}, nil)
}

// batchEntry is a successful entry of a batch answer: just its id.
type batchEntry struct {
	ID string `xml:"Id"`
}

func (q *queryClient) sendBatch(ctx context.Context, queueURL string, bodies []string) ([]bool, error) {
	form := url.Values{"QueueUrl": {queueURL}}
	for i, b := range bodies {
		prefix := "SendMessageBatchRequestEntry." + strconv.Itoa(i+1) + "."
		form.Set(prefix+"Id", strconv.Itoa(i))
		form.Set(prefix+"MessageBody", b)
	}
	var out struct {
		OK []batchEntry `xml:"SendMessageBatchResult>SendMessageBatchResultEntry"`
	}
	if err := q.call(ctx, "SendMessageBatch", form, &out); err != nil {
		return nil, err
	}
	ok := make([]bool, len(bodies))
	for _, e := range out.OK {
		if i, err := strconv.Atoi(e.ID); err == nil && i >= 0 && i < len(ok) {
			ok[i] = true
		}
	}
	return ok, nil
}

func (q *queryClient) receive(ctx context.Context, queueURL string, max, waitSeconds int) ([]sqsMessage, error) {
	form := url.Values{
		"QueueUrl":            {queueURL},
		"MaxNumberOfMessages": {strconv.Itoa(max)},
		"WaitTimeSeconds":     {strconv.Itoa(waitSeconds)},
	}
	var out struct {
		Messages []struct {
			Body          string `xml:"Body"`
			ReceiptHandle string `xml:"ReceiptHandle"`
		} `xml:"ReceiveMessageResult>Message"`
	}
	if err := q.call(ctx, "ReceiveMessage", form, &out); err != nil {
		return nil, err
	}
	msgs := make([]sqsMessage, len(out.Messages))
	for i, m := range out.Messages {
		msgs[i] = sqsMessage{body: m.Body, receiptHandle: m.ReceiptHandle}
	}
	return msgs, nil
}

func (q *queryClient) deleteBatch(ctx context.Context, queueURL string, handles []string) (int, error) {
	form := url.Values{"QueueUrl": {queueURL}}
	for i, h := range handles {
		prefix := "DeleteMessageBatchRequestEntry." + strconv.Itoa(i+1) + "."
		form.Set(prefix+"Id", strconv.Itoa(i))
		form.Set(prefix+"ReceiptHandle", h)
	}
	var out struct {
		OK []batchEntry `xml:"DeleteMessageBatchResult>DeleteMessageBatchResultEntry"`
	}
	if err := q.call(ctx, "DeleteMessageBatch", form, &out); err != nil {
		return 0, err
	}
	return len(handles) - len(out.OK), nil
}
