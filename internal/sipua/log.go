package sipua

import (
	"context"
	"log/slog"
	"sync"

	"github.com/emiago/sipgo/sip"
)

var sipgoLoggerOnce sync.Once

// setSipgoDefaultLogger routes sipgo's package-wide logger (used by its
// transports, and not safe to change while they run) to slog.Default as it
// is when the first server starts, quietened. It is set once per process.
func setSipgoDefaultLogger() {
	sipgoLoggerOnce.Do(func() {
		sip.SetDefaultLogger(slog.New(quietParseErrors{defaultHandler{}}).With("component", "sipgo"))
	})
}

// defaultHandler forwards to slog.Default; WithAttrs and WithGroup pin the
// default of that moment.
type defaultHandler struct{}

func (defaultHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return slog.Default().Handler().Enabled(ctx, l)
}
func (defaultHandler) Handle(ctx context.Context, r slog.Record) error {
	return slog.Default().Handler().Handle(ctx, r)
}
func (defaultHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return slog.Default().Handler().WithAttrs(as)
}
func (defaultHandler) WithGroup(name string) slog.Handler {
	return slog.Default().Handler().WithGroup(name)
}

// quietParseErrors keeps sipgo's reports of unparseable datagrams out of the
// error log: anyone can send garbage to a SIP port, so each one is a debug
// line with a short excerpt, not an ERROR carrying the whole payload.
type quietParseErrors struct {
	slog.Handler
}

// maxLoggedData bounds how much of a bad message reaches the log.
const maxLoggedData = 120

func (h quietParseErrors) Handle(ctx context.Context, r slog.Record) error {
	if r.Message != "failed to parse" {
		return h.Handler.Handle(ctx, r)
	}
	if !h.Handler.Enabled(ctx, slog.LevelDebug) {
		return nil
	}
	q := slog.NewRecord(r.Time, slog.LevelDebug, "sip message not parseable", r.PC)
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "data" {
			s := a.Value.String()
			if len(s) > maxLoggedData {
				s = s[:maxLoggedData] + "..."
			}
			a = slog.String("data", s)
		}
		q.AddAttrs(a)
		return true
	})
	return h.Handler.Handle(ctx, q)
}

func (h quietParseErrors) WithAttrs(as []slog.Attr) slog.Handler {
	return quietParseErrors{h.Handler.WithAttrs(as)}
}

func (h quietParseErrors) WithGroup(name string) slog.Handler {
	return quietParseErrors{h.Handler.WithGroup(name)}
}
