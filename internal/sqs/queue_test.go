package sqs

import (
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func TestCreateQueueIdempotent(t *testing.T) {
	e := newEnv(t, nil)
	u := e.mustCreate("orders", map[string]string{"VisibilityTimeout": "45"})
	if want := e.endpoint() + "/000000000000/orders"; u != want {
		t.Fatalf("QueueUrl %q, want %q", u, want)
	}
	if u2 := e.mustCreate("orders", map[string]string{"VisibilityTimeout": "45"}); u2 != u {
		t.Fatalf("second CreateQueue gave %q", u2)
	}
	e.mustCreate("orders", nil)
	_, err := e.client.CreateQueue(ctx(t), &awssqs.CreateQueueInput{QueueName: aws.String("orders"),
		Attributes: map[string]string{"VisibilityTimeout": "10"}})
	wantCode(t, err, "QueueAlreadyExists")
	var qe *types.QueueNameExists
	if !asErr(err, &qe) {
		t.Fatalf("error %T, want *types.QueueNameExists", err)
	}
}

func TestCreateQueueValidation(t *testing.T) {
	e := newEnv(t, nil)
	for _, tc := range []struct {
		name  string
		attrs map[string]string
		code  string
	}{
		{"bad.name", nil, "InvalidParameterValue"},
		{strings.Repeat("a", 81), nil, "InvalidParameterValue"},
		{"q", map[string]string{"VisibilityTimeout": "43201"}, "InvalidAttributeValue"},
		{"q", map[string]string{"DelaySeconds": "-1"}, "InvalidAttributeValue"},
		{"q", map[string]string{"MessageRetentionPeriod": "59"}, "InvalidAttributeValue"},
		{"q", map[string]string{"MaximumMessageSize": "1023"}, "InvalidAttributeValue"},
		{"q", map[string]string{"Bogus": "1"}, "InvalidAttributeName"},
		{"q", map[string]string{"FifoQueue": "true"}, "InvalidParameterValue"},
		{"q", map[string]string{"ContentBasedDeduplication": "true"}, "InvalidAttributeName"},
		{"q", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:nope","maxReceiveCount":3}`}, "InvalidParameterValue"},
	} {
		_, err := e.client.CreateQueue(ctx(t), &awssqs.CreateQueueInput{QueueName: aws.String(tc.name), Attributes: tc.attrs})
		wantCode(t, err, tc.code)
	}
}

func TestQueueLifecycle(t *testing.T) {
	e := newEnv(t, nil)
	for _, n := range []string{"a1", "a2", "b1"} {
		e.mustCreate(n, nil)
	}
	got, err := e.client.GetQueueUrl(ctx(t), &awssqs.GetQueueUrlInput{QueueName: aws.String("a2")})
	if err != nil || !strings.HasSuffix(*got.QueueUrl, "/000000000000/a2") {
		t.Fatalf("GetQueueUrl: %v %v", got, err)
	}
	_, err = e.client.GetQueueUrl(ctx(t), &awssqs.GetQueueUrlInput{QueueName: aws.String("zz")})
	wantCode(t, err, "AWS.SimpleQueueService.NonExistentQueue")
	var nq *types.QueueDoesNotExist
	if !asErr(err, &nq) {
		t.Fatalf("error %T, want *types.QueueDoesNotExist", err)
	}

	l, err := e.client.ListQueues(ctx(t), &awssqs.ListQueuesInput{QueueNamePrefix: aws.String("a")})
	if err != nil || len(l.QueueUrls) != 2 {
		t.Fatalf("ListQueues prefix a: %v %v", l, err)
	}
	var all []string
	var token *string
	for {
		l, err := e.client.ListQueues(ctx(t), &awssqs.ListQueuesInput{MaxResults: aws.Int32(2), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, l.QueueUrls...)
		if l.NextToken == nil {
			break
		}
		token = l.NextToken
	}
	if len(all) != 3 || !strings.HasSuffix(all[2], "/b1") {
		t.Fatalf("paged ListQueues: %v", all)
	}

	u := e.mustCreate("del", nil)
	if _, err := e.client.DeleteQueue(ctx(t), &awssqs.DeleteQueueInput{QueueUrl: aws.String(u)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.DeleteQueue(ctx(t), &awssqs.DeleteQueueInput{QueueUrl: aws.String(u)})
	wantCode(t, err, "AWS.SimpleQueueService.NonExistentQueue")
}

func TestQueueAttributes(t *testing.T) {
	e := newEnv(t, nil)
	dlq := e.mustCreate("dlq", nil)
	u := e.mustCreate("work", map[string]string{"DelaySeconds": "0", "VisibilityTimeout": "20"})
	ga, err := e.client.GetQueueAttributes(ctx(t), &awssqs.GetQueueAttributesInput{QueueUrl: aws.String(u),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	a := ga.Attributes
	for k, want := range map[string]string{"VisibilityTimeout": "20", "DelaySeconds": "0", "MessageRetentionPeriod": "345600",
		"MaximumMessageSize": "262144", "ApproximateNumberOfMessages": "0", "QueueArn": "arn:aws:sqs:us-east-1:000000000000:work"} {
		if a[k] != want {
			t.Errorf("attribute %s = %q, want %q", k, a[k], want)
		}
	}
	if n, _ := strconv.ParseInt(a["CreatedTimestamp"], 10, 64); n <= 0 {
		t.Errorf("CreatedTimestamp %q", a["CreatedTimestamp"])
	}

	rp := `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":3}`
	_, err = e.client.SetQueueAttributes(ctx(t), &awssqs.SetQueueAttributesInput{QueueUrl: aws.String(u),
		Attributes: map[string]string{"RedrivePolicy": rp, "VisibilityTimeout": "7", "ReceiveMessageWaitTimeSeconds": "2"}})
	if err != nil {
		t.Fatal(err)
	}
	ga, err = e.client.GetQueueAttributes(ctx(t), &awssqs.GetQueueAttributesInput{QueueUrl: aws.String(u),
		AttributeNames: []types.QueueAttributeName{"RedrivePolicy", "VisibilityTimeout", "ReceiveMessageWaitTimeSeconds"}})
	if err != nil {
		t.Fatal(err)
	}
	if ga.Attributes["RedrivePolicy"] != rp || ga.Attributes["VisibilityTimeout"] != "7" || ga.Attributes["ReceiveMessageWaitTimeSeconds"] != "2" || len(ga.Attributes) != 3 {
		t.Fatalf("attributes after set: %v", ga.Attributes)
	}
	info, err := e.b.QueueInfo("/", "work")
	if err != nil {
		t.Fatal(err)
	}
	if info.Args["x-dead-letter-routing-key"] != "dlq" || info.Args["x-delivery-limit"].(interface{ String() string }).String() != "2" ||
		info.Args["x-visibility-timeout"].(interface{ String() string }).String() != "7000" {
		t.Fatalf("queue args %v", info.Args)
	}
	src, err := e.client.ListDeadLetterSourceQueues(ctx(t), &awssqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(dlq)})
	if err != nil || len(src.QueueUrls) != 1 || src.QueueUrls[0] != u {
		t.Fatalf("ListDeadLetterSourceQueues: %v %v", src, err)
	}
	_, err = e.client.GetQueueAttributes(ctx(t), &awssqs.GetQueueAttributesInput{QueueUrl: aws.String(u),
		AttributeNames: []types.QueueAttributeName{"Nope"}})
	wantCode(t, err, "InvalidAttributeName")
	_, err = e.client.SetQueueAttributes(ctx(t), &awssqs.SetQueueAttributesInput{QueueUrl: aws.String(u),
		Attributes: map[string]string{"DelaySeconds": "901"}})
	wantCode(t, err, "InvalidAttributeValue")
}

func TestTagsAndPermissions(t *testing.T) {
	e := newEnv(t, nil)
	out, err := e.client.CreateQueue(ctx(t), &awssqs.CreateQueueInput{QueueName: aws.String("t"), Tags: map[string]string{"team": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	u := out.QueueUrl
	if _, err := e.client.TagQueue(ctx(t), &awssqs.TagQueueInput{QueueUrl: u, Tags: map[string]string{"env": "dev", "team": "b"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.UntagQueue(ctx(t), &awssqs.UntagQueueInput{QueueUrl: u, TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}
	lt, err := e.client.ListQueueTags(ctx(t), &awssqs.ListQueueTagsInput{QueueUrl: u})
	if err != nil || len(lt.Tags) != 1 || lt.Tags["team"] != "b" {
		t.Fatalf("ListQueueTags: %v %v", lt, err)
	}
	if _, err := e.client.AddPermission(ctx(t), &awssqs.AddPermissionInput{QueueUrl: u, Label: aws.String("p1"),
		AWSAccountIds: []string{"111122223333"}, Actions: []string{"SendMessage"}}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.AddPermission(ctx(t), &awssqs.AddPermissionInput{QueueUrl: u, Label: aws.String("p1"),
		AWSAccountIds: []string{"111122223333"}, Actions: []string{"SendMessage"}})
	wantCode(t, err, "InvalidParameterValue")
	if _, err := e.client.RemovePermission(ctx(t), &awssqs.RemovePermissionInput{QueueUrl: u, Label: aws.String("p1")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.RemovePermission(ctx(t), &awssqs.RemovePermissionInput{QueueUrl: u, Label: aws.String("p1")})
	wantCode(t, err, "InvalidParameterValue")
}

func TestFerryRetryAttributes(t *testing.T) {
	e := newEnv(t, nil)
	u := e.mustCreate("r", map[string]string{"FerryRetryInitialDelay": "500", "FerryRetryMultiplier": "1.5", "FerryRetryJitter": "full"})
	q, err := e.b.Queue("/", "r")
	if err != nil {
		t.Fatal(err)
	}
	if p := q.Policy(); p.Retry.Initial.Milliseconds() != 500 || p.Retry.Multiplier != 1.5 {
		t.Fatalf("engine retry %+v", p.Retry)
	}
	ga, err := e.client.GetQueueAttributes(ctx(t), &awssqs.GetQueueAttributesInput{QueueUrl: aws.String(u),
		AttributeNames: []types.QueueAttributeName{"FerryRetryInitialDelay", "FerryRetryMultiplier", "FerryRetryJitter"}})
	if err != nil || ga.Attributes["FerryRetryInitialDelay"] != "500" || ga.Attributes["FerryRetryMultiplier"] != "1.5" || ga.Attributes["FerryRetryJitter"] != "full" {
		t.Fatalf("attributes %v %v", ga.Attributes, err)
	}
	_, err = e.client.SetQueueAttributes(ctx(t), &awssqs.SetQueueAttributesInput{QueueUrl: aws.String(u),
		Attributes: map[string]string{"FerryRetryMultiplier": "0.5"}})
	wantCode(t, err, "InvalidAttributeValue")
}

// TestCreateQueueRaceKeepsOneAttributeSet: CreateQueue calls for one name
// with two values of an attribute only SQS keeps (MaximumMessageSize)
// race; whichever made the queue, every call that succeeded asked for
// the value the queue has, and the others got QueueAlreadyExists. (A
// loser must compare SQS attributes itself: the broker's redeclare
// check does not see them.)
func TestCreateQueueRaceKeepsOneAttributeSet(t *testing.T) {
	e := newEnv(t, nil)
	for round := range 10 {
		name := "race" + strconv.Itoa(round)
		sizes := []string{"1024", "2048", "1024", "2048", "1024", "2048"}
		errs := make([]error, len(sizes))
		var wg sync.WaitGroup
		for i, size := range sizes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = e.client.CreateQueue(ctx(t), &awssqs.CreateQueueInput{QueueName: aws.String(name),
					Attributes: map[string]string{"MaximumMessageSize": size}})
			}()
		}
		wg.Wait()
		out, err := e.client.GetQueueAttributes(ctx(t), &awssqs.GetQueueAttributesInput{
			QueueUrl: aws.String(e.endpoint() + "/000000000000/" + name), AttributeNames: []types.QueueAttributeName{"MaximumMessageSize"}})
		if err != nil {
			t.Fatal(err)
		}
		have := out.Attributes["MaximumMessageSize"]
		for i, err := range errs {
			switch {
			case err == nil && sizes[i] != have:
				t.Fatalf("round %d: CreateQueue with MaximumMessageSize %s succeeded, but the queue has %s", round, sizes[i], have)
			case err != nil && sizes[i] == have:
				t.Fatalf("round %d: CreateQueue with the queue's own MaximumMessageSize %s failed: %v", round, have, err)
			case err != nil:
				wantCode(t, err, "QueueAlreadyExists")
			}
		}
	}
}
