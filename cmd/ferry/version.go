package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// version and commit may be set at link time:
//
//	go build -ldflags "-X main.version=v0.2.0 -X main.commit=$(git rev-parse HEAD)" ./cmd/ferry
//
// Otherwise they come from the build information the go command embeds
// (the module version and, when built in a git checkout, the revision).
var (
	version = ""
	commit  = ""
)

// versionLine is what "ferry version" prints, such as
// "ferry v0.2.0 (commit 3286b4ca4a95, go1.26.8 linux/amd64)".
func versionLine() string {
	info, _ := debug.ReadBuildInfo()
	v, c, modified := resolveVersion(version, commit, info)
	if modified {
		c += ", modified"
	}
	return fmt.Sprintf("ferry %s (commit %s, %s %s/%s)", v, c, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// resolveVersion prefers link-time values and falls back to build info;
// what neither gives is reported as "devel" or "unknown" rather than left
// empty.
func resolveVersion(linkVersion, linkCommit string, info *debug.BuildInfo) (v, c string, modified bool) {
	v, c = linkVersion, linkCommit
	if info != nil {
		if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if c == "" {
					c = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true" && linkCommit == ""
			}
		}
	}
	if v == "" {
		v = "devel"
	}
	if c == "" {
		c = "unknown"
	}
	if len(c) > 12 && !strings.ContainsAny(c, " ") {
		c = c[:12]
	}
	return v, c, modified
}
