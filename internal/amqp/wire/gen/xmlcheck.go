package main

import (
	"encoding/xml"
	"fmt"
	"os"
	"strings"
)

// The spec XML, as far as the wire layout goes.
type xmlSpec struct {
	Constants []struct {
		Name  string `xml:"name,attr"`
		Value int    `xml:"value,attr"`
		Class string `xml:"class,attr"`
	} `xml:"constant"`
	Domains []struct {
		Name string `xml:"name,attr"`
		Type string `xml:"type,attr"`
	} `xml:"domain"`
	Classes []struct {
		Name    string `xml:"name,attr"`
		Index   int    `xml:"index,attr"`
		Methods []struct {
			Name    string     `xml:"name,attr"`
			Index   int        `xml:"index,attr"`
			Content string     `xml:"content,attr"`
			Fields  []xmlField `xml:"field"`
		} `xml:"method"`
		Fields []xmlField `xml:"field"`
	} `xml:"class"`
}

type xmlField struct {
	Name   string `xml:"name,attr"`
	Domain string `xml:"domain,attr"`
	Type   string `xml:"type,attr"`
}

// checkXML compares the wire layout the model was built from with the spec
// XML (amqp091-go's generator input): ids, whether a method carries
// content, and each argument's and property's wire type, in order. Names
// may differ (the XML calls reserved fields "reserved-1"). It returns the
// methods only the JSON has, for the generator to report.
func checkXML(m *model, path string) (onlyJSON []string, err error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var xs xmlSpec
	if err := xml.Unmarshal(raw, &xs); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	domains := map[string]string{}
	for _, d := range xs.Domains {
		domains[d.Name] = d.Type
	}
	types := func(fs []xmlField) string {
		var ts []string
		for _, f := range fs {
			t := f.Type
			if t == "" {
				t = domains[f.Domain]
			}
			ts = append(ts, t)
		}
		return strings.Join(ts, " ")
	}
	jsonTypes := func(fs []*field) string {
		var ts []string
		for _, f := range fs {
			ts = append(ts, f.Type)
		}
		return strings.Join(ts, " ")
	}

	var problems []string
	seen := map[string]bool{}
	for _, xc := range xs.Classes {
		var c *class
		for _, mc := range m.Classes {
			if mc.Name == xc.Name {
				c = mc
			}
		}
		if c == nil {
			problems = append(problems, fmt.Sprintf("class %s: not in the JSON", xc.Name))
			continue
		}
		if c.ID != xc.Index {
			problems = append(problems, fmt.Sprintf("class %s: id %d in the JSON, %d in the XML", xc.Name, c.ID, xc.Index))
		}
		if a, b := jsonTypes(c.Properties), types(xc.Fields); a != b {
			problems = append(problems, fmt.Sprintf("class %s properties: JSON [%s], XML [%s]", xc.Name, a, b))
		}
		for _, xm := range xc.Methods {
			name := xc.Name + "." + xm.Name
			seen[name] = true
			var me *method
			for _, cm := range c.Methods {
				if cm.Name == xm.Name {
					me = cm
				}
			}
			switch {
			case me == nil:
				problems = append(problems, name+": not in the JSON")
			case me.ID != xm.Index:
				problems = append(problems, fmt.Sprintf("%s: id %d in the JSON, %d in the XML", name, me.ID, xm.Index))
			case me.Content != (xm.Content == "1"):
				problems = append(problems, fmt.Sprintf("%s: content %v in the JSON, %q in the XML", name, me.Content, xm.Content))
			default:
				if a, b := jsonTypes(me.Fields), types(xm.Fields); a != b {
					problems = append(problems, fmt.Sprintf("%s: JSON [%s], XML [%s]", name, a, b))
				}
			}
		}
	}
	for _, c := range m.Classes {
		for _, me := range c.Methods {
			if !seen[c.Name+"."+me.Name] {
				onlyJSON = append(onlyJSON, c.Name+"."+me.Name)
			}
		}
	}
	for _, xc := range xs.Constants {
		found := false
		for _, c := range m.Constants {
			if strings.EqualFold(c.Name, xc.Name) {
				found = true
				if c.Value != xc.Value || c.Class != xc.Class {
					problems = append(problems, fmt.Sprintf("constant %s: JSON %d %q, XML %d %q", xc.Name, c.Value, c.Class, xc.Value, xc.Class))
				}
			}
		}
		if !found {
			problems = append(problems, "constant "+xc.Name+": not in the JSON")
		}
	}
	if len(problems) > 0 {
		return onlyJSON, fmt.Errorf("%s disagrees with the JSON spec:\n  %s", path, strings.Join(problems, "\n  "))
	}
	return onlyJSON, nil
}
