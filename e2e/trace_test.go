package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	amqp "github.com/rabbitmq/amqp091-go"
)

// The X-Ray header of AWS's documentation and its W3C form.
const (
	xray        = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	traceparent = "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01"
)

// TestTraceContextCrossesProtocols: an SQS send with AWSTraceHeader
// reaches an AMQP consumer with a traceparent header; an AMQP publish
// with traceparent and tracestate reaches an SQS receiver as message
// attributes and as AWSTraceHeader.
func TestTraceContextCrossesProtocols(t *testing.T) {
	n := startNode(t, t.TempDir())
	sqsAddr := n.listenAddr(t, "sqs")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sc := awssqs.New(awssqs.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://" + sqsAddr),
		Credentials: credentials.NewStaticCredentialsProvider("id", "secret", ""), RetryMaxAttempts: 1})
	q, err := sc.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String("traced")})
	must(t, err)

	// SQS → AMQP.
	_, err = sc.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("from sqs"),
		MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{
			"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String(xray)}}})
	must(t, err)
	ch, err := n.dial(t).Channel()
	must(t, err)
	d, ok, err := ch.Get("traced", true)
	must(t, err)
	if !ok {
		t.Fatal("AMQP get found nothing")
	}
	if got := d.Headers["traceparent"]; got != traceparent {
		t.Errorf("AMQP traceparent = %v, want %s (headers %v)", got, traceparent, d.Headers)
	}
	if got := d.Headers["x-amzn-trace-id"]; got != xray {
		t.Errorf("AMQP x-amzn-trace-id = %v, want the X-Ray header", got)
	}

	// AMQP → SQS.
	must(t, ch.Confirm(false))
	dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, "", "traced", false, false, amqp.Publishing{
		Body: []byte("from amqp"), Headers: amqp.Table{"traceparent": traceparent, "tracestate": "vendor=x"}})
	must(t, err)
	if !dc.Wait() {
		t.Fatal("publish nacked")
	}
	out, err := sc.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 1,
		MessageAttributeNames:       []string{"All"},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAWSTraceHeader}})
	must(t, err)
	if len(out.Messages) != 1 {
		t.Fatalf("received %d messages", len(out.Messages))
	}
	m := out.Messages[0]
	if a := m.MessageAttributes["traceparent"]; a.StringValue == nil || *a.StringValue != traceparent || *a.DataType != "String" {
		t.Errorf("traceparent attribute = %+v", a)
	}
	if a := m.MessageAttributes["tracestate"]; a.StringValue == nil || *a.StringValue != "vendor=x" {
		t.Errorf("tracestate attribute = %+v", a)
	}
	if got := m.Attributes["AWSTraceHeader"]; got != xray {
		t.Errorf("AWSTraceHeader = %q, want %q", got, xray)
	}

	// SQS → SQS keeps exactly what was sent: the traceparent Ferry made
	// is not shown as an attribute the sender never set.
	_, err = sc.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("sqs again"),
		MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{
			"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String(xray)}}})
	must(t, err)
	out, err = sc.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 1,
		MessageAttributeNames:       []string{"All"},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAWSTraceHeader}})
	must(t, err)
	if len(out.Messages) != 1 {
		t.Fatalf("received %d messages", len(out.Messages))
	}
	if m := out.Messages[0]; len(m.MessageAttributes) != 0 || m.Attributes["AWSTraceHeader"] != xray {
		t.Errorf("SQS round trip: attributes %v, system %v", m.MessageAttributes, m.Attributes)
	}
	n.stop(t)
}
