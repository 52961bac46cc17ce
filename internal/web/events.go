package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/contactd/contactd/internal/live"
)

// sseKeepAlive is how often an idle stream sends a comment, so proxies
// and browsers do not close it.
const sseKeepAlive = 15 * time.Second

// events streams live events as server-sent events. ?agent=ID keeps only
// events for everyone or for that agent; Last-Event-ID resumes.
func (a *api) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	var last uint64
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		last, _ = strconv.ParseUint(v, 10, 64)
	}
	agent := r.URL.Query().Get("agent")
	if p := principal(r); p.Role == RoleAgent {
		agent = p.Agent // an agent hears only their own screen-pops
	}
	sub := a.opts.Live.Subscribe(last)
	defer a.opts.Live.Unsubscribe(sub)

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n\n")
	fl.Flush()

	tick := time.NewTicker(sseKeepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
			fl.Flush()
		case ev := <-sub.C:
			if agent != "" && ev.Agent != "" && ev.Agent != agent {
				continue
			}
			if err := writeEvent(w, ev); err != nil {
				a.log.Debug("event stream closed", "err", err)
				return
			}
			fl.Flush()
		}
	}
}

func writeEvent(w http.ResponseWriter, ev live.Event) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode event %d: %w", ev.ID, err)
	}
	_, err = fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", ev.ID, ev.Type, b)
	return err
}
