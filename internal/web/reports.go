package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/contactd/contactd/feedback"
	"github.com/contactd/contactd/timeline"
)

// Reports reads what queue reports are made of.
type Reports interface {
	ReportRows(ctx context.Context, from, to time.Time) ([]timeline.ReportRow, error)
}

// Scores reads survey scores for reports.
type Scores interface {
	FirstScores(ctx context.Context, since, until time.Time) (map[string]feedback.CallScore, error)
}

// maxReportSpan bounds one report: a year of hours is 8,760 rows a queue.
const maxReportSpan = 366 * 24 * time.Hour

// queueReport answers GET /api/v1/reports/queues?from=&to=&interval=hour|day
// [&tz=Europe/London][&format=csv]: per queue and interval, offered,
// answered, abandoned, ASA, service level, handle time, CSAT and calls by
// reason. from defaults to 24 hours before to, to to now.
func (a *api) queueReport(w http.ResponseWriter, r *http.Request) {
	qs := r.URL.Query()
	to, from := time.Now(), time.Time{}
	for _, p := range []struct {
		key string
		dst *time.Time
	}{{"from", &from}, {"to", &to}} {
		if s := qs.Get(p.key); s != "" {
			t, err := parseTime(s)
			if err != nil {
				writeError(w, http.StatusBadRequest, p.key+" must be RFC 3339 (2026-12-01T00:00:00Z) or a date (2026-12-01)")
				return
			}
			*p.dst = t
		}
	}
	if from.IsZero() {
		from = to.Add(-24 * time.Hour)
	}
	if !from.Before(to) || to.Sub(from) > maxReportSpan {
		writeError(w, http.StatusBadRequest, "want from before to, at most 366 days apart")
		return
	}
	iv := timeline.Interval(qs.Get("interval"))
	switch iv {
	case "":
		iv = timeline.Hourly
	case timeline.Hourly, timeline.Daily:
	default:
		writeError(w, http.StatusBadRequest, "interval must be hour or day")
		return
	}
	loc := time.UTC
	if tz := qs.Get("tz"); tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("unknown time zone %q", tz))
			return
		}
		loc = l
	}
	format := qs.Get("format")
	if format != "" && format != "json" && format != "csv" {
		writeError(w, http.StatusBadRequest, "format must be json or csv")
		return
	}
	ctx := r.Context()
	rows, err := a.opts.Reports.ReportRows(ctx, from, to)
	if err != nil {
		a.log.Error("report rows", "err", err)
		writeError(w, http.StatusInternalServerError, "could not read calls")
		return
	}
	scores := map[string]timeline.Score{}
	if a.opts.Scores != nil {
		// Surveys end after the call leaves the queue: look a day past to.
		fs, err := a.opts.Scores.FirstScores(ctx, from, to.Add(24*time.Hour))
		if err != nil {
			a.log.Error("report scores", "err", err)
			writeError(w, http.StatusInternalServerError, "could not read feedback")
			return
		}
		for id, s := range fs {
			scores[id] = timeline.Score{Satisfied: s.Scale.Satisfied(s.Score)}
		}
	}
	rep := timeline.BuildQueueReport(rows, timeline.ReportOptions{
		From: from, To: to, Interval: iv, Location: loc, Targets: a.opts.SLTargets, Scores: scores,
	})
	if format == "csv" {
		writeReportCSV(w, rep)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"from": from, "to": to, "interval": iv, "rows": rep})
}

// writeReportCSV writes one line per queue and interval; reasons are
// columns of their own (reason:NAME), so a spreadsheet can sum them.
func writeReportCSV(w http.ResponseWriter, rep []timeline.QueueInterval) {
	reasons := map[string]bool{}
	for _, q := range rep {
		for r := range q.ByReason {
			reasons[r] = true
		}
	}
	names := make([]string, 0, len(reasons))
	for r := range reasons {
		names = append(names, r)
	}
	sort.Strings(names)
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="queues.csv"`)
	cw := csv.NewWriter(w)
	head := []string{"start", "queue", "offered", "answered", "abandoned", "asa_seconds", "service_level_pct", "aht_seconds", "csat_pct", "rated"}
	for _, n := range names {
		if n == "" {
			n = "none"
		}
		head = append(head, csvSafe("reason:"+n))
	}
	cw.Write(head)
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
	for _, q := range rep {
		csat := ""
		if q.CSAT != nil {
			csat = f(*q.CSAT)
		}
		line := []string{q.Start.Format(time.RFC3339), csvSafe(q.Queue), strconv.Itoa(q.Offered), strconv.Itoa(q.Answered), strconv.Itoa(q.Abandoned),
			f(q.ASA), f(q.ServiceLevel), f(q.AHT), csat, strconv.Itoa(q.Rated)}
		for _, n := range names {
			line = append(line, strconv.Itoa(q.ByReason[n]))
		}
		cw.Write(line)
	}
	cw.Flush()
}

// csvSafe keeps a cell from being read as a formula by spreadsheets.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "'" + s
	}
	return s
}
