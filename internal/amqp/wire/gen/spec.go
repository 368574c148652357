package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// jsonSpec is the shape of RabbitMQ's amqp-rabbitmq-0.9.1.json.
type jsonSpec struct {
	Major     int         `json:"major-version"`
	Minor     int         `json:"minor-version"`
	Revision  int         `json:"revision"`
	Domains   [][2]string `json:"domains"`
	Constants []struct {
		Name  string `json:"name"`
		Value int    `json:"value"`
		Class string `json:"class"`
	} `json:"constants"`
	Classes []struct {
		ID      int    `json:"id"`
		Name    string `json:"name"`
		Methods []struct {
			ID          int         `json:"id"`
			Name        string      `json:"name"`
			Synchronous bool        `json:"synchronous"`
			Content     bool        `json:"content"`
			Arguments   []jsonField `json:"arguments"`
		} `json:"methods"`
		Properties []jsonField `json:"properties"`
	} `json:"classes"`
}

type jsonField struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Domain string `json:"domain"`
}

// The resolved model the emitters work from.
type (
	constant struct {
		Name, GoName string
		Value        int
		Class        string // "", "soft-error" or "hard-error"
	}
	class struct {
		ID         int
		Name       string
		GoName     string
		Methods    []*method
		Properties []*field
	}
	method struct {
		Class       *class
		ID          int
		Name        string // "publish"
		GoName      string // "BasicPublish"
		Synchronous bool
		Content     bool
		Fields      []*field
	}
	field struct {
		Name   string // spec name, "routing-key"
		Domain string // spec domain, if the field has one
		Type   string // wire type: bit octet short long longlong shortstr longstr table timestamp
		GoName string
	}
	model struct {
		Version   string
		Constants []*constant
		Classes   []*class
	}
)

// goTypes maps each wire type to the Go type of a struct field.
var goTypes = map[string]string{
	"bit":       "bool",
	"octet":     "uint8",
	"short":     "uint16",
	"long":      "uint32",
	"longlong":  "uint64",
	"shortstr":  "string",
	"longstr":   "string",
	"table":     "message.Table",
	"timestamp": "uint64",
}

// fieldRenames gives Go names where the spec's name would not do: "nowait"
// is one word in the JSON but two everywhere else, and access.request's
// "read" and "write" would collide with the Read method every method has.
var fieldRenames = map[string]string{
	"nowait": "NoWait",
	"read":   "ReadAccess",
	"write":  "WriteAccess",
}

// reserved are the names of the Method interface's methods, which no
// field may take.
var reserved = map[string]bool{"Read": true, "Append": true, "ID": true, "Name": true, "HasContent": true, "Synchronous": true}

func loadJSON(path string) (*model, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var js jsonSpec
	if err := json.Unmarshal(raw, &js); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	domains := map[string]string{}
	for _, d := range js.Domains {
		domains[d[0]] = d[1]
	}
	resolve := func(where string, jf jsonField) (*field, error) {
		f := &field{Name: jf.Name, Domain: jf.Domain, Type: jf.Type}
		if f.Type == "" {
			f.Type = domains[jf.Domain]
		}
		if _, ok := goTypes[f.Type]; !ok {
			return nil, fmt.Errorf("%s field %s: unknown type %q (domain %q)", where, jf.Name, f.Type, jf.Domain)
		}
		f.GoName = fieldRenames[jf.Name]
		if f.GoName == "" {
			f.GoName = goName(jf.Name)
		}
		if reserved[f.GoName] {
			return nil, fmt.Errorf("%s field %s: Go name %s collides with a Method method; add a rename", where, jf.Name, f.GoName)
		}
		return f, nil
	}

	m := &model{Version: fmt.Sprintf("%d-%d-%d", js.Major, js.Minor, js.Revision)}
	for _, c := range js.Constants {
		m.Constants = append(m.Constants, &constant{Name: c.Name, GoName: goName(strings.ToLower(c.Name)), Value: c.Value, Class: c.Class})
	}
	for _, jc := range js.Classes {
		c := &class{ID: jc.ID, Name: jc.Name, GoName: goName(jc.Name)}
		for _, jm := range jc.Methods {
			me := &method{Class: c, ID: jm.ID, Name: jm.Name, GoName: c.GoName + goName(jm.Name), Synchronous: jm.Synchronous, Content: jm.Content}
			for _, ja := range jm.Arguments {
				f, err := resolve(c.Name+"."+jm.Name, ja)
				if err != nil {
					return nil, err
				}
				me.Fields = append(me.Fields, f)
			}
			c.Methods = append(c.Methods, me)
		}
		sort.Slice(c.Methods, func(i, j int) bool { return c.Methods[i].ID < c.Methods[j].ID })
		for _, jp := range jc.Properties {
			f, err := resolve(c.Name+" properties", jp)
			if err != nil {
				return nil, err
			}
			c.Properties = append(c.Properties, f)
		}
		m.Classes = append(m.Classes, c)
	}
	sort.Slice(m.Classes, func(i, j int) bool { return m.Classes[i].ID < m.Classes[j].ID })
	return m, nil
}

// goName turns a spec name ("routing-key", "message-id") into an exported
// Go name ("RoutingKey", "MessageID").
func goName(s string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' || r == ' ' }) {
		if w == "id" {
			b.WriteString("ID")
			continue
		}
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}
