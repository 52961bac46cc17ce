package ivr

import (
	"strings"
	"testing"
)

const labelled = `
routes:
  - {number: "*", menu: main}
menus:
  main:
    greeting: hi.wav
    options:
      "1": {menu: billing, label: billing}
      "2": {play: hours.wav, then: hangup, label: opening_hours}
      "3": {queue: support}
  billing:
    greeting: billing.wav
    options:
      "1": {queue: support, label: billing_dispute}
      "2": {queue: support}
`

// A call's reason is the label of the last labelled action it reached;
// an unlabelled action keeps the label it had.
func TestReasonIsTheLastLabel(t *testing.T) {
	cfg := mustConfig(t, labelled)
	tests := []struct {
		keys string
		want string
	}{
		{"2", "opening_hours"},
		{"11", "billing_dispute"},
		{"12", "billing"},
		{"3", ""},
	}
	for _, tt := range tests {
		s := NewSession(cfg, "main", nil)
		s.Handle(Started{Now: sec(0)})
		for i, k := range []byte(tt.keys) {
			s.Handle(Digit{Now: sec(float64(i + 1)), Digit: k})
		}
		if got := s.Reason(); got != tt.want {
			t.Errorf("keys %s: got reason %q, want %q", tt.keys, got, tt.want)
		}
	}
}

func TestBadLabel(t *testing.T) {
	_, errs := decodeString(t, strings.Replace(labelled, "label: billing}", "label: \"two words\"}", 1))
	if len(errs) != 1 || !strings.Contains(errs[0].Problem, "invalid label") || errs[0].Line != 8 {
		t.Errorf("got %v, want one invalid label problem at line 8", errs)
	}
}
