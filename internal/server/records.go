package server

import (
	"context"
	"net/url"
	"strings"

	"github.com/contactd/contactd/internal/config"
	"github.com/contactd/contactd/internal/web"
	"github.com/contactd/contactd/recording"
)

// recordingsAPI serves recordings to the API: metadata from the store,
// files and pausing from the recorder.
type recordingsAPI struct {
	store *recording.Store
	rec   *recording.Recorder
}

var _ web.Recordings = recordingsAPI{}

func (r recordingsAPI) Get(ctx context.Context, id string) (*recording.Recording, error) {
	return r.store.Get(ctx, id)
}

func (r recordingsAPI) ForCall(ctx context.Context, callID string) ([]*recording.Recording, error) {
	return r.store.ForCall(ctx, callID)
}

func (r recordingsAPI) File(rec *recording.Recording) string { return r.rec.Path(rec) }

func (r recordingsAPI) SetPaused(callID string, paused bool) (*recording.Active, bool) {
	act, ok := r.rec.ActiveForCall(callID)
	if !ok {
		return nil, false
	}
	if paused {
		act.Pause()
	} else {
		act.Resume()
	}
	return act, true
}

// timelineLink makes the URL of a customer's timeline, shown to agents in
// screen-pops: http.public_url, or the API's own address.
func timelineLink(cfg *config.Config) func(customer string) string {
	base := strings.TrimSuffix(cfg.HTTP.PublicURL, "/")
	if base == "" {
		base = "http://" + cfg.HTTP.Listen
	}
	return func(customer string) string {
		return base + "/api/v1/customers/" + url.PathEscape(customer) + "/timeline"
	}
}
