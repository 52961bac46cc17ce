// Package deploy holds what runs contactd in production: the systemd unit,
// Prometheus alert rules and a Grafana dashboard. Its test keeps them in
// step with the metrics the code exports.
package deploy

import (
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	metricRef  = regexp.MustCompile(`contactd_[a-z_]+`)
	metricName = regexp.MustCompile(`"(contactd_[a-z_]+)"`)
)

// exported lists the metric names the code registers.
func exported(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	err := filepath.WalkDir("../internal", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range metricName.FindAllStringSubmatch(string(b), -1) {
			names[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !names["contactd_calls_total"] || !names["contactd_queue_wait_seconds"] {
		t.Fatalf("found metrics %v, want the code's (is the scan broken?)", names)
	}
	return names
}

// checkRefs fails for every metric text refers to that the code lacks.
func checkRefs(t *testing.T, what, text string, names map[string]bool) {
	t.Helper()
	for _, ref := range metricRef.FindAllString(text, -1) {
		base := ref
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			base = strings.TrimSuffix(base, suf)
		}
		if !names[ref] && !names[base] {
			t.Errorf("%s uses %s, which contactd does not export", what, ref)
		}
	}
}

func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("promtool not found: CI must install it (apt-get install -y prometheus)")
	}
	t.Skip("promtool not found (apt-get install -y prometheus)")
	return ""
}

func TestAlertRules(t *testing.T) {
	b, err := os.ReadFile("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	checkRefs(t, "alerts.yml", string(b), exported(t))
	bin := promtool(t)
	for _, args := range [][]string{{"check", "rules", "alerts.yml"}, {"test", "rules", "alerts_test.yml"}} {
		cmd := exec.Command(bin, args...)
		cmd.Dir = "prometheus"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

func TestGrafanaDashboard(t *testing.T) {
	b, err := os.ReadFile("grafana/contactd.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Title  string `json:"title"`
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("contactd.json: %v", err)
	}
	if d.UID == "" || len(d.Panels) < 10 {
		t.Fatalf("dashboard: got uid %q and %d panels, want a uid and the panels", d.UID, len(d.Panels))
	}
	names := exported(t)
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q: no query", p.Title)
		}
		for _, q := range p.Targets {
			checkRefs(t, "panel "+p.Title, q.Expr, names)
		}
	}
}

func TestSystemdUnit(t *testing.T) {
	b, err := os.ReadFile("contactd.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(b)
	for _, want := range []string{"[Service]", "ExecStart=/usr/local/bin/contactd serve -config ", "KillSignal=SIGTERM", "User=contactd", "[Install]"} {
		if !strings.Contains(unit, want) {
			t.Errorf("contactd.service: missing %q", want)
		}
	}
	if p, err := exec.LookPath("systemd-analyze"); err == nil {
		// verify wants the binary at its path; only a syntax check here.
		out, _ := exec.Command(p, "verify", "contactd.service").CombinedOutput()
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, "Unknown key") || strings.Contains(line, "Unknown section") {
				t.Errorf("systemd-analyze: %s", line)
			}
		}
	}
}
