package sqs

import (
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func strAttr(v string) types.MessageAttributeValue {
	return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
}

func TestSendReceiveDelete(t *testing.T) {
	e := newEnv(t, nil)
	u := aws.String(e.mustCreate("q", nil))
	attrs := map[string]types.MessageAttributeValue{
		"color":  strAttr("blue"),
		"count":  {DataType: aws.String("Number"), StringValue: aws.String("12.50")},
		"blob":   {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2, 255}},
		"custom": {DataType: aws.String("String.json"), StringValue: aws.String(`{"a":1}`)},
		"img":    {DataType: aws.String("Binary.png"), BinaryValue: []byte("png")},
	}
	// The SDK checks MD5OfMessageBody and MD5OfMessageAttributes of the
	// answer: a wrong digest fails the call.
	sent, err := e.client.SendMessage(ctx(t), &awssqs.SendMessageInput{QueueUrl: u, MessageBody: aws.String("héllo ✓"),
		MessageAttributes: attrs,
		MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{
			"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String("Root=1-5759e988-bd862e3fe1be46a994272793")}}})
	if err != nil {
		t.Fatal(err)
	}
	if sent.MD5OfMessageAttributes == nil || sent.MD5OfMessageSystemAttributes == nil {
		t.Fatalf("send result lacks digests: %+v", sent)
	}
	got, err := e.client.ReceiveMessage(ctx(t), &awssqs.ReceiveMessageInput{QueueUrl: u, MaxNumberOfMessages: 10,
		MessageAttributeNames:       []string{"All"},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Messages) != 1 {
		t.Fatalf("received %d messages", len(got.Messages))
	}
	m := got.Messages[0]
	if *m.Body != "héllo ✓" || *m.MessageId != *sent.MessageId || *m.MD5OfMessageAttributes != *sent.MD5OfMessageAttributes {
		t.Fatalf("received %+v", m)
	}
	if len(m.MessageAttributes) != 5 || *m.MessageAttributes["count"].DataType != "Number" || *m.MessageAttributes["custom"].DataType != "String.json" ||
		string(m.MessageAttributes["blob"].BinaryValue) != "\x00\x01\x02\xff" || *m.MessageAttributes["img"].DataType != "Binary.png" {
		t.Fatalf("attributes %+v", m.MessageAttributes)
	}
	sa := m.Attributes
	if sa["ApproximateReceiveCount"] != "1" || sa["SenderId"] != "AKIDTEST" || sa["AWSTraceHeader"] == "" {
		t.Fatalf("system attributes %v", sa)
	}
	if n, _ := strconv.ParseInt(sa["SentTimestamp"], 10, 64); n <= 0 {
		t.Fatalf("SentTimestamp %q", sa["SentTimestamp"])
	}
	// Invisible now.
	again, err := e.client.ReceiveMessage(ctx(t), &awssqs.ReceiveMessageInput{QueueUrl: u})
	if err != nil || len(again.Messages) != 0 {
		t.Fatalf("second receive: %v %v", again, err)
	}
	// Only the attributes asked for, by name and by prefix.
	if _, err := e.client.ChangeMessageVisibility(ctx(t), &awssqs.ChangeMessageVisibilityInput{QueueUrl: u,
		ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	got, err = e.client.ReceiveMessage(ctx(t), &awssqs.ReceiveMessageInput{QueueUrl: u, MessageAttributeNames: []string{"color", "count", "blob"},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{"ApproximateReceiveCount"}})
	if err != nil || len(got.Messages) != 1 {
		t.Fatalf("receive after visibility 0: %v %v", got, err)
	}
	m2 := got.Messages[0]
	if len(m2.MessageAttributes) != 3 || m2.Attributes["ApproximateReceiveCount"] != "2" || len(m2.Attributes) != 1 {
		t.Fatalf("filtered: %v %v", m2.MessageAttributes, m2.Attributes)
	}
	if *m2.ReceiptHandle == *m.ReceiptHandle {
		t.Fatal("a new receive gave the same receipt handle")
	}
	// The stale handle changes nothing; the current one deletes.
	_, err = e.client.ChangeMessageVisibility(ctx(t), &awssqs.ChangeMessageVisibilityInput{QueueUrl: u, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 5})
	wantCode(t, err, "AWS.SimpleQueueService.MessageNotInflight")
	if _, err := e.client.DeleteMessage(ctx(t), &awssqs.DeleteMessageInput{QueueUrl: u, ReceiptHandle: m.ReceiptHandle}); err != nil {
		t.Fatalf("stale delete: %v", err)
	}
	if _, err := e.client.DeleteMessage(ctx(t), &awssqs.DeleteMessageInput{QueueUrl: u, ReceiptHandle: m2.ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.DeleteMessage(ctx(t), &awssqs.DeleteMessageInput{QueueUrl: u, ReceiptHandle: m2.ReceiptHandle}); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	_, err = e.client.DeleteMessage(ctx(t), &awssqs.DeleteMessageInput{QueueUrl: u, ReceiptHandle: aws.String("garbage")})
	wantCode(t, err, "ReceiptHandleIsInvalid")
	st := e.stats("q")
	if st.Ready != 0 || st.Unacked != 0 || st.Acked != 1 {
		t.Fatalf("queue stats %+v", st)
	}
}

func TestSendValidation(t *testing.T) {
	e := newEnv(t, nil)
	u := aws.String(e.mustCreate("q", map[string]string{"MaximumMessageSize": "1024"}))
	for _, tc := range []struct {
		in   awssqs.SendMessageInput
		code string
	}{
		{awssqs.SendMessageInput{MessageBody: aws.String("bad \x01 char")}, "InvalidMessageContents"},
		{awssqs.SendMessageInput{MessageBody: aws.String(strings.Repeat("x", 1025))}, "InvalidParameterValue"},
		{awssqs.SendMessageInput{MessageBody: aws.String("x"), DelaySeconds: 901}, "InvalidParameterValue"},
		{awssqs.SendMessageInput{MessageBody: aws.String("x"), MessageDeduplicationId: aws.String("d")}, "InvalidParameterValue"},
		{awssqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{
			"n": {DataType: aws.String("Number"), StringValue: aws.String("abc")}}}, "InvalidParameterValue"},
		{awssqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{
			"AWS.x": strAttr("v")}}, "InvalidParameterValue"},
		{awssqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{
			"t": {DataType: aws.String("Weird"), StringValue: aws.String("v")}}}, "InvalidParameterValue"},
	} {
		in := tc.in
		in.QueueUrl = u
		_, err := e.client.SendMessage(ctx(t), &in)
		wantCode(t, err, tc.code)
	}
	_, err := e.client.SendMessage(ctx(t), &awssqs.SendMessageInput{QueueUrl: aws.String(e.endpoint() + "/000000000000/none"), MessageBody: aws.String("x")})
	wantCode(t, err, "AWS.SimpleQueueService.NonExistentQueue")
	_, err = e.client.ReceiveMessage(ctx(t), &awssqs.ReceiveMessageInput{QueueUrl: u, MaxNumberOfMessages: 11})
	wantCode(t, err, "InvalidParameterValue")
	_, err = e.client.ReceiveMessage(ctx(t), &awssqs.ReceiveMessageInput{QueueUrl: u, WaitTimeSeconds: 21})
	wantCode(t, err, "InvalidParameterValue")
}

func TestBatches(t *testing.T) {
	e := newEnv(t, nil)
	u := aws.String(e.mustCreate("q", nil))
	var entries []types.SendMessageBatchRequestEntry
	for i := range 10 {
		entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String("m" + strconv.Itoa(i)),
			MessageBody: aws.String("body " + strconv.Itoa(i)), MessageAttributes: map[string]types.MessageAttributeValue{"i": strAttr(strconv.Itoa(i))}})
	}
	entries[3].MessageBody = aws.String("bad \x02")
	sb, err := e.client.SendMessageBatch(ctx(t), &awssqs.SendMessageBatchInput{QueueUrl: u, Entries: entries})
	if err != nil {
		t.Fatal(err)
	}
	if len(sb.Successful) != 9 || len(sb.Failed) != 1 || *sb.Failed[0].Id != "m3" || *sb.Failed[0].Code != "InvalidMessageContents" || !sb.Failed[0].SenderFault {
		t.Fatalf("SendMessageBatch: %+v", sb)
	}
	_, err = e.client.SendMessageBatch(ctx(t), &awssqs.SendMessageBatchInput{QueueUrl: u, Entries: append(entries, entries[0])})
	wantCode(t, err, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest")
	_, err = e.client.SendMessageBatch(ctx(t), &awssqs.SendMessageBatchInput{QueueUrl: u, Entries: []types.SendMessageBatchRequestEntry{entries[0], entries[0]}})
	wantCode(t, err, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct")
	_, err = e.client.SendMessageBatch(ctx(t), &awssqs.SendMessageBatchInput{QueueUrl: u, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a b"), MessageBody: aws.String("x")}}})
	wantCode(t, err, "AWS.SimpleQueueService.InvalidBatchEntryId")
	big := strings.Repeat("x", 200<<10)
	_, err = e.client.SendMessageBatch(ctx(t), &awssqs.SendMessageBatchInput{QueueUrl: u, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String(big)}, {Id: aws.String("b"), MessageBody: aws.String(big)}}})
	wantCode(t, err, "AWS.SimpleQueueService.BatchRequestTooLong")
	_, err = e.client.DeleteMessageBatch(ctx(t), &awssqs.DeleteMessageBatchInput{QueueUrl: u, Entries: []types.DeleteMessageBatchRequestEntry{}})
	wantCode(t, err, "AWS.SimpleQueueService.EmptyBatchRequest")

	got, err := e.client.ReceiveMessage(ctx(t), &awssqs.ReceiveMessageInput{QueueUrl: u, MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"}})
	if err != nil || len(got.Messages) != 9 {
		t.Fatalf("receive: %d %v", len(got.Messages), err)
	}
	var cv []types.ChangeMessageVisibilityBatchRequestEntry
	var del []types.DeleteMessageBatchRequestEntry
	for i, m := range got.Messages {
		id := aws.String("e" + strconv.Itoa(i))
		cv = append(cv, types.ChangeMessageVisibilityBatchRequestEntry{Id: id, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 100})
		del = append(del, types.DeleteMessageBatchRequestEntry{Id: id, ReceiptHandle: m.ReceiptHandle})
	}
	cv = append(cv, types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String("bad"), ReceiptHandle: aws.String("nope"), VisibilityTimeout: 1})
	cb, err := e.client.ChangeMessageVisibilityBatch(ctx(t), &awssqs.ChangeMessageVisibilityBatchInput{QueueUrl: u, Entries: cv})
	if err != nil || len(cb.Successful) != 9 || len(cb.Failed) != 1 || *cb.Failed[0].Code != "ReceiptHandleIsInvalid" {
		t.Fatalf("ChangeMessageVisibilityBatch: %+v %v", cb, err)
	}
	db, err := e.client.DeleteMessageBatch(ctx(t), &awssqs.DeleteMessageBatchInput{QueueUrl: u, Entries: del})
	if err != nil || len(db.Successful) != 9 || len(db.Failed) != 0 {
		t.Fatalf("DeleteMessageBatch: %+v %v", db, err)
	}
	if st := e.stats("q"); st.Ready+st.Unacked != 0 {
		t.Fatalf("left: %+v", st)
	}
}

func TestPurge(t *testing.T) {
	e := newEnv(t, nil)
	u := aws.String(e.mustCreate("q", nil))
	for range 3 {
		if _, err := e.client.SendMessage(ctx(t), &awssqs.SendMessageInput{QueueUrl: u, MessageBody: aws.String("x")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.client.PurgeQueue(ctx(t), &awssqs.PurgeQueueInput{QueueUrl: u}); err != nil {
		t.Fatal(err)
	}
	if st := e.stats("q"); st.Ready != 0 {
		t.Fatalf("after purge: %+v", st)
	}
	_, err := e.client.PurgeQueue(ctx(t), &awssqs.PurgeQueueInput{QueueUrl: u})
	wantCode(t, err, "AWS.SimpleQueueService.PurgeQueueInProgress")
}

func TestMaximumMessageSizeUpTo1MiB(t *testing.T) {
	e := newEnv(t, nil)
	u := aws.String(e.mustCreate("big", map[string]string{"MaximumMessageSize": "1048576"}))
	body := strings.Repeat("b", 700<<10)
	if _, err := e.client.SendMessage(ctx(t), &awssqs.SendMessageInput{QueueUrl: u, MessageBody: aws.String(body)}); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.SendMessage(ctx(t), &awssqs.SendMessageInput{QueueUrl: u, MessageBody: aws.String(body + body)})
	wantCode(t, err, "InvalidParameterValue")
	_, err = e.client.CreateQueue(ctx(t), &awssqs.CreateQueueInput{QueueName: aws.String("big2"), Attributes: map[string]string{"MaximumMessageSize": "1048577"}})
	wantCode(t, err, "InvalidAttributeValue")
	got, err := e.client.ReceiveMessage(ctx(t), &awssqs.ReceiveMessageInput{QueueUrl: u})
	if err != nil || len(got.Messages) != 1 || len(*got.Messages[0].Body) != len(body) {
		t.Fatalf("receive: %v", err)
	}
}
