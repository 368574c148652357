package sqs

import "testing"

// The AWS SDK for Go v2 checks only MD5OfMessageBody, so the attribute
// digest is checked here against published values.
func TestMD5OfAttributes(t *testing.T) {
	for _, tc := range []struct {
		attrs map[string]attrValue
		want  string
	}{
		{map[string]attrValue{"SellerName": {DataType: "String", StringValue: "Example Store"}}, "cd28f3b68aeee4b2eac9c66f2f694b58"},
		{map[string]attrValue{
			"ordinal":  {DataType: "Number", StringValue: "1"},
			"category": {DataType: "String", StringValue: "test"},
		}, "d21ae90c49061e927f57df5f5d72be1f"},
		{nil, ""},
	} {
		if got := md5OfAttributes(tc.attrs); got != tc.want {
			t.Errorf("md5OfAttributes(%v) = %s, want %s", tc.attrs, got, tc.want)
		}
	}
	if got := md5Hex([]byte("123456")); got != "e10adc3949ba59abbe56e057f20f883e" {
		t.Errorf("md5Hex = %s", got)
	}
}
