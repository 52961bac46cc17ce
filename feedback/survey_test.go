package feedback

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestScales(t *testing.T) {
	tests := []struct {
		name     string
		scale    Scale
		min, max int
	}{
		{"1-5", Scale1to5, 1, 5},
		{"1-10", Scale1to10, 1, 10},
		{"0-10", Scale0to10, 0, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseScale(tt.name)
			if err != nil || got != tt.scale {
				t.Fatalf("got %v %v, want %v nil", got, err, tt.scale)
			}
			if got.String() != tt.name || got.Min() != tt.min || got.Max() != tt.max {
				t.Errorf("got %v %d..%d, want %v %d..%d", got, got.Min(), got.Max(), tt.name, tt.min, tt.max)
			}
		})
	}
	if _, err := ParseScale("1-7"); err == nil {
		t.Errorf("got nil error for 1-7, want one")
	}
	var zero Scale
	if zero != Scale1to5 {
		t.Errorf("got zero scale %v, want %v", zero, Scale1to5)
	}
}

func TestAnswerJSON(t *testing.T) {
	r := Result{
		Answers: []Answer{{Question: "nps", Scale: Scale0to10, Score: 9, At: t0}},
		Comment: &CommentRef{RecordingID: "r1", Length: time.Second},
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"answers":[{"question":"nps","scale":"0-10","score":9,"skipped":false,"at":"2026-03-02T10:00:00Z"}],"comment":{"recording_id":"r1","length_ms":1000},"completed":false,"skipped":false}`
	if string(b) != want {
		t.Errorf("got %v, want %v", string(b), want)
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil || back.Answers[0].Scale != Scale0to10 || *back.Comment != *r.Comment {
		t.Errorf("got %+v %v, want the scale and comment back", back, err)
	}
}

func TestWithDefaults(t *testing.T) {
	sv := &Survey{
		Questions: []Question{{ID: "a"}, {ID: "b", Retries: NoRetries, Timeout: time.Second}},
		Comment:   &Comment{},
	}
	d := sv.WithDefaults()
	got := fmt.Sprintf("%v %v %d | %v %d | %v %c", d.Questions[0].Timeout, d.Questions[0].InterDigitTimeout, d.Questions[0].Retries,
		d.Questions[1].Timeout, d.Questions[1].Retries, d.Comment.MaxLength, d.Comment.Key)
	if want := "5s 2s 1 | 1s -1 | 30s #"; got != want {
		t.Errorf("got %v, want %v", got, want)
	}
	if sv.Questions[0].Timeout != 0 || sv.Comment.Key != 0 {
		t.Errorf("got the original changed: %+v %+v, want it untouched", sv.Questions[0], sv.Comment)
	}
	again := d.WithDefaults()
	if again.Questions[1].Retries != NoRetries || again.Questions[0].Retries != 1 {
		t.Errorf("got %+v on a second WithDefaults, want the same values", again.Questions)
	}
}

func TestValidate(t *testing.T) {
	ok := func() *Survey { return survey3() }
	tests := []struct {
		name string
		edit func(*Survey)
		want string // error messages joined by "; "
	}{
		{"valid", func(*Survey) {}, ""},
		{"no questions", func(s *Survey) { s.Questions = nil }, "questions: at least one question is needed"},
		{"empty id", func(s *Survey) { s.Questions[1].ID = "" }, "questions[1].id: must not be empty"},
		{"duplicate id", func(s *Survey) { s.Questions[2].ID = "csat" }, `questions[2].id: "csat" is already the id of questions[0]`},
		{"negative retries", func(s *Survey) { s.Questions[0].Retries = -2 }, "questions[0].retries: must be >= 0, got -2"},
		{"negative timeout", func(s *Survey) { s.Questions[0].Timeout = -time.Second }, "questions[0].timeout: must be > 0, got -1s"},
		{"negative inter-digit timeout", func(s *Survey) { s.Questions[1].InterDigitTimeout = -1 }, "questions[1].inter_digit_timeout: must be > 0, got -1ns"},
		{"unknown scale", func(s *Survey) { s.Questions[0].Scale = 7 }, "questions[0].scale: unknown scale 7"},
		{"two alert questions", func(s *Survey) { s.Questions[0].Alert, s.Questions[2].Alert = true, true }, "questions: 2 questions are marked alert, at most one may be"},
		{"negative threshold", func(s *Survey) { s.AlertAtOrBelow = -1 }, "alert_at_or_below: must be >= 0 (0: no alerts), got -1"},
		{"threshold alerts on everything", func(s *Survey) { s.AlertAtOrBelow = 5 }, `alert_at_or_below: 5 would alert on every answer to "csat" (scale 1-5)`},
		{"threshold on the marked question", func(s *Survey) { s.AlertAtOrBelow = 6; s.Questions[2].Alert = true }, ""},
		{"comment length", func(s *Survey) { s.Comment.MaxLength = -time.Second }, "comment.max_length: must be > 0, got -1s"},
		{"comment key", func(s *Survey) { s.Comment.Key = 'x' }, `comment.key: 'x' is not a keypad key`},
		{"several problems", func(s *Survey) { s.Questions[0].ID = ""; s.Questions[1].Retries = -5 },
			"questions[0].id: must not be empty; questions[1].retries: must be >= 0, got -5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ok()
			tt.edit(s)
			var msgs []string
			for _, err := range s.Validate() {
				msgs = append(msgs, err.Error())
			}
			if got := strings.Join(msgs, "; "); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
