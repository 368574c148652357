package sqs

import (
	"runtime"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/ferrymq/ferry/internal/broker"
	"github.com/ferrymq/ferry/internal/message"
)

// receiveAsync starts a ReceiveMessage and returns its outcome channel.
func (e *env) receiveAsync(in *awssqs.ReceiveMessageInput) <-chan *awssqs.ReceiveMessageOutput {
	out := make(chan *awssqs.ReceiveMessageOutput, 1)
	c := ctx(e.t)
	go func() {
		got, err := e.client.ReceiveMessage(c, in)
		if err != nil {
			e.t.Errorf("ReceiveMessage: %v", err)
		}
		out <- got
	}()
	return out
}

// awaitConsumers waits until queue name has n push consumers: a long
// poll is waiting on it.
func (e *env) awaitConsumers(name string, n int) {
	e.t.Helper()
	c := ctx(e.t)
	for e.stats(name).Consumers != n {
		if c.Err() != nil {
			e.t.Fatalf("queue %s never had %d consumers", name, n)
		}
		runtime.Gosched()
	}
}

func TestLongPollAnswersOnArrival(t *testing.T) {
	e := newEnv(t, nil)
	u := aws.String(e.mustCreate("lp", nil))
	got := e.receiveAsync(&awssqs.ReceiveMessageInput{QueueUrl: u, WaitTimeSeconds: 20, MaxNumberOfMessages: 5})
	e.awaitConsumers("lp", 1)
	if _, err := e.client.SendMessage(ctx(t), &awssqs.SendMessageInput{QueueUrl: u, MessageBody: aws.String("wake")}); err != nil {
		t.Fatal(err)
	}
	out := <-got
	if out == nil || len(out.Messages) != 1 || *out.Messages[0].Body != "wake" {
		t.Fatalf("long poll got %+v", out)
	}
	if st := e.stats("lp"); st.Consumers != 0 || st.Unacked != 1 {
		t.Fatalf("after long poll: %+v", st)
	}
	// The lease is a visibility timeout: deleting by the handle works.
	if _, err := e.client.DeleteMessage(ctx(t), &awssqs.DeleteMessageInput{QueueUrl: u, ReceiptHandle: out.Messages[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
}

func TestLongPollGetsDelayedMessage(t *testing.T) {
	e := newEnv(t, nil)
	u := aws.String(e.mustCreate("d", map[string]string{"ReceiveMessageWaitTimeSeconds": "20"}))
	if _, err := e.client.SendMessage(ctx(t), &awssqs.SendMessageInput{QueueUrl: u, MessageBody: aws.String("later"), DelaySeconds: 1}); err != nil {
		t.Fatal(err)
	}
	if st := e.stats("d"); st.Delayed != 1 {
		t.Fatalf("stats %+v, want one delayed", st)
	}
	// No WaitTimeSeconds: the queue's ReceiveMessageWaitTimeSeconds applies.
	out := <-e.receiveAsync(&awssqs.ReceiveMessageInput{QueueUrl: u})
	if out == nil || len(out.Messages) != 1 || *out.Messages[0].Body != "later" {
		t.Fatalf("got %+v", out)
	}
}

func TestFIFO(t *testing.T) {
	e := newEnv(t, nil)
	_, err := e.client.CreateQueue(ctx(t), &awssqs.CreateQueueInput{QueueName: aws.String("f.fifo"), Attributes: map[string]string{"FifoQueue": "false"}})
	wantCode(t, err, "InvalidParameterValue")
	u := aws.String(e.mustCreate("f.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"}))
	send := func(body, group, dedup string) *awssqs.SendMessageOutput {
		t.Helper()
		in := &awssqs.SendMessageInput{QueueUrl: u, MessageBody: aws.String(body), MessageGroupId: aws.String(group)}
		if dedup != "" {
			in.MessageDeduplicationId = aws.String(dedup)
		}
		out, err := e.client.SendMessage(ctx(t), in)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	first := send("a1", "A", "")
	send("a1", "A", "") // the same body: a duplicate by content
	send("a2", "A", "x")
	send("a2 again", "A", "x") // the same dedup id: a duplicate
	send("a3", "A", "")
	last := send("b1", "B", "")
	if *first.SequenceNumber >= *last.SequenceNumber {
		t.Fatalf("sequence numbers %s then %s", *first.SequenceNumber, *last.SequenceNumber)
	}
	if st := e.stats("f.fifo"); st.Ready != 4 || st.Deduplicated != 2 {
		t.Fatalf("stats %+v, want 4 ready and 2 duplicates", st)
	}
	_, err = e.client.SendMessage(ctx(t), &awssqs.SendMessageInput{QueueUrl: u, MessageBody: aws.String("x")})
	wantCode(t, err, "MissingParameter")
	_, err = e.client.SendMessage(ctx(t), &awssqs.SendMessageInput{QueueUrl: u, MessageBody: aws.String("x"), MessageGroupId: aws.String("A"), DelaySeconds: 5})
	wantCode(t, err, "InvalidParameterValue")

	var order []string
	for len(order) < 4 {
		out, err := e.client.ReceiveMessage(ctx(t), &awssqs.ReceiveMessageInput{QueueUrl: u, MaxNumberOfMessages: 10,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			t.Fatalf("nothing to receive after %v", order)
		}
		for _, m := range out.Messages {
			if m.Attributes["MessageGroupId"] == "" || m.Attributes["SequenceNumber"] == "" || m.Attributes["MessageDeduplicationId"] == "" {
				t.Fatalf("FIFO attributes missing: %v", m.Attributes)
			}
			order = append(order, *m.Body)
			if _, err := e.client.DeleteMessage(ctx(t), &awssqs.DeleteMessageInput{QueueUrl: u, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var a []string
	for _, b := range order {
		if b[0] == 'a' {
			a = append(a, b)
		}
	}
	if len(a) != 3 || a[0] != "a1" || a[1] != "a2" || a[2] != "a3" {
		t.Fatalf("group A came as %v (all: %v)", a, order)
	}
}

func TestRedriveToDeadLetterQueueAndBack(t *testing.T) {
	e := newEnv(t, nil)
	// The SDK leaves out a zero VisibilityTimeout: the queues say 0.
	dlq := aws.String(e.mustCreate("dead", map[string]string{"VisibilityTimeout": "0"}))
	rp := `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dead","maxReceiveCount":"2"}`
	u := aws.String(e.mustCreate("src", map[string]string{"RedrivePolicy": rp, "VisibilityTimeout": "0"}))
	if _, err := e.client.SendMessage(ctx(t), &awssqs.SendMessageInput{QueueUrl: u, MessageBody: aws.String("poison")}); err != nil {
		t.Fatal(err)
	}
	// Two receives whose visibility runs out at once: the second return
	// is past maxReceiveCount and the message moves to the DLQ.
	for i := 1; i <= 2; i++ {
		out := <-e.receiveAsync(&awssqs.ReceiveMessageInput{QueueUrl: u, VisibilityTimeout: 0, WaitTimeSeconds: 20,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{"ApproximateReceiveCount"}})
		if out == nil || len(out.Messages) != 1 || out.Messages[0].Attributes["ApproximateReceiveCount"] != strconv.Itoa(i) {
			t.Fatalf("receive %d: %+v", i, out)
		}
	}
	out := <-e.receiveAsync(&awssqs.ReceiveMessageInput{QueueUrl: dlq, WaitTimeSeconds: 20, VisibilityTimeout: 0,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
	if out == nil || len(out.Messages) != 1 || *out.Messages[0].Body != "poison" ||
		out.Messages[0].Attributes["DeadLetterQueueSourceArn"] != "arn:aws:sqs:us-east-1:000000000000:src" {
		t.Fatalf("DLQ receive: %+v", out)
	}
	// The message returns to the DLQ's ready set before it is moved.
	c := ctx(t)
	for e.stats("dead").Ready != 1 {
		if c.Err() != nil {
			t.Fatal("the DLQ message never became visible again")
		}
		runtime.Gosched()
	}
	st, err := e.client.StartMessageMoveTask(ctx(t), &awssqs.StartMessageMoveTaskInput{SourceArn: aws.String("arn:aws:sqs:us-east-1:000000000000:dead")})
	if err != nil {
		t.Fatal(err)
	}
	back := <-e.receiveAsync(&awssqs.ReceiveMessageInput{QueueUrl: u, WaitTimeSeconds: 20})
	if back == nil || len(back.Messages) != 1 || *back.Messages[0].Body != "poison" {
		t.Fatalf("after the move: %+v", back)
	}
	var status string
	for status = taskRunning; status == taskRunning; {
		l, err := e.client.ListMessageMoveTasks(ctx(t), &awssqs.ListMessageMoveTasksInput{SourceArn: aws.String("arn:aws:sqs:us-east-1:000000000000:dead")})
		if err != nil || len(l.Results) != 1 {
			t.Fatalf("ListMessageMoveTasks: %+v %v", l, err)
		}
		status = *l.Results[0].Status
		if c.Err() != nil {
			t.Fatal("the move task never ended")
		}
		runtime.Gosched()
	}
	if status != taskCompleted {
		t.Fatalf("task status %s", status)
	}
	_, err = e.client.CancelMessageMoveTask(ctx(t), &awssqs.CancelMessageMoveTaskInput{TaskHandle: st.TaskHandle})
	wantCode(t, err, "AWS.SimpleQueueService.UnsupportedOperation")
	_, err = e.client.CancelMessageMoveTask(ctx(t), &awssqs.CancelMessageMoveTaskInput{TaskHandle: aws.String("nope")})
	wantCode(t, err, "ResourceNotFoundException")
}

func TestSQSToAMQPAndBack(t *testing.T) {
	e := newEnv(t, nil)
	u := aws.String(e.mustCreate("x", nil))
	_, err := e.client.SendMessage(ctx(t), &awssqs.SendMessageInput{QueueUrl: u, MessageBody: aws.String("from sqs"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"s": strAttr("v"),
			"n": {DataType: aws.String("Number"), StringValue: aws.String("42")},
			"b": {DataType: aws.String("Binary"), BinaryValue: []byte{9}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	// An AMQP consumer's view: the queue of the default vhost, headers.
	q, err := e.b.Queue(broker.DefaultVHost, "x")
	if err != nil {
		t.Fatal(err)
	}
	d, ok, err := q.Get(1, true, e.b.Now())
	if err != nil || !ok {
		t.Fatalf("AMQP get: %v %v", ok, err)
	}
	m, err := message.Decode(d.Data)
	if err != nil {
		t.Fatal(err)
	}
	h := m.Properties.Headers
	if string(m.Body) != "from sqs" || !m.Properties.Persistent() || m.Properties.MessageID == "" {
		t.Fatalf("AMQP message %+v", m)
	}
	if v, _ := h.Get("s"); v != "v" {
		t.Errorf("header s = %v", v)
	}
	if v, _ := h.Get("n"); v != "42" {
		t.Errorf("header n = %v", v)
	}
	if v, _ := h.Get("b"); string(v.([]byte)) != "\t" {
		t.Errorf("header b = %v", v)
	}

	// AMQP publish → SQS receive.
	pub := &message.Message{RoutingKey: "x", Body: []byte("from amqp")}
	pub.Properties.SetHeader("kind", "order")
	pub.Properties.SetHeader("qty", int32(3))
	pub.Properties.SetHeader("ok", true)
	pub.Properties.SetHeader("raw", []byte("r"))
	pub.Properties.SetHeader("x-internal", "hidden")
	if n, err := e.b.Route(broker.DefaultVHost, pub, nil); err != nil || n != 1 {
		t.Fatalf("route: %d %v", n, err)
	}
	out, err := e.client.ReceiveMessage(ctx(t), &awssqs.ReceiveMessageInput{QueueUrl: u, MessageAttributeNames: []string{"All"}})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("SQS receive: %+v %v", out, err)
	}
	ma := out.Messages[0].MessageAttributes
	if len(ma) != 4 || *ma["kind"].StringValue != "order" || *ma["qty"].DataType != "Number" || *ma["qty"].StringValue != "3" ||
		*ma["ok"].StringValue != "true" || string(ma["raw"].BinaryValue) != "r" {
		t.Fatalf("attributes from AMQP headers: %+v", ma)
	}
	if *out.Messages[0].Body != "from amqp" || *out.Messages[0].MD5OfMessageAttributes != md5OfAttributes(mustAttrs(t, ma)) {
		t.Fatalf("message %+v", out.Messages[0])
	}
}

// mustAttrs converts SDK attributes back for digesting.
func mustAttrs(t *testing.T, in map[string]types.MessageAttributeValue) map[string]attrValue {
	out := map[string]attrValue{}
	for k, v := range in {
		a := attrValue{DataType: *v.DataType, BinaryValue: v.BinaryValue}
		if v.StringValue != nil {
			a.StringValue = *v.StringValue
		}
		out[k] = a
	}
	return out
}

func TestShutdownEndsLongPoll(t *testing.T) {
	e := newEnv(t, nil)
	u := aws.String(e.mustCreate("s", nil))
	got := e.receiveAsync(&awssqs.ReceiveMessageInput{QueueUrl: u, WaitTimeSeconds: 20})
	e.awaitConsumers("s", 1)
	if err := e.srv.Shutdown(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if out := <-got; out == nil || len(out.Messages) != 0 {
		t.Fatalf("long poll at shutdown: %+v", out)
	}
}

func TestCancelMessageMoveTask(t *testing.T) {
	e := newEnv(t, nil)
	src := aws.String(e.mustCreate("parked", nil))
	e.mustCreate("target", nil)
	var entries []types.SendMessageBatchRequestEntry
	for i := range 10 {
		entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String("m")})
	}
	for range 5 {
		if _, err := e.client.SendMessageBatch(ctx(t), &awssqs.SendMessageBatchInput{QueueUrl: src, Entries: entries}); err != nil {
			t.Fatal(err)
		}
	}
	arn := aws.String("arn:aws:sqs:us-east-1:000000000000:parked")
	// One message a second: the task is far from done when it is cancelled.
	st, err := e.client.StartMessageMoveTask(ctx(t), &awssqs.StartMessageMoveTaskInput{SourceArn: arn,
		DestinationArn: aws.String("arn:aws:sqs:us-east-1:000000000000:target"), MaxNumberOfMessagesPerSecond: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.client.StartMessageMoveTask(ctx(t), &awssqs.StartMessageMoveTaskInput{SourceArn: arn})
	wantCode(t, err, "InvalidParameterValue")
	if _, err := e.client.CancelMessageMoveTask(ctx(t), &awssqs.CancelMessageMoveTaskInput{TaskHandle: st.TaskHandle}); err != nil {
		t.Fatal(err)
	}
	c := ctx(t)
	for {
		l, err := e.client.ListMessageMoveTasks(ctx(t), &awssqs.ListMessageMoveTasksInput{SourceArn: arn, MaxResults: aws.Int32(10)})
		if err != nil || len(l.Results) != 1 {
			t.Fatalf("ListMessageMoveTasks: %+v %v", l, err)
		}
		r := l.Results[0]
		if *r.Status == taskCancelled {
			if r.ApproximateNumberOfMessagesToMove == nil || *r.ApproximateNumberOfMessagesToMove != 50 || *r.DestinationArn == "" {
				t.Fatalf("result %+v", r)
			}
			break
		}
		if *r.Status != taskCancelling || c.Err() != nil {
			t.Fatalf("status %s", *r.Status)
		}
		runtime.Gosched()
	}
	if st := e.stats("parked"); st.Ready+st.Unacked+int(e.stats("target").Ready) != 50 || st.Unacked != 0 {
		t.Fatalf("after cancel: parked %+v target %+v", st, e.stats("target"))
	}
}
