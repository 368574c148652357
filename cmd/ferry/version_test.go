package main

import (
	"runtime/debug"
	"testing"
)

func TestResolveVersion(t *testing.T) {
	vcs := func(rev, modified string) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}}
	}
	tests := []struct {
		name         string
		linkV, linkC string
		info         *debug.BuildInfo
		wantV, wantC string
		wantModified bool
	}{
		{"nothing known", "", "", nil, "devel", "unknown", false},
		{"link-time values win", "v1.2.3", "abc", vcs("def", "true"), "v1.2.3", "abc", false},
		{"build info revision, clean", "", "", vcs("3286b4ca4a95bb46c7fec75f0caf3199cdf8bd5b", "false"), "devel", "3286b4ca4a95", false},
		{"build info revision, modified", "", "", vcs("3286b4ca4a95bb46", "true"), "devel", "3286b4ca4a95", true},
		{"module version", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.3.0"}}, "v0.3.0", "unknown", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, c, m := resolveVersion(tt.linkV, tt.linkC, tt.info)
			if v != tt.wantV || c != tt.wantC || m != tt.wantModified {
				t.Errorf("resolveVersion = %q, %q, %v; want %q, %q, %v", v, c, m, tt.wantV, tt.wantC, tt.wantModified)
			}
		})
	}
}
