package main

import (
	"strings"
	"testing"
)

// These tests call run in-process for the commands that never reach
// serve's signal handling.
func TestRunCommands(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     string // must contain
		stderr     string // must contain
		emptyOther bool   // the stream not named must stay empty
	}{
		{"no command", nil, exitUsage, "", "Usage:\n  ferry serve", true},
		{"unknown command", []string{"start"}, exitUsage, "", `unknown command "start"`, true},
		{"help", []string{"help"}, exitOK, "ferry version", "", true},
		{"--help", []string{"--help"}, exitOK, "ferry help [command]", "", true},
		{"help serve", []string{"help", "serve"}, exitOK, "FERRY_SYNC_INTERVAL", "", true},
		{"help version", []string{"help", "version"}, exitOK, "Usage: ferry version", "", true},
		{"help unknown", []string{"help", "start"}, exitUsage, "", `unknown command "start"`, true},
		{"serve -h", []string{"serve", "-h"}, exitOK, "--data-dir DIR", "", true},
		{"serve --help", []string{"serve", "--help"}, exitOK, "a flag beats a FERRY_* variable", "", true},
		{"version", []string{"version"}, exitOK, "ferry ", "", true},
		{"--version", []string{"--version"}, exitOK, "(commit ", "", true},
		{"version extra", []string{"version", "x"}, exitUsage, "", `unexpected argument "x"`, true},
		{"serve bad flag", []string{"serve", "--synk=none"}, exitUsage, "", "did you mean --sync?", true},
		{"serve bad value", []string{"serve", "--segment-size=lots"}, exitUsage, "", `segment-size (from flag --segment-size): invalid size "lots"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			code := run(tt.args, nil, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tt.code, stderr.String())
			}
			check := func(stream, got, want string) {
				if want != "" && !strings.Contains(got, want) {
					t.Errorf("%s lacks %q:\n%s", stream, want, got)
				}
				if want == "" && tt.emptyOther && got != "" {
					t.Errorf("%s should be empty, got:\n%s", stream, got)
				}
			}
			check("stdout", stdout.String(), tt.stdout)
			check("stderr", stderr.String(), tt.stderr)
		})
	}
}
