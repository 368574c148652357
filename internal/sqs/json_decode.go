package sqs

import (
	"encoding/json"
	"fmt"
)

// parseJSONValue reads the one JSON value of data into the shapes that
// encoding/json gives an `any` with UseNumber: map[string]any, []any,
// string, json.Number, bool and nil. It exists because a request body is
// read once per call and encoding/json's Decoder scans each value twice
// (once to find its end, once to unmarshal it) and goes through
// reflection; on a SendMessageBatch of ten 1 KiB bodies that was the
// largest single cost of the JSON protocol. Strings of printable ASCII
// without escapes (message bodies, queue URLs, receipt handles) are cut
// straight from the input; any other string is handed to
// json.Unmarshal, so escapes, surrogate pairs and invalid UTF-8 come out
// exactly as encoding/json makes them. Duplicate object keys keep the
// last value, as with encoding/json. Trailing data after the value is an
// error.
func parseJSONValue(data []byte) (any, error) {
	p := jsonParser{data: data}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(p.data) {
		return nil, errJSONTrailing
	}
	return v, nil
}

// maxJSONDepth bounds how deeply arrays and objects nest: SQS inputs nest
// four levels at most, and the bound keeps a hostile body from growing
// the stack without end.
const maxJSONDepth = 256

// errJSONTrailing is the error of a body with more after its value.
var errJSONTrailing = fmt.Errorf("more than one JSON value")

type jsonParser struct {
	data  []byte
	pos   int
	depth int
}

func (p *jsonParser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// syntax is a syntax error at the parser's position.
func (p *jsonParser) syntax(what string) error {
	if p.pos >= len(p.data) {
		return fmt.Errorf("unexpected end of JSON input (%s)", what)
	}
	return fmt.Errorf("invalid character %q at offset %d (%s)", p.data[p.pos], p.pos, what)
}

func (p *jsonParser) value() (any, error) {
	p.skipSpace()
	if p.pos >= len(p.data) {
		return nil, p.syntax("looking for a value")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		return p.str()
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	}
	return nil, p.syntax("looking for a value")
}

func (p *jsonParser) literal(word string) error {
	if len(p.data)-p.pos < len(word) || string(p.data[p.pos:p.pos+len(word)]) != word {
		return p.syntax("in literal " + word)
	}
	p.pos += len(word)
	return nil
}

func (p *jsonParser) enter() error {
	p.depth++
	if p.depth > maxJSONDepth {
		return fmt.Errorf("JSON nests more than %d levels deep", maxJSONDepth)
	}
	return nil
}

func (p *jsonParser) object() (map[string]any, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	p.pos++ // '{'
	out := map[string]any{}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		p.depth--
		return out, nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.syntax("looking for an object key")
		}
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.syntax("after an object key")
		}
		p.pos++
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out[k] = v
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.syntax("after an object value")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			p.depth--
			return out, nil
		default:
			return nil, p.syntax("after an object value")
		}
	}
}

func (p *jsonParser) array() ([]any, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	p.pos++ // '['
	out := []any{}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		p.depth--
		return out, nil
	}
	for {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.syntax("after an array element")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			p.depth--
			return out, nil
		default:
			return nil, p.syntax("after an array element")
		}
	}
}

// str reads the string literal at the parser's position (its '"').
func (p *jsonParser) str() (string, error) {
	start := p.pos
	i := start + 1
	for i < len(p.data) {
		c := p.data[i]
		if c == '"' {
			p.pos = i + 1
			return string(p.data[start+1 : i]), nil
		}
		if c < 0x20 || c >= 0x80 || c == '\\' {
			break
		}
		i++
	}
	// The slow path: find the closing quote, then let encoding/json read
	// the literal, which checks its escapes and mends its UTF-8.
	for i < len(p.data) {
		c := p.data[i]
		switch {
		case c == '\\':
			i += 2
			continue
		case c < 0x20:
			p.pos = i
			return "", p.syntax("in a string literal")
		case c == '"':
			var s string
			if err := json.Unmarshal(p.data[start:i+1], &s); err != nil {
				return "", err
			}
			p.pos = i + 1
			return s, nil
		}
		i++
	}
	p.pos = len(p.data)
	return "", p.syntax("in a string literal")
}

// number reads a number as JSON's grammar has it and keeps its text.
func (p *jsonParser) number() (json.Number, error) {
	start := p.pos
	i := p.pos
	if p.data[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(p.data) && p.data[i] >= '0' && p.data[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(p.data) && p.data[i] == '0':
		i++
	case digits() == 0:
		p.pos = i
		return "", p.syntax("in a number")
	}
	if i < len(p.data) && p.data[i] == '.' {
		i++
		if digits() == 0 {
			p.pos = i
			return "", p.syntax("after the decimal point of a number")
		}
	}
	if i < len(p.data) && (p.data[i] == 'e' || p.data[i] == 'E') {
		i++
		if i < len(p.data) && (p.data[i] == '+' || p.data[i] == '-') {
			i++
		}
		if digits() == 0 {
			p.pos = i
			return "", p.syntax("in the exponent of a number")
		}
	}
	p.pos = i
	return json.Number(p.data[start:i]), nil
}
