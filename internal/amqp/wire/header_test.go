package wire

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/ferrymq/ferry/internal/message"
)

// everyProperty has all fourteen basic properties set.
func everyProperty() message.Properties {
	return message.Properties{
		Flags:           0xfffc,
		ContentType:     "application/json",
		ContentEncoding: "gzip",
		Headers:         message.Table{{Key: "x-retry", Value: int32(3)}, {Key: "trace", Value: []byte{1, 2}}},
		DeliveryMode:    message.Persistent,
		Priority:        9,
		CorrelationID:   "corr",
		ReplyTo:         "amq.rabbitmq.reply-to",
		Expiration:      "60000",
		MessageID:       "id-1",
		Timestamp:       1700000000,
		Type:            "order.created",
		UserID:          "guest",
		AppID:           "shop",
		ClusterID:       "c1",
	}
}

// TestContentHeaderGolden checks a header with headers against bytes laid
// out by hand from 4.2.6.1.
func TestContentHeaderGolden(t *testing.T) {
	h := ContentHeader{ClassID: ClassBasic, BodySize: 5, Properties: message.Properties{
		Flags:        message.FlagContentType | message.FlagHeaders | message.FlagDeliveryMode,
		ContentType:  "text/plain",
		Headers:      message.Table{{Key: "x", Value: int32(1)}},
		DeliveryMode: 2,
	}}
	want := []byte{
		0, 60, // class basic
		0, 0, // weight
		0, 0, 0, 0, 0, 0, 0, 5, // body size
		0xb0, 0x00, // content-type (bit 15), headers (13), delivery-mode (12)
		10, 't', 'e', 'x', 't', '/', 'p', 'l', 'a', 'i', 'n',
		0, 0, 0, 7, 1, 'x', 'I', 0, 0, 0, 1,
		2,
	}
	got, err := h.Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encoded\n got % x\nwant % x", got, want)
	}
	var back ContentHeader
	if err := back.Read(want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, h) {
		t.Errorf("decoded %#v, want %#v", back, h)
	}
}

func TestPropertiesRoundTrip(t *testing.T) {
	for _, p := range []message.Properties{{}, everyProperty()} {
		enc, err := AppendProperties(nil, &p)
		if err != nil {
			t.Fatal(err)
		}
		var got message.Properties
		if err := ReadProperties(enc, &got); err != nil {
			t.Fatalf("ReadProperties: %v", err)
		}
		if !reflect.DeepEqual(got, p) {
			t.Errorf("round trip\n got %#v\nwant %#v", got, p)
		}
	}
}

// TestPropertiesAbsentAndEmptyDiffer: a property sent empty is present.
func TestPropertiesAbsentAndEmptyDiffer(t *testing.T) {
	empty := message.Properties{Flags: message.FlagContentType | message.FlagHeaders}
	enc, err := AppendProperties(nil, &empty)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0xa0, 0, 0, 0, 0, 0, 0}
	if !bytes.Equal(enc, want) {
		t.Fatalf("encoded % x, want % x", enc, want)
	}
	var got message.Properties
	if err := ReadProperties(enc, &got); err != nil {
		t.Fatal(err)
	}
	if !got.Has(message.FlagContentType) || !got.Has(message.FlagHeaders) || got.Has(message.FlagType) {
		t.Errorf("flags after decode = %#04x, want content-type and headers only", got.Flags)
	}
}

// TestPropertyBitsMatchSpec checks message's flag constants against the
// bits the spec gives each property (generated into propertyBits).
func TestPropertyBitsMatchSpec(t *testing.T) {
	if len(propertyBits) != 14 {
		t.Fatalf("%d basic properties, want 14", len(propertyBits))
	}
	for _, b := range propertyBits {
		if b.flag != b.want {
			t.Errorf("%s: message flag %#04x, spec bit %#04x", b.name, b.flag, b.want)
		}
	}
}

func TestContentHeaderErrors(t *testing.T) {
	good, err := (&ContentHeader{ClassID: ClassBasic, BodySize: 1, Properties: everyProperty()}).Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	for cut := 0; cut < len(good); cut++ {
		var h ContentHeader
		err := h.Read(good[:cut])
		if code, _ := ReplyCode(err); code != SyntaxError || !errors.Is(err, ErrTruncated) {
			t.Fatalf("header cut to %d/%d bytes: err = %v, want SYNTAX_ERROR wrapping ErrTruncated", cut, len(good), err)
		}
	}
	cases := []struct {
		name    string
		payload []byte
		want    error
	}{
		{"trailing byte", append(bytes.Clone(good), 0), ErrTrailingBytes},
		{"continuation flag", []byte{0, 60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x01, 0, 0}, ErrPropertyFlags},
		{"unused flag bit", []byte{0, 60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x02}, ErrPropertyFlags},
		{"class without content", []byte{0, 50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, ErrNoContentClass},
	}
	for _, c := range cases {
		var h ContentHeader
		err := h.Read(c.payload)
		if code, _ := ReplyCode(err); code != SyntaxError || !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want SYNTAX_ERROR wrapping %v", c.name, err, c.want)
		}
	}
	bad := message.Properties{Flags: 0x0001}
	if out, err := AppendProperties([]byte("k"), &bad); err == nil || string(out) != "k" {
		t.Errorf("AppendProperties with the continuation flag: %q, %v; want an error and dst unchanged", out, err)
	}
}
