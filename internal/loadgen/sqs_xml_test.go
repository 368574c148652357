package loadgen

import (
	"encoding/xml"
	"reflect"
	"strings"
	"testing"
)

// receiveAnswer is a ReceiveMessage answer as SQS writes it, with the
// corners scanXML must get right: a namespace, a prefixed element,
// entities and character references, CDATA, a comment, an attribute
// holding '>', a self-closing element and CR LF line ends.
const receiveAnswer = `<?xml version="1.0" encoding="UTF-8"?>
<ReceiveMessageResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">
  <ReceiveMessageResult>
    <Message>
      <MessageId>m1</MessageId>
      <ReceiptHandle>rh&amp;1</ReceiptHandle>
      <Body>a &lt;b&gt; &quot;c&quot; &apos;d&apos; &#233;&#x1F600;` + "\r\n" + `end</Body>
      <!-- a comment <Body>not this</Body> -->
      <Attribute note="x>y"><Name>SenderId</Name><Value/></Attribute>
    </Message>
    <sqs:Message xmlns:sqs="http://queue.amazonaws.com/doc/2012-11-05/">
      <sqs:ReceiptHandle>rh2</sqs:ReceiptHandle>
      <sqs:Body><![CDATA[<raw> & stuff]]></sqs:Body>
    </sqs:Message>
  </ReceiveMessageResult>
  <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>
</ReceiveMessageResponse>`

func TestScanXMLReadsWhatEncodingXMLReads(t *testing.T) {
	var want struct {
		Messages []struct {
			Body          string `xml:"Body"`
			ReceiptHandle string `xml:"ReceiptHandle"`
		} `xml:"ReceiveMessageResult>Message"`
	}
	if err := xml.Unmarshal([]byte(receiveAnswer), &want); err != nil {
		t.Fatal(err)
	}
	var got []sqsMessage
	var cur sqsMessage
	var paths []string
	err := scanXML([]byte(receiveAnswer), func(path []string, text string) {
		paths = append(paths, strings.Join(path, "/"))
		switch {
		case under(path, "ReceiveMessageResult", "Message", "Body"):
			cur.body = text
		case under(path, "ReceiveMessageResult", "Message", "ReceiptHandle"):
			cur.receiptHandle = text
		case under(path, "ReceiveMessageResult", "Message"):
			got = append(got, cur)
			cur = sqsMessage{}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want.Messages) || len(got) != 2 {
		t.Fatalf("%d messages, encoding/xml finds %d: %+v", len(got), len(want.Messages), got)
	}
	for i, w := range want.Messages {
		if got[i].body != w.Body || got[i].receiptHandle != w.ReceiptHandle {
			t.Errorf("message %d: %+v, encoding/xml reads %+v", i, got[i], w)
		}
	}
	if !strings.HasSuffix(got[0].body, "\nend") || strings.Contains(got[0].body, "\r") {
		t.Errorf("line end not normalized: %q", got[0].body)
	}
	wantPath := "ReceiveMessageResponse/ReceiveMessageResult/Message/Attribute/Value"
	if !strings.Contains(strings.Join(paths, "\n"), wantPath) {
		t.Errorf("self-closing <Value/> not reported as %s: %q", wantPath, paths)
	}
}

func TestScanXMLRefusesWhatItCannotRead(t *testing.T) {
	for _, doc := range []string{
		`<a><b></a>`, `<a>`, `</a>`, `<a>&nbsp;</a>`, `<a>&#xZZ;</a>`, `<a>&amp</a>`,
		`<!DOCTYPE a><a/>`, `<a`, `<a x="1>`, `<?xml`, `<!-- x`, `<a><![CDATA[x</a>`, `<>x</>`,
	} {
		if err := scanXML([]byte(doc), func([]string, string) {}); err == nil {
			t.Errorf("%q: no error", doc)
		}
	}
}

func TestUnder(t *testing.T) {
	p := []string{"R", "Result", "Entry", "Id"}
	for _, tc := range []struct {
		names []string
		want  bool
	}{
		{[]string{"Id"}, true}, {[]string{"Entry", "Id"}, true}, {[]string{"R", "Result", "Entry", "Id"}, true},
		{[]string{"Result", "Id"}, false}, {[]string{"X", "R", "Result", "Entry", "Id"}, false},
	} {
		if got := under(p, tc.names...); got != tc.want {
			t.Errorf("under(%v, %v) = %v", p, tc.names, got)
		}
	}
	if !reflect.DeepEqual(p, []string{"R", "Result", "Entry", "Id"}) {
		t.Errorf("under changed its path: %v", p)
	}
}
