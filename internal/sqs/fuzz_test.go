package sqs

import (
	"testing"
)

// The request decoders and the receipt-handle decoder face the network:
// whatever they are given, they must answer with a value or an API error,
// never panic. The seed corpora in testdata/fuzz run as plain tests.

func FuzzQueryForm(f *testing.F) {
	f.Add("", "Action=SendMessage&QueueUrl=http%3A%2F%2Fh%2F0%2Fq&MessageBody=x&MessageAttribute.1.Name=a&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=v")
	f.Fuzz(func(t *testing.T, rawQuery, body string) {
		action, params, err := decodeQueryRequest(rawQuery, []byte(body))
		if err != nil {
			if _, ok := err.(*apiError); !ok {
				t.Fatalf("error %T is not an API error", err)
			}
			return
		}
		if action == "" || params == nil {
			t.Fatalf("no action or params without an error: %q %v", action, params)
		}
	})
}

func FuzzJSONRequest(f *testing.F) {
	f.Add("AmazonSQS.SendMessage", `{"QueueUrl":"http://h/0/q","MessageBody":"x","MessageAttributes":{"a":{"DataType":"Number","StringValue":"1"}}}`)
	f.Fuzz(func(t *testing.T, target, body string) {
		action, params, err := decodeJSONRequest(target, []byte(body))
		if err != nil {
			if _, ok := err.(*apiError); !ok {
				t.Fatalf("error %T is not an API error", err)
			}
			return
		}
		if action == "" || params == nil {
			t.Fatalf("no action or params without an error: %q %v", action, params)
		}
		// What decodes must go through validation without panicking.
		messageAttrs(params, "MessageAttributes", false)
		strMap(params, "Attributes")
		strList(params, "AttributeNames")
		intParam(params, "MaxNumberOfMessages", 1, 10)
	})
}

func FuzzReceiptHandle(f *testing.F) {
	f.Add(receipt{owner: ownerBase + 1, id: 7, deliveries: 1, nonce: 42, queue: "orders"}.encode())
	f.Fuzz(func(t *testing.T, h string) {
		r, err := decodeReceipt(h)
		if err != nil {
			return
		}
		back, err := decodeReceipt(r.encode())
		if err != nil || back != r {
			t.Fatalf("%q decodes to %+v, which encodes to something that decodes to %+v (%v)", h, r, back, err)
		}
	})
}
