package callflow

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/contactd/contactd/feedback"
	"github.com/contactd/contactd/internal/live"
	"github.com/contactd/contactd/recording"
	"github.com/contactd/contactd/timeline"
)

// Timeline keeps each customer's events: what the next agent sees.
type Timeline interface {
	Add(ctx context.Context, ev *timeline.Event) error
	Summary(ctx context.Context, customer string, now time.Time) (*timeline.Summary, error)
}

// Recorder records conversations and voice comments.
type Recorder interface {
	Start(ctx context.Context, m recording.Meta) (*recording.Active, error)
}

// FeedbackStore keeps survey answers.
type FeedbackStore interface {
	Save(ctx context.Context, r feedback.Record) error
}

// Publisher puts events on the live stream (screen-pops, alerts).
type Publisher interface {
	Publish(typ, agent string, data any) live.Event
}

// journal writes a call's events to its customer's timeline. A write
// that fails is logged and the call goes on: the timeline is the record
// of the call, not a condition for it.
type journal struct {
	tl  Timeline
	log *slog.Logger
}

func (j journal) add(ctx context.Context, ev *timeline.Event) {
	if j.tl == nil || ev.Customer == "" {
		return
	}
	if ev.Channel == "" {
		ev.Channel = timeline.ChannelVoice
	}
	if err := j.tl.Add(context.WithoutCancel(ctx), ev); err != nil {
		j.log.Error("timeline event", "kind", ev.Kind, "call_id", ev.CallID, "err", err)
	}
}

// ScreenPop is what an agent's desk is shown when a call is offered.
type ScreenPop struct {
	CallID   string            `json:"call_id"`
	Customer string            `json:"customer"`
	Caller   string            `json:"caller"`
	Queue    string            `json:"queue"`
	Agent    string            `json:"agent"`
	Link     string            `json:"timeline"`
	Summary  *timeline.Summary `json:"summary,omitempty"`
}

// FeedbackAlert is a low score someone should follow up.
type FeedbackAlert struct {
	CallID    string `json:"call_id"`
	Customer  string `json:"customer"`
	Agent     string `json:"agent"`
	Queue     string `json:"queue"`
	Survey    string `json:"survey"`
	Score     int    `json:"score"`
	Threshold int    `json:"threshold"`
	Timeline  string `json:"timeline,omitempty"`
}

// webhookTimeout bounds one alert POST; alerts are best effort.
const webhookTimeout = 10 * time.Second

// postAlert sends an alert to the configured webhook.
func postAlert(ctx context.Context, client *http.Client, url string, al FeedbackAlert) error {
	body, err := json.Marshal(al)
	if err != nil {
		return fmt.Errorf("alert webhook: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), webhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("alert webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("alert webhook: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("alert webhook: %w", errStatus(resp.StatusCode))
	}
	return nil
}
