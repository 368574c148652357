// Command gen writes the AMQP 0-9-1 method codec of package wire from
// RabbitMQ's machine-readable spec (amqp-rabbitmq-0.9.1.json), and checks
// that spec against the spec XML before it does.
//
// It is run by `go generate` in internal/amqp/wire (see doc.go there):
//
//	go run ./gen -spec SPEC.json [-check SPEC.xml] [-out DIR]
//
// It writes constants_gen.go (frame constants, reply codes, class and
// method ids), methods_gen.go (one struct per method with Read, Append and
// the dispatcher) and methods_sample_gen_test.go (test values for every
// method, and the spec's property bits, which a test checks package
// message's one basic-properties codec against). Output is
// deterministic: the same spec gives the same bytes, so a test can tell
// when committed files are stale.
package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
)

func main() {
	specPath := flag.String("spec", "", "RabbitMQ's amqp-rabbitmq-0.9.1.json")
	checkPath := flag.String("check", "", "optional spec XML to cross-check the wire layout against")
	outDir := flag.String("out", ".", "directory to write the generated files to")
	flag.Parse()
	if *specPath == "" {
		fmt.Fprintln(os.Stderr, "usage: gen -spec SPEC.json [-check SPEC.xml] [-out DIR]")
		os.Exit(2)
	}
	if err := run(*specPath, *checkPath, *outDir); err != nil {
		slog.Error("generate AMQP codec", "err", err)
		os.Exit(1)
	}
}

// run generates every file into outDir.
func run(specPath, checkPath, outDir string) error {
	files, err := generate(specPath, checkPath)
	if err != nil {
		return err
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(outDir, name), src, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// generate returns the generated files by name.
func generate(specPath, checkPath string) (map[string][]byte, error) {
	raw, err := os.ReadFile(specPath)
	if err != nil {
		return nil, err
	}
	m, err := loadJSON(specPath)
	if err != nil {
		return nil, err
	}
	if checkPath != "" {
		onlyJSON, err := checkXML(m, checkPath)
		if err != nil {
			return nil, err
		}
		slog.Info("spec XML agrees on every shared method", "xml", filepath.Base(checkPath), "json_only", onlyJSON)
	}
	src := fmt.Sprintf("%s (AMQP %s, sha256 %x)", filepath.Base(specPath), m.Version, sha256.Sum256(raw))

	samples, err := emitSamples(m, src)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for name, f := range map[string]*file{
		"constants_gen.go":           emitConstants(m, src),
		"methods_gen.go":             emitMethods(m, src),
		"methods_sample_gen_test.go": samples,
	} {
		b, err := f.formatted()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = b
	}
	return out, nil
}
