package sqs

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// stdDecode is what decodeJSONRequest did before parseJSONValue: a
// json.Decoder with UseNumber, which must also consume the whole input.
func stdDecode(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if len(bytes.TrimLeft(data[d.InputOffset():], " \t\r\n")) > 0 {
		return nil, errJSONTrailing
	}
	return v, nil
}

var jsonSamples = []string{
	`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `1.5e-7`, `-12E+3`, `"x"`, ` {"a" : [ 1 , 2 ] } `,
	`{"QueueUrl":"http://h/0/q","Entries":[{"Id":"0","MessageBody":"hello"},{"Id":"1","MessageBody":"<&>"}]}`,
	`{"a":"\u00e9\ud83d\ude00\n\t\"\\\/","b":"caf\u00e9 ☕"}`,
	`{"a":1,"a":2}`, `{"s":"\ud800"}`, "{\"s\":\"\xff\xfe\"}", `{"n":12345678901234567890123}`,
	`{"m":{"x":{"DataType":"String","StringValue":"v"}},"l":[[],[{}],null,true]}`,
	// errors
	``, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `{"a":1}}`, `{} {}`, `01`, `-`, `1.`, `1e`, `.5`, `+1`,
	`"abc`, "\"a\x01b\"", `"\x"`, `"\u12"`, `tru`, `nul`, `{"a":1 "b":2}`, `[1 2]`, `{1:2}`, `'a'`,
}

func TestParseJSONValueMatchesEncodingJSON(t *testing.T) {
	for _, s := range jsonSamples {
		got, gerr := parseJSONValue([]byte(s))
		want, werr := stdDecode([]byte(s))
		if (gerr != nil) != (werr != nil) {
			t.Errorf("%q: error %v, encoding/json's %v", s, gerr, werr)
			continue
		}
		if gerr == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("%q: %#v, encoding/json gives %#v", s, got, want)
		}
	}
}

func TestParseJSONValueBoundsDepth(t *testing.T) {
	deep := strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1)
	if _, err := parseJSONValue([]byte(deep)); err == nil || !strings.Contains(err.Error(), "levels deep") {
		t.Errorf("%d nested arrays: %v, want a depth error", maxJSONDepth+1, err)
	}
	ok := strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth)
	if _, err := parseJSONValue([]byte(ok)); err != nil {
		t.Errorf("%d nested arrays: %v", maxJSONDepth, err)
	}
}

func TestDecodeJSONRequestShapes(t *testing.T) {
	for _, tc := range []struct {
		body    string
		wantErr bool
		n       int
	}{
		{"", false, 0}, {"  \n", false, 0}, {"null", false, 0}, {`{"QueueName":"q"}`, false, 1},
		{"[1,2]", true, 0}, {`"q"`, true, 0}, {"7", true, 0}, {"{", true, 0},
	} {
		action, params, err := decodeJSONRequest("AmazonSQS.CreateQueue", []byte(tc.body))
		if tc.wantErr {
			if ae, ok := err.(*apiError); !ok || ae.code != errSerialization.code || !strings.Contains(ae.msg, "not a JSON object") {
				t.Errorf("%q: %v, want a SerializationException saying it is not a JSON object", tc.body, err)
			}
			continue
		}
		if err != nil || action != "CreateQueue" || params == nil || len(params) != tc.n {
			t.Errorf("%q: %q %v %v, want %d params", tc.body, action, params, err, tc.n)
		}
	}
}

func TestAppendJSONMatchesMarshal(t *testing.T) {
	for _, v := range []any{
		map[string]any{
			"Messages": []any{map[string]any{
				"Body": "a <b> & \"c\" \\ \n é \u2028", "MessageId": "id", "Attributes": map[string]string{"SentTimestamp": "1", "A": "é"},
				"MessageAttributes": map[string]any{"n": map[string]any{"DataType": "Binary", "BinaryValue": []byte{0, 1, 255}}},
			}},
			"Successful": []any{}, "Failed": []any(nil), "SenderFault": true, "N": int64(-5), "U": uint64(7), "I": 3,
			"Q": []string{"x", "y"}, "E": []string(nil), "M": []map[string]any{{"k": nil}}, "F": 1.5, "J": json.Number("12"),
		},
		map[string]any{}, "\xff", "plain",
	} {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendJSON(nil, v)
		if err != nil || string(got) != string(want) {
			t.Errorf("appendJSON:\n got %s (%v)\nwant %s", got, err, want)
		}
	}
}

// FuzzJSONCodec checks parseJSONValue against encoding/json on any input,
// and appendJSON against json.Marshal on what decodes.
func FuzzJSONCodec(f *testing.F) {
	for _, s := range jsonSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, gerr := parseJSONValue([]byte(s))
		want, werr := stdDecode([]byte(s))
		if gerr != nil && strings.Contains(gerr.Error(), "levels deep") {
			return
		}
		if (gerr != nil) != (werr != nil) {
			t.Fatalf("%q: error %v, encoding/json's %v", s, gerr, werr)
		}
		if gerr != nil {
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: %#v, encoding/json gives %#v", s, got, want)
		}
		enc, err := appendJSON(nil, got)
		std, serr := json.Marshal(got)
		if (err != nil) != (serr != nil) || string(enc) != string(std) {
			t.Fatalf("%q encodes as %s (%v), json.Marshal as %s (%v)", s, enc, err, std, serr)
		}
	})
}
