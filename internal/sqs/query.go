package sqs

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// The query protocol: a form (POST body, or the URL's query for GET) with
// Action=<Action> and the input members flattened into dotted names
// (Attribute.1.Name, SendMessageBatchRequestEntry.2.MessageBody...); the
// answer is XML in the 2012-11-05 namespace. decodeQueryRequest turns
// the form into the JSON protocol's shape, so every action is written
// once; writeXML turns a result back.

// xmlNS is the namespace of query protocol answers.
const xmlNS = "http://queue.amazonaws.com/doc/2012-11-05/"

// queryMaps are the flattened maps of the query protocol: the form name of
// an entry, the JSON member it fills and the names of key and value.
var queryMaps = map[string]struct{ member, key, value string }{
	"Attribute":              {"Attributes", "Name", "Value"},
	"MessageAttribute":       {"MessageAttributes", "Name", "Value"},
	"MessageSystemAttribute": {"MessageSystemAttributes", "Name", "Value"},
	"Tag":                    {"Tags", "Key", "Value"},
}

// queryLists are the flattened lists: form name of an item, JSON member.
var queryLists = map[string]string{
	"AttributeName":                            "AttributeNames",
	"MessageAttributeName":                     "MessageAttributeNames",
	"MessageSystemAttributeName":               "MessageSystemAttributeNames",
	"TagKey":                                   "TagKeys",
	"AWSAccountId":                             "AWSAccountIds",
	"ActionName":                               "Actions",
	"SendMessageBatchRequestEntry":             "Entries",
	"DeleteMessageBatchRequestEntry":           "Entries",
	"ChangeMessageVisibilityBatchRequestEntry": "Entries",
}

// queryIgnored are form parameters that are not action input.
func queryIgnored(k string) bool {
	switch k {
	case "Action", "Version", "AWSAccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "Timestamp", "Expires":
		return true
	}
	return strings.HasPrefix(k, "X-Amz-")
}

// maxQueryDepth bounds how deeply dotted names nest (the deepest real one,
// SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue, has 6 parts).
const maxQueryDepth = 8

// formNode is a dotted form name's tree: a value, or members by the next
// part of the name.
type formNode struct {
	value    string
	hasValue bool
	kids     map[string]*formNode
}

func (n *formNode) kid(k string) *formNode {
	if n.kids == nil {
		n.kids = map[string]*formNode{}
	}
	c := n.kids[k]
	if c == nil {
		c = &formNode{}
		n.kids[k] = c
	}
	return c
}

// decodeQueryRequest reads a query protocol request from the URL's raw
// query and the form body. A parameter given more than once keeps its
// first value, the URL's before the body's, as url.Values.Get reads it.
func decodeQueryRequest(rawQuery string, body []byte) (string, map[string]any, error) {
	root := &formNode{}
	action, actionSet := "", false
	var badName error
	add := func(k, v string) {
		if k == "Action" && !actionSet {
			action, actionSet = v, true
		}
		if badName != nil || queryIgnored(k) {
			return
		}
		if strings.Count(k, ".") >= maxQueryDepth {
			badName = invalid("parameter name %q nests too deeply", k)
			return
		}
		n := root
		for p := range strings.SplitSeq(k, ".") {
			if p == "" {
				badName = invalid("malformed parameter name %q", k)
				return
			}
			n = n.kid(p)
		}
		if !n.hasValue {
			n.value, n.hasValue = v, true
		}
	}
	if err := parseForm(rawQuery, add); err != nil {
		return "", nil, fail(errMalformedQueryString, "malformed query string: %v", err)
	}
	if err := parseForm(string(body), add); err != nil {
		return "", nil, fail(errMalformedQueryString, "malformed form body: %v", err)
	}
	if action == "" {
		return "", nil, missing("Action")
	}
	if badName != nil {
		return action, nil, badName
	}
	params, err := root.object()
	if err != nil {
		return action, nil, err
	}
	if action == "CreateQueue" {
		// CreateQueue's tags member is spelled in lower case in the model.
		if t, ok := params["Tags"]; ok {
			delete(params, "Tags")
			params["tags"] = t
		}
	}
	return action, params, nil
}

// parseForm calls fn with each name and value of an URL-encoded form, in
// order, as url.ParseQuery reads them (and with its errors), without
// building its map: names and values without escapes are slices of s.
func parseForm(s string, fn func(k, v string)) error {
	var first error
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		if strings.Contains(pair, ";") {
			if first == nil {
				first = errors.New("invalid semicolon separator in query")
			}
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err := formUnescape(k)
		if err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		v, err = formUnescape(v)
		if err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		fn(k, v)
	}
	return first
}

// formUnescape is url.QueryUnescape in one pass (it counts, then copies);
// a malformed escape is left to url.QueryUnescape for its error.
func formUnescape(s string) (string, error) {
	if !strings.ContainsAny(s, "%+") {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for rest := s; rest != ""; {
		i := strings.IndexAny(rest, "%+")
		if i < 0 {
			b = append(b, rest...)
			break
		}
		b = append(b, rest[:i]...)
		if rest[i] == '+' {
			b = append(b, ' ')
			rest = rest[i+1:]
			continue
		}
		if i+2 >= len(rest) || !isHex(rest[i+1]) || !isHex(rest[i+2]) {
			return url.QueryUnescape(s)
		}
		b = append(b, unhex(rest[i+1])<<4|unhex(rest[i+2]))
		rest = rest[i+3:]
	}
	return string(b), nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// object converts n's members to the JSON shape.
func (n *formNode) object() (map[string]any, error) {
	out := map[string]any{}
	for k, c := range n.kids {
		if m, ok := queryMaps[k]; ok {
			v, err := c.flatMap(k, m.key, m.value)
			if err != nil {
				return nil, err
			}
			out[m.member] = v
			continue
		}
		if member, ok := queryLists[k]; ok {
			v, err := c.list(k)
			if err != nil {
				return nil, err
			}
			out[member] = v
			continue
		}
		v, err := c.any()
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// any is a member's value: its text, or an object of its members.
func (n *formNode) any() (any, error) {
	if n.hasValue {
		if len(n.kids) > 0 {
			return nil, invalid("parameter is both a value and a structure")
		}
		return n.value, nil
	}
	return n.object()
}

// indexed returns n's members numbered 1, 2, ... in order.
func (n *formNode) indexed(name string) ([]*formNode, error) {
	if n.hasValue {
		return nil, invalid("parameter %s needs an index (%s.1)", name, name)
	}
	type item struct {
		i int
		n *formNode
	}
	items := make([]item, 0, len(n.kids))
	for k, c := range n.kids {
		i, err := strconv.Atoi(k)
		if err != nil || i < 1 || strconv.Itoa(i) != k {
			return nil, invalid("parameter %s.%s: the index must be a positive integer", name, k)
		}
		items = append(items, item{i, c})
	}
	slices.SortFunc(items, func(a, b item) int { return a.i - b.i })
	out := make([]*formNode, len(items))
	for i, it := range items {
		out[i] = it.n
	}
	return out, nil
}

func (n *formNode) list(name string) ([]any, error) {
	items, err := n.indexed(name)
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(items))
	for _, c := range items {
		v, err := c.any()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (n *formNode) flatMap(name, key, value string) (map[string]any, error) {
	items, err := n.indexed(name)
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(items))
	for _, c := range items {
		k := c.kids[key]
		if k == nil || !k.hasValue {
			return nil, invalid("%s.N.%s is missing", name, key)
		}
		var v any = ""
		if vn := c.kids[value]; vn != nil {
			if v, err = vn.any(); err != nil {
				return nil, err
			}
		}
		out[k.value] = v
	}
	return out, nil
}

// xmlNames are how output members are written in XML: a list or map
// member becomes repeated elements of this name (maps as Name/Value or
// Key/Value pairs).
var xmlNames = map[string]string{
	"QueueUrls":         "QueueUrl",
	"queueUrls":         "QueueUrl",
	"Messages":          "Message",
	"Failed":            "BatchResultErrorEntry",
	"Results":           "ListMessageMoveTasksResultEntry",
	"Attributes":        "Attribute",
	"MessageAttributes": "MessageAttribute",
	"Tags":              "Tag",
}

// writeXML writes result res of action as the query protocol's answer.
// The writers below build it with plain appends rather than fmt, and
// copy text that needs no escaping as it is: on ReceiveMessage's ten
// bodies this was a tenth of the server's time.
func writeXML(w http.ResponseWriter, action string, res map[string]any, reqID string) {
	buf := getBuffer()
	defer putBuffer(buf)
	b := bytes.NewBuffer(*buf)
	defer func() { *buf = b.Bytes()[:0] }()
	b.WriteString(`<?xml version="1.0"?>` + "\n<")
	b.WriteString(action)
	b.WriteString(`Response xmlns="` + xmlNS + `">`)
	if len(res) > 0 {
		xmlOpen(b, action+"Result")
		writeXMLMembers(b, action, res)
		xmlClose(b, action+"Result")
	}
	b.WriteString("<ResponseMetadata><RequestId>")
	b.WriteString(reqID)
	b.WriteString("</RequestId></ResponseMetadata></")
	b.WriteString(action)
	b.WriteString("Response>")
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("x-amzn-RequestId", reqID)
	// With its length given, net/http writes the answer in one piece
	// instead of chunking what passes its 4 KiB buffer.
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(b.Bytes())
}

func xmlOpen(b *bytes.Buffer, name string) {
	b.WriteByte('<')
	b.WriteString(name)
	b.WriteByte('>')
}

func xmlClose(b *bytes.Buffer, name string) {
	b.WriteString("</")
	b.WriteString(name)
	b.WriteByte('>')
}

// xmlText writes s escaped as xml.EscapeText escapes it. Printable ASCII
// without the five special characters is copied as it is.
func xmlText(b *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		if !xmlPlain[s[i]] {
			xml.EscapeText(b, []byte(s))
			return
		}
	}
	b.WriteString(s)
}

// xmlPlain marks the bytes xmlText copies as they are.
var xmlPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = true
	}
	for _, c := range `<>&'"` {
		t[c] = false
	}
	return t
}()

func writeXMLMembers(b *bytes.Buffer, action string, m map[string]any) {
	for _, k := range sortedKeys(m) {
		v := m[k]
		name := k
		if n, ok := xmlNames[k]; ok {
			name = n
		} else if k == "Successful" {
			name = action + "ResultEntry"
		}
		switch v := v.(type) {
		case []any:
			for _, item := range v {
				writeXMLElement(b, action, name, item)
			}
		case []string:
			for _, item := range v {
				writeXMLElement(b, action, name, item)
			}
		case []map[string]any:
			for _, item := range v {
				writeXMLElement(b, action, name, item)
			}
		case map[string]any:
			if name == k { // a structure
				writeXMLElement(b, action, name, v)
				continue
			}
			writeXMLEntries(b, action, name, k, v)
		case map[string]string:
			m := make(map[string]any, len(v))
			for x, y := range v {
				m[x] = y
			}
			writeXMLEntries(b, action, name, k, m)
		default:
			writeXMLElement(b, action, name, v)
		}
	}
}

// writeXMLEntries writes map v (member k) as SQS writes a map: one
// element name per entry, holding the entry's key (<Key> for Tags, <Name>
// otherwise) and its <Value>, sorted by key.
func writeXMLEntries(b *bytes.Buffer, action, name, k string, v map[string]any) {
	keyName := "Name"
	if k == "Tags" {
		keyName = "Key"
	}
	for _, x := range sortedKeys(v) {
		xmlOpen(b, name)
		xmlOpen(b, keyName)
		xmlText(b, x)
		xmlClose(b, keyName)
		writeXMLElement(b, action, "Value", v[x])
		xmlClose(b, name)
	}
}

func writeXMLElement(b *bytes.Buffer, action, name string, v any) {
	xmlOpen(b, name)
	switch v := v.(type) {
	case map[string]any:
		writeXMLMembers(b, action, v)
	case string:
		xmlText(b, v)
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case int:
		b.WriteString(strconv.Itoa(v))
	default:
		xmlText(b, fmt.Sprint(v))
	}
	xmlClose(b, name)
}

func writeXMLError(w http.ResponseWriter, e *apiError, reqID string) {
	var b bytes.Buffer
	fault := "Sender"
	if e.status >= 500 {
		fault = "Receiver"
	}
	fmt.Fprintf(&b, `<?xml version="1.0"?>`+"\n"+`<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>`, xmlNS, fault)
	xml.EscapeText(&b, []byte(e.code))
	b.WriteString("</Code><Message>")
	xml.EscapeText(&b, []byte(e.msg))
	fmt.Fprintf(&b, "</Message><Detail/></Error><RequestId>%s</RequestId></ErrorResponse>", reqID)
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("x-amzn-RequestId", reqID)
	w.WriteHeader(e.status)
	w.Write(b.Bytes())
}
