package config_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/contactd/contactd/internal/config"
)

var problemShape = regexp.MustCompile(`^f\.yaml:\d+: \S`)

// Any file either loads or is refused with problems that each name the
// file and a line: never a panic, never an error a person cannot place.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("queues: {support: {strategy: nope}}\n"))
	f.Add([]byte("sip: [1, 2\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := config.Parse(b, "f.yaml", fstest.MapFS{}, nil)
		if err == nil {
			return
		}
		ce, ok := err.(*config.Error)
		if !ok {
			t.Fatalf("got %T %v, want a *config.Error", err, err)
		}
		for _, p := range ce.Problems {
			if !problemShape.MatchString(p) || strings.Contains(p, "\n") {
				t.Fatalf("problem %q is not file:line: field: problem", p)
			}
		}
	})
}
