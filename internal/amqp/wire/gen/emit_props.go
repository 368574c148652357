package main

import (
	"fmt"
	"strings"
)

// propertyClass returns the one class with content properties (basic).
func propertyClass(m *model) (*class, error) {
	var found *class
	for _, c := range m.Classes {
		if len(c.Properties) == 0 {
			continue
		}
		if found != nil {
			return nil, fmt.Errorf("classes %s and %s both have properties; message.Properties holds one class's", found.Name, c.Name)
		}
		found = c
	}
	if found == nil {
		return nil, fmt.Errorf("no class has content properties")
	}
	if len(found.Properties) > 15 {
		return nil, fmt.Errorf("class %s has %d properties; more than 15 need a second flags word, which this generator does not write", found.Name, len(found.Properties))
	}
	for _, p := range found.Properties {
		if p.Type == "bit" {
			return nil, fmt.Errorf("property %s is a bit; this generator does not support bit properties", p.Name)
		}
	}
	return found, nil
}

// emitSamples writes test data: every method twice with every field set
// (once with all bits set, once with alternate bits), and the property
// bits the spec assigns, to check message's flag constants against.
func emitSamples(m *model, src string) (*file, error) {
	c, err := propertyClass(m)
	if err != nil {
		return nil, err
	}
	f := &file{}
	f.header(src, "github.com/ferrymq/ferry/internal/message")
	f.p("// sampleMethods returns every method twice, each field set to a value")
	f.p("// that is not zero: once with all bits set, once with alternate bits.")
	f.p("func sampleMethods() []Method {")
	f.p("return []Method{")
	for _, cl := range m.Classes {
		for _, me := range cl.Methods {
			for variant := range 2 {
				var vals []string
				pos := bitGroups(me.Fields)
				for i, fl := range me.Fields {
					vals = append(vals, fmt.Sprintf("%s: %s", fl.GoName, sampleValue(fl, 1+i+16*variant, variant, pos[i])))
				}
				f.p("&%s{%s},", me.GoName, strings.Join(vals, ", "))
			}
		}
	}
	f.p("}")
	f.p("}")
	f.p("")
	f.p("// propertyBits pairs message's flag for each %s property with the bit", c.Name)
	f.p("// the spec gives it (bit 15 for the first).")
	f.p("var propertyBits = []struct {")
	f.p("name       string")
	f.p("flag, want uint16")
	f.p("}{")
	for i, pr := range c.Properties {
		f.p("{%q, message.Flag%s, 1 << %d},", pr.Name, pr.GoName, 15-i)
	}
	f.p("}")
	return f, nil
}

// sampleValue is a Go expression for a non-zero value of fl.
func sampleValue(fl *field, n, variant, bitPos int) string {
	switch fl.Type {
	case "bit":
		return fmt.Sprint(variant == 0 || bitPos%2 == 0)
	case "octet":
		return fmt.Sprint(n)
	case "short":
		return fmt.Sprintf("%#x", 0x0101*n)
	case "long":
		return fmt.Sprintf("%#x", 0x01010101*n)
	case "longlong", "timestamp":
		return fmt.Sprintf("%#x", uint64(0x0101010101010101)*uint64(n))
	case "shortstr":
		return fmt.Sprintf("%q", fmt.Sprintf("%s-%d", fl.Name, variant))
	case "longstr":
		return fmt.Sprintf("%q", fmt.Sprintf("%s\x00\xff-%d", fl.Name, variant))
	case "table":
		return fmt.Sprintf("message.Table{{Key: %q, Value: int32(%d)}}", fl.Name, n)
	}
	panic("sampleValue: type " + fl.Type)
}
