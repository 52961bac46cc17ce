package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestCheckReportsFileLineAndField(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"check", "-config", "testdata/bad.yaml"}, &out, &errb)
	if code != 1 {
		t.Fatalf("got exit code %d, want 1; stderr:\n%s", code, errb.String())
	}
	got := errb.String()
	for _, want := range []string{
		"testdata/bad.yaml:2: sip.listen: ",
		"testdata/bad.yaml:3: sip.transports[1]: unknown transport \"sctp\"",
		"testdata/bad.yaml:5: media.rtp_ports: ",
		"testdata/bad.yaml:6: rtp_timout: unknown field",
		"testdata/bad.yaml:17: menus.main.options.1",
		"testdata/bad.yaml:18: menus.main.options.2",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("stderr lacks %q; got:\n%s", want, got)
		}
	}
	if i, j := strings.Index(got, "bad.yaml:2:"), strings.Index(got, "bad.yaml:6:"); i < 0 || j < i {
		t.Errorf("problems not in line order:\n%s", got)
	}
	errb.Reset()
	if code := run([]string{"check", "-config", "testdata/bad-duration.yaml"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "testdata/bad-duration.yaml:6: menus.main.timeout: invalid duration") {
		t.Errorf("got %d %q, want exit 1 naming line 6 and menus.main.timeout", code, errb.String())
	}
}

func TestCheckReportsBadPrompts(t *testing.T) {
	// A config with only prompt problems gets as far as checking them.
	var out, errb bytes.Buffer
	code := run([]string{"check", "-config", "testdata/badprompts.yaml"}, &out, &errb)
	if code != 1 {
		t.Fatalf("got exit code %d, want 1; stderr:\n%s", code, errb.String())
	}
	got := errb.String()
	for _, want := range []string{
		"testdata/badprompts.yaml:9: queues.support.unavailable: ",
		"testdata/badprompts.yaml:12: ",
		"44100 Hz stereo",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("stderr lacks %q; got:\n%s", want, got)
		}
	}
}

// Good files pass, including the demo's own file read from disk, which a
// user copies as a starting point.
func TestCheckAcceptsGoodConfig(t *testing.T) {
	for _, path := range []string{"testdata/good.yaml", "../../internal/demo/contactd.yaml"} {
		var out, errb bytes.Buffer
		if code := run([]string{"check", "-config", path}, &out, &errb); code != 0 {
			t.Fatalf("%s: got exit code %d, want 0; stderr:\n%s", path, code, errb.String())
		}
		if !strings.Contains(out.String(), path+": ok") {
			t.Errorf("got %q, want an ok line for %s", out.String(), path)
		}
	}
}

func TestUsageAndVersion(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
		wantOut  string
	}{
		{[]string{"version"}, 0, "contactd "},
		{nil, 2, "usage:"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"check"}, 2, "-config FILE is required"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := run(tt.args, &out, &errb)
		if code != tt.wantCode || !strings.Contains(out.String()+errb.String(), tt.wantOut) {
			t.Errorf("%v: got %d %q, want %d and %q", tt.args, code, out.String()+errb.String(), tt.wantCode, tt.wantOut)
		}
	}
}
