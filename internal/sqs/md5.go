package sqs

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strings"
)

// attrValue is one message attribute: its data type (String, Number,
// Binary, or one of those followed by ".custom") and its value.
type attrValue struct {
	DataType    string
	StringValue string
	BinaryValue []byte
}

// isBinary reports whether v's type is Binary or a custom Binary type.
func (v attrValue) isBinary() bool { return baseType(v.DataType) == "Binary" }

// baseType is a data type without its custom part ("Number.int" → "Number").
func baseType(t string) string {
	if i := strings.IndexByte(t, '.'); i >= 0 {
		return t[:i]
	}
	return t
}

// md5Hex is the hex MD5 digest SQS gives as MD5OfMessageBody.
func md5Hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// md5OfAttributes is MD5OfMessageAttributes (and, over the system
// attributes, MD5OfMessageSystemAttributes) as SQS computes it and the SDKs
// check it ("Calculating the MD5 message digest for message attributes" in
// the SQS developer guide): the attributes sorted by name, each encoded as
//
//	name length (4 bytes, big-endian) and name (UTF-8)
//	data type length (4 bytes) and data type
//	transport type: 1 byte, 1 for String and Number (and their custom
//	  types), 2 for Binary
//	value length (4 bytes) and value (the string's UTF-8, or the bytes)
//
// and the MD5 of the whole taken in hex. "" when there are none.
func md5OfAttributes(attrs map[string]attrValue) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	slices.Sort(names)
	h := md5.New()
	var buf []byte
	put := func(b []byte) {
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(b)))
		buf = append(buf, b...)
	}
	for _, n := range names {
		v := attrs[n]
		buf = buf[:0]
		put([]byte(n))
		put([]byte(v.DataType))
		if v.isBinary() {
			buf = append(buf, 2)
			put(v.BinaryValue)
		} else {
			buf = append(buf, 1)
			put([]byte(v.StringValue))
		}
		h.Write(buf)
	}
	return hex.EncodeToString(h.Sum(nil))
}
