package loadgen

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// scanXML walks an XML document and calls fn as each element closes,
// with the local names (namespace prefixes dropped) of the open elements
// from the root down to it and the element's own character data,
// entities and character references decoded, CDATA included, line ends
// normalized to "\n" as XML 1.0 §2.11 asks. For an element with
// children, text is only what follows its last child.
//
// It is the load tool's reader of query protocol answers, in place of
// encoding/xml's reflection decoder, which took a quarter of the tool's
// CPU at a few thousand ReceiveMessage answers a second, on the same
// cores as the broker under test. It reads what SQS servers write
// (elements, attributes, text, the XML declaration, comments, CDATA) and
// refuses what it does not understand rather than guess: a document type
// declaration, unbalanced tags, an unknown entity.
func scanXML(data []byte, fn func(path []string, text string)) error {
	var path []string
	var text []byte
	i := 0
	for i < len(data) {
		lt := bytes.IndexByte(data[i:], '<')
		if lt < 0 {
			lt = len(data) - i
		}
		if lt > 0 {
			var err error
			if text, err = appendXMLText(text, data[i:i+lt]); err != nil {
				return err
			}
			i += lt
			continue
		}
		rest := data[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<?")):
			end := bytes.Index(rest, []byte("?>"))
			if end < 0 {
				return fmt.Errorf("xml: unterminated processing instruction")
			}
			i += end + 2
		case bytes.HasPrefix(rest, []byte("<!--")):
			end := bytes.Index(rest[4:], []byte("-->"))
			if end < 0 {
				return fmt.Errorf("xml: unterminated comment")
			}
			i += 4 + end + 3
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			end := bytes.Index(rest[9:], []byte("]]>"))
			if end < 0 {
				return fmt.Errorf("xml: unterminated CDATA section")
			}
			text = appendXMLLines(text, rest[9:9+end])
			i += 9 + end + 3
		case bytes.HasPrefix(rest, []byte("<!")):
			return fmt.Errorf("xml: declarations are not supported")
		case bytes.HasPrefix(rest, []byte("</")):
			end := bytes.IndexByte(rest, '>')
			if end < 0 {
				return fmt.Errorf("xml: unterminated end tag")
			}
			name := localName(strings.TrimSpace(string(rest[2:end])))
			if len(path) == 0 || path[len(path)-1] != name {
				return fmt.Errorf("xml: unexpected end tag </%s>", name)
			}
			fn(path, string(text))
			path = path[:len(path)-1]
			text = text[:0]
			i += end + 1
		default:
			end, selfClosing, err := tagEnd(rest)
			if err != nil {
				return err
			}
			tag := rest[1:end]
			if selfClosing {
				tag = tag[:len(tag)-1]
			}
			n := bytes.IndexAny(tag, " \t\r\n")
			if n < 0 {
				n = len(tag)
			}
			if n == 0 {
				return fmt.Errorf("xml: tag without a name")
			}
			path = append(path, localName(string(tag[:n])))
			text = text[:0]
			if selfClosing {
				fn(path, "")
				path = path[:len(path)-1]
			}
			i += end + 1
		}
	}
	if len(path) > 0 {
		return fmt.Errorf("xml: element <%s> is not closed", path[len(path)-1])
	}
	return nil
}

// tagEnd finds the '>' that ends the start tag at the beginning of b,
// skipping quoted attribute values, and says whether it is "/>".
func tagEnd(b []byte) (end int, selfClosing bool, err error) {
	var quote byte
	for j := 1; j < len(b); j++ {
		c := b[j]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return j, b[j-1] == '/', nil
		}
	}
	return 0, false, fmt.Errorf("xml: unterminated start tag")
}

func localName(name string) string {
	if i := strings.IndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// appendXMLText appends character data s with its references decoded.
func appendXMLText(dst, s []byte) ([]byte, error) {
	for len(s) > 0 {
		amp := bytes.IndexByte(s, '&')
		if amp < 0 {
			return appendXMLLines(dst, s), nil
		}
		dst = appendXMLLines(dst, s[:amp])
		s = s[amp:]
		semi := bytes.IndexByte(s, ';')
		if semi < 0 {
			return dst, fmt.Errorf("xml: unterminated entity reference")
		}
		ref := string(s[1:semi])
		switch ref {
		case "lt":
			dst = append(dst, '<')
		case "gt":
			dst = append(dst, '>')
		case "amp":
			dst = append(dst, '&')
		case "quot":
			dst = append(dst, '"')
		case "apos":
			dst = append(dst, '\'')
		default:
			num, ok := strings.CutPrefix(ref, "#")
			if !ok {
				return dst, fmt.Errorf("xml: unknown entity &%s;", ref)
			}
			base := 10
			if hex, ok := strings.CutPrefix(num, "x"); ok {
				num, base = hex, 16
			}
			r, err := strconv.ParseUint(num, base, 32)
			if err != nil || !utf8.ValidRune(rune(r)) {
				return dst, fmt.Errorf("xml: bad character reference &%s;", ref)
			}
			dst = utf8.AppendRune(dst, rune(r))
		}
		s = s[semi+1:]
	}
	return dst, nil
}

// appendXMLLines appends s with "\r\n" and lone "\r" made "\n".
func appendXMLLines(dst, s []byte) []byte {
	for {
		cr := bytes.IndexByte(s, '\r')
		if cr < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:cr]...)
		dst = append(dst, '\n')
		s = s[cr+1:]
		if len(s) > 0 && s[0] == '\n' {
			s = s[1:]
		}
	}
}
