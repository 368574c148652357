package sqs

import (
	"encoding/xml"
	"net/url"
	"strings"
	"testing"
)

// Query protocol answers, as the 2012-11-05 API documents them.
type xmlAttr struct {
	Name  string `xml:"Name"`
	Value string `xml:"Value"`
}

type xmlMessage struct {
	MessageID     string    `xml:"MessageId"`
	ReceiptHandle string    `xml:"ReceiptHandle"`
	MD5OfBody     string    `xml:"MD5OfBody"`
	Body          string    `xml:"Body"`
	MD5OfAttrs    string    `xml:"MD5OfMessageAttributes"`
	Attributes    []xmlAttr `xml:"Attribute"`
	MsgAttrs      []struct {
		Name  string `xml:"Name"`
		Value struct {
			DataType    string `xml:"DataType"`
			StringValue string `xml:"StringValue"`
			BinaryValue string `xml:"BinaryValue"`
		} `xml:"Value"`
	} `xml:"MessageAttribute"`
}

type xmlResponse struct {
	XMLName xml.Name
	Result  struct {
		QueueURLs  []string     `xml:"QueueUrl"`
		MessageID  string       `xml:"MessageId"`
		MD5OfBody  string       `xml:"MD5OfMessageBody"`
		MD5OfAttrs string       `xml:"MD5OfMessageAttributes"`
		Attributes []xmlAttr    `xml:"Attribute"`
		Messages   []xmlMessage `xml:"Message"`
		BatchOK    []struct {
			ID string `xml:"Id"`
		} `xml:"SendMessageBatchResultEntry"`
		BatchFailed []struct {
			ID   string `xml:"Id"`
			Code string `xml:"Code"`
		} `xml:"BatchResultErrorEntry"`
	} `xml:",any"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

type xmlError struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Type    string   `xml:"Error>Type"`
	Code    string   `xml:"Error>Code"`
	Message string   `xml:"Error>Message"`
	ReqID   string   `xml:"RequestId"`
}

// call posts a query request and decodes a 200 answer.
func (e *env) call(action string, kv ...string) xmlResponse {
	e.t.Helper()
	form := url.Values{"Action": {action}, "Version": {"2012-11-05"}}
	for i := 0; i < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	status, body := e.query(form)
	if status != 200 {
		e.t.Fatalf("%s: status %d: %s", action, status, body)
	}
	var r xmlResponse
	if err := xml.Unmarshal([]byte(body), &r); err != nil {
		e.t.Fatalf("%s: %v in %s", action, err, body)
	}
	if r.XMLName.Local != action+"Response" || r.XMLName.Space != xmlNS || r.RequestID == "" {
		e.t.Fatalf("%s: answer %v %q: %s", action, r.XMLName, r.RequestID, body)
	}
	return r
}

// callErr posts a query request that must fail with status and code.
func (e *env) callErr(status int, code, action string, kv ...string) {
	e.t.Helper()
	form := url.Values{"Action": {action}}
	for i := 0; i < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	got, body := e.query(form)
	var x xmlError
	if err := xml.Unmarshal([]byte(body), &x); err != nil {
		e.t.Fatalf("%s: %v in %s", action, err, body)
	}
	if got != status || x.Code != code || x.Type != "Sender" || x.ReqID == "" {
		e.t.Fatalf("%s: status %d code %q, want %d %q: %s", action, got, x.Code, status, code, body)
	}
}

func TestQueryProtocol(t *testing.T) {
	e := newEnv(t, nil)
	r := e.call("CreateQueue", "QueueName", "qp", "Attribute.1.Name", "VisibilityTimeout", "Attribute.1.Value", "60",
		"Tag.1.Key", "team", "Tag.1.Value", "x")
	if len(r.Result.QueueURLs) != 1 {
		t.Fatalf("CreateQueue %+v", r.Result)
	}
	qurl := r.Result.QueueURLs[0]
	if !strings.HasSuffix(qurl, "/000000000000/qp") {
		t.Fatalf("QueueUrl %q", qurl)
	}
	r = e.call("GetQueueAttributes", "QueueUrl", qurl, "AttributeName.1", "VisibilityTimeout", "AttributeName.2", "QueueArn")
	if len(r.Result.Attributes) != 2 {
		t.Fatalf("attributes %v", r.Result.Attributes)
	}
	r = e.call("SendMessage", "QueueUrl", qurl, "MessageBody", "hi <there> & co",
		"MessageAttribute.1.Name", "SellerName", "MessageAttribute.1.Value.DataType", "String",
		"MessageAttribute.1.Value.StringValue", "Example Store")
	if r.Result.MD5OfBody != md5Hex([]byte("hi <there> & co")) || r.Result.MD5OfAttrs != "cd28f3b68aeee4b2eac9c66f2f694b58" || r.Result.MessageID == "" {
		t.Fatalf("SendMessage result %+v", r.Result)
	}
	r = e.call("SendMessageBatch", "QueueUrl", qurl,
		"SendMessageBatchRequestEntry.1.Id", "a", "SendMessageBatchRequestEntry.1.MessageBody", "one",
		"SendMessageBatchRequestEntry.2.Id", "b", "SendMessageBatchRequestEntry.2.MessageBody", "two",
		"SendMessageBatchRequestEntry.2.MessageAttribute.1.Name", "n",
		"SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.DataType", "Number",
		"SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.StringValue", "7",
		"SendMessageBatchRequestEntry.3.Id", "c", "SendMessageBatchRequestEntry.3.MessageBody", "")
	if len(r.Result.BatchOK) != 2 || len(r.Result.BatchFailed) != 1 || r.Result.BatchFailed[0].Code != "MissingParameter" {
		t.Fatalf("SendMessageBatch %+v", r.Result)
	}
	r = e.call("ReceiveMessage", "QueueUrl", qurl, "MaxNumberOfMessages", "10", "AttributeName.1", "All", "MessageAttributeName.1", "All")
	if len(r.Result.Messages) != 3 {
		t.Fatalf("received %+v", r.Result.Messages)
	}
	m := r.Result.Messages[0]
	if m.Body != "hi <there> & co" || len(m.MsgAttrs) != 1 || m.MsgAttrs[0].Value.StringValue != "Example Store" || m.MD5OfAttrs != "cd28f3b68aeee4b2eac9c66f2f694b58" {
		t.Fatalf("message %+v", m)
	}
	if len(m.Attributes) < 4 {
		t.Fatalf("system attributes %v", m.Attributes)
	}
	e.call("DeleteMessage", "QueueUrl", qurl, "ReceiptHandle", m.ReceiptHandle)
	e.call("DeleteMessageBatch", "QueueUrl", qurl,
		"DeleteMessageBatchRequestEntry.1.Id", "x", "DeleteMessageBatchRequestEntry.1.ReceiptHandle", r.Result.Messages[1].ReceiptHandle)
	e.call("ChangeMessageVisibility", "QueueUrl", qurl, "ReceiptHandle", r.Result.Messages[2].ReceiptHandle, "VisibilityTimeout", "0")
	if st := e.stats("qp"); st.Ready != 1 || st.Unacked != 0 {
		t.Fatalf("stats %+v", st)
	}
	r = e.call("ListQueues", "QueueNamePrefix", "q")
	if len(r.Result.QueueURLs) != 1 {
		t.Fatalf("ListQueues %+v", r.Result)
	}
	e.call("TagQueue", "QueueUrl", qurl, "Tag.1.Key", "env", "Tag.1.Value", "dev")
	e.call("DeleteQueue", "QueueUrl", qurl)

	e.callErr(400, "AWS.SimpleQueueService.NonExistentQueue", "GetQueueUrl", "QueueName", "qp")
	e.callErr(400, "MissingParameter", "CreateQueue")
	e.callErr(400, "InvalidAction", "Frobnicate")
	e.callErr(400, "InvalidParameterValue", "CreateQueue", "QueueName", "bad name")
	e.callErr(400, "AWS.SimpleQueueService.NonExistentQueue", "DeleteMessageBatch", "QueueUrl", e.endpoint()+"/000000000000/none2")
}

// The URL path names the queue when QueueUrl is left out, as clients of
// the query protocol post to the queue's URL.
func TestQueryQueueFromPath(t *testing.T) {
	e := newEnv(t, nil)
	e.mustCreate("pathq", nil)
	form := url.Values{"Action": {"SendMessage"}, "MessageBody": {"via path"}}
	resp, err := httpPost(e.endpoint()+"/000000000000/pathq", form)
	if err != nil || resp != 200 {
		t.Fatalf("post to queue URL: %d %v", resp, err)
	}
	if st := e.stats("pathq"); st.Ready != 1 {
		t.Fatalf("stats %+v", st)
	}
}
