package loadgen

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// jsonClient speaks SQS's JSON protocol through the AWS SDK for Go v2,
// as an application would, MD5 checks of bodies included. It does not
// retry: a failed request ends the run rather than hide a fault.
type jsonClient struct {
	c *awssqs.Client
}

// newJSONClient returns a client that signs with keyID and secret, or
// with keyID "" sends requests unsigned, as the SDK does with anonymous
// credentials (and without hashing the payload: that SHA-256 of every
// batch was a fifth of the tool's CPU, spent for servers that check no
// signature).
func newJSONClient(hc *http.Client, endpoint, keyID, secret string) *jsonClient {
	o := awssqs.Options{
		Region:       sqsRegion,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(keyID, secret, ""),
		HTTPClient:   bufferedBodies{hc},
		Retryer:      aws.NopRetryer{},
	}
	if keyID == "" {
		o.Credentials = aws.AnonymousCredentials{}
		o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
	}
	return &jsonClient{c: awssqs.New(o)}
}

func (j *jsonClient) createQueue(ctx context.Context, name string) (string, error) {
	out, err := j.c.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.QueueUrl), nil
}

func (j *jsonClient) deleteQueue(ctx context.Context, queueURL string) error {
	_, err := j.c.DeleteQueue(ctx, &awssqs.DeleteQueueInput{QueueUrl: aws.String(queueURL)})
	return err
}

func (j *jsonClient) sendBatch(ctx context.Context, queueURL string, bodies []string) ([]bool, error) {
	entries := make([]types.SendMessageBatchRequestEntry, len(bodies))
	for i, b := range bodies {
		entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(b)}
	}
	out, err := j.c.SendMessageBatch(ctx, &awssqs.SendMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: entries})
	if err != nil {
		return nil, err
	}
	ok := make([]bool, len(bodies))
	for _, e := range out.Successful {
		if i, err := strconv.Atoi(aws.ToString(e.Id)); err == nil && i >= 0 && i < len(ok) {
			ok[i] = true
		}
	}
	return ok, nil
}

func (j *jsonClient) receive(ctx context.Context, queueURL string, max, waitSeconds int) ([]sqsMessage, error) {
	out, err := j.c.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{
		QueueUrl: aws.String(queueURL), MaxNumberOfMessages: int32(max), WaitTimeSeconds: int32(waitSeconds),
	})
	if err != nil {
		return nil, err
	}
	msgs := make([]sqsMessage, len(out.Messages))
	for i, m := range out.Messages {
		msgs[i] = sqsMessage{body: aws.ToString(m.Body), receiptHandle: aws.ToString(m.ReceiptHandle)}
	}
	return msgs, nil
}

func (j *jsonClient) deleteBatch(ctx context.Context, queueURL string, handles []string) (int, error) {
	entries := make([]types.DeleteMessageBatchRequestEntry, len(handles))
	for i, h := range handles {
		entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(h)}
	}
	out, err := j.c.DeleteMessageBatch(ctx, &awssqs.DeleteMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: entries})
	if err != nil {
		return 0, err
	}
	return len(handles) - len(out.Successful), nil
}

// bufferedBodies hands net/http a copy of each request body that closing
// cannot end. Without it, against a server that answers fast (Ferry on
// loopback), a run failed most times with "deserialization failed ... use
// of closed network connection" on a 200 answer: the transport's request
// writer failed after the answer had come and closed the connection under
// it (aws/aws-sdk-go-v2#2737). The likely cause is the SDK closing its
// body stream once the answer is in while net/http still reads it past
// Content-Length. The SDK's own remedy is to retry, which a load tool that
// counts duplicates must not do. Bodies here are at most 256 KiB.
type bufferedBodies struct {
	hc *http.Client
}

func (b bufferedBodies) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		var data []byte
		var err error
		if n := req.ContentLength; n > 0 && n <= sqsMaxRequest*2 {
			// One allocation of the known size, not ReadAll's doublings.
			data = make([]byte, n)
			_, err = io.ReadFull(req.Body, data)
		} else {
			data, err = io.ReadAll(req.Body)
		}
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(data))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
		req.ContentLength = int64(len(data))
	}
	return b.hc.Do(req)
}
