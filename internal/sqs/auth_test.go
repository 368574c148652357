package sqs

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
)

func TestSigV4(t *testing.T) {
	e := newEnv(t, map[string]string{"AKIDTEST": "secret"})
	// The harness client signs with AKIDTEST/secret: accepted.
	u := aws.String(e.mustCreate("signed", nil))
	if _, err := e.client.SendMessage(ctx(t), &awssqs.SendMessageInput{QueueUrl: u, MessageBody: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
	_, err := e.newClient("AKIDTEST", "wrong").ListQueues(ctx(t), &awssqs.ListQueuesInput{})
	wantCode(t, err, "SignatureDoesNotMatch")
	_, err = e.newClient("OTHER", "secret").ListQueues(ctx(t), &awssqs.ListQueuesInput{})
	wantCode(t, err, "InvalidClientTokenId")
	e.callErr(403, "MissingAuthenticationToken", "ListQueues")
}

func TestAnyCredentialsWithoutKeys(t *testing.T) {
	e := newEnv(t, nil)
	if _, err := e.newClient("whoever", "whatever").ListQueues(ctx(t), &awssqs.ListQueuesInput{}); err != nil {
		t.Fatal(err)
	}
	e.call("ListQueues") // unsigned
}
