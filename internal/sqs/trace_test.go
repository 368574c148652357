package sqs

import "testing"

func TestXRayToTraceparent(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1", "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01"},
		{"Root=1-5759E988-BD862E3FE1BE46A994272793;Parent=53995C3F42CD8AD8;Sampled=0", "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-00"},
		{"Parent=53995c3f42cd8ad8; Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=?;Lineage=a:1", "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-00"},
		{"Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1", ""},               // no parent
		{"Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8", ""}, // unknown version
		{"Root=1-5759e988-bd862e3fe1be46a99427279;Parent=53995c3f42cd8ad8", ""},  // short
		{"Root=1-5759e98g-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8", ""}, // not hex
		{"Root=1-00000000-000000000000000000000000;Parent=53995c3f42cd8ad8", ""}, // zero trace id
		{"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=0000000000000000", ""}, // zero parent
		{"", ""},
	} {
		got, ok := xrayToTraceparent(tc.in)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("xrayToTraceparent(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
}

func TestTraceparentToXRay(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"},
		{"00-5759E988BD862E3FE1BE46A994272793-53995C3F42CD8AD8-00", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0"},
		{"01-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-03-future", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"},
		{"00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01-extra", ""}, // version 00 has 4 fields
		{"ff-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01", ""},
		{"00-00000000000000000000000000000000-53995c3f42cd8ad8-01", ""},
		{"00-5759e988bd862e3fe1be46a994272793-0000000000000000-01", ""},
		{"00-5759e988bd862e3fe1be46a99427279-53995c3f42cd8ad8-01", ""},
		{"not a traceparent", ""},
	} {
		got, ok := traceparentToXRay(tc.in)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("traceparentToXRay(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
}
