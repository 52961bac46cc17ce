package timeline

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Kinds of customer event. The call kinds are written by callflow as the
// call moves on; the others come from other channels through the API.
const (
	KindCallStarted       = "call_started"
	KindIVRChoice         = "ivr_choice"
	KindQueued            = "queued"
	KindCallbackRequested = "callback_requested"
	KindAgentOffered      = "agent_offered"
	KindAgentAnswered     = "agent_answered"
	KindHungUp            = "hung_up"
	KindRecordingReady    = "recording_ready"
	KindFeedback          = "feedback"

	KindEmail = "email"
	KindChat  = "chat"
	KindOrder = "order"
	KindNote  = "note"
)

// Channels an event came through.
const (
	ChannelVoice = "voice"
	ChannelEmail = "email"
	ChannelChat  = "chat"
	ChannelOrder = "order"
	ChannelNote  = "note"
)

// kindChannel is the channel of each known kind, used when an event does
// not name one.
var kindChannel = map[string]string{
	KindCallStarted:       ChannelVoice,
	KindIVRChoice:         ChannelVoice,
	KindQueued:            ChannelVoice,
	KindCallbackRequested: ChannelVoice,
	KindAgentOffered:      ChannelVoice,
	KindAgentAnswered:     ChannelVoice,
	KindHungUp:            ChannelVoice,
	KindRecordingReady:    ChannelVoice,
	KindFeedback:          ChannelVoice,
	KindEmail:             ChannelEmail,
	KindChat:              ChannelChat,
	KindOrder:             ChannelOrder,
	KindNote:              ChannelNote,
}

// NoteClosed is the Data["status"] of a note that needs no more attention.
const NoteClosed = "closed"

// Event is one thing that happened with a customer.
type Event struct {
	ID       int64          `json:"id"`
	Customer string         `json:"customer"`
	At       time.Time      `json:"at"`
	Kind     string         `json:"kind"`
	Channel  string         `json:"channel"`
	CallID   string         `json:"call_id,omitempty"`
	Agent    string         `json:"agent,omitempty"`
	Queue    string         `json:"queue,omitempty"`
	Summary  string         `json:"summary"` // one line a human reads
	Data     map[string]any `json:"data"`
}

// ErrInvalidEvent is wrapped by Add's validation errors, so the API can
// answer 400 rather than 500.
var ErrInvalidEvent = errors.New("invalid event")

// Page selects one page of List.
type Page struct {
	Before int64 // return events after this one (an event id from List's next); 0 = newest
	Limit  int   // at most this many; <= 0 means 50, capped at 500
}

const (
	defaultPageLimit = 50
	maxPageLimit     = 500
	maxWordLen       = 40
	// contactWindow is how far back Summary counts contacts.
	contactWindow  = 30 * 24 * time.Hour
	recentContacts = 5
)

// Events reads and writes customer events.
type Events struct {
	db *sql.DB
}

// NewEvents returns a customer-event store on an open, migrated database.
func NewEvents(db *sql.DB) *Events { return &Events{db: db} }

// Event ids are made here rather than by the database (see migration
// 0006): the Unix microsecond of the insert, bumped to stay strictly
// increasing in this process. They stay below 2^53, so JavaScript clients
// read them exactly. Another node can pick the same id; Add then moves on.
var ids struct {
	sync.Mutex
	last int64
}

func nextID(now time.Time, after int64) int64 {
	ids.Lock()
	defer ids.Unlock()
	id := now.UnixMicro()
	if id <= ids.last {
		id = ids.last + 1
	}
	if id <= after {
		id = after + 1
	}
	ids.last = id
	return id
}

// isWord reports whether s is a lowercase snake_case word (a letter, then
// letters, digits and '_'), the shape of every kind and channel.
func isWord(s string) bool {
	if s == "" || len(s) > maxWordLen || s[0] < 'a' || s[0] > 'z' || s[len(s)-1] == '_' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// oneLine folds line breaks and runs of white space into single spaces:
// a summary is shown as one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Add validates ev and appends it to its customer's timeline, setting
// ev.ID. A zero At means now; At is kept to the microsecond, as stored. An
// empty Channel is the kind's channel (voice for the call kinds). Kinds
// other than the Kind* constants are allowed if they are lowercase words,
// so a new channel needs no code change here.
func (s *Events) Add(ctx context.Context, ev *Event) error {
	if strings.TrimSpace(ev.Customer) == "" {
		return fmt.Errorf("add event: customer is required: %w", ErrInvalidEvent)
	}
	if ev.Kind == "" {
		return fmt.Errorf("add event for %s: kind is required: %w", ev.Customer, ErrInvalidEvent)
	}
	if _, known := kindChannel[ev.Kind]; !known && !isWord(ev.Kind) {
		return fmt.Errorf("add event for %s: kind %q is not a lowercase word: %w", ev.Customer, ev.Kind, ErrInvalidEvent)
	}
	if ev.Channel == "" {
		ev.Channel = kindChannel[ev.Kind]
		if ev.Channel == "" {
			ev.Channel = ev.Kind
		}
	}
	if !isWord(ev.Channel) {
		return fmt.Errorf("add event for %s: channel %q is not a lowercase word: %w", ev.Customer, ev.Channel, ErrInvalidEvent)
	}
	now := time.Now()
	if ev.At.IsZero() {
		ev.At = now
	}
	ev.At = fromMicros(micros(ev.At))
	ev.Summary = oneLine(ev.Summary)
	if ev.Data == nil {
		ev.Data = map[string]any{}
	}
	data, err := json.Marshal(ev.Data)
	if err != nil {
		return fmt.Errorf("add %s event for %s: data: %w", ev.Kind, ev.Customer, err)
	}

	// A clash means another node took this id in the same microsecond;
	// a handful of tries is plenty.
	var id int64
	for try := 0; try < 8; try++ {
		id = nextID(now, id)
		res, err := s.db.ExecContext(ctx, `INSERT INTO customer_events (id, customer, at, kind, channel, call_id, agent, queue, summary, data)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`,
			id, ev.Customer, micros(ev.At), ev.Kind, ev.Channel, ev.CallID, ev.Agent, ev.Queue, ev.Summary, string(data))
		if err != nil {
			return fmt.Errorf("add %s event for %s: %w", ev.Kind, ev.Customer, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("add %s event for %s: %w", ev.Kind, ev.Customer, err)
		} else if n == 1 {
			ev.ID = id
			return nil
		}
	}
	return fmt.Errorf("add %s event for %s: no free id after %d", ev.Kind, ev.Customer, id)
}

const eventColumns = `id, customer, at, kind, channel, call_id, agent, queue, summary, data`

func scanEvent(sc interface{ Scan(...any) error }) (*Event, error) {
	var ev Event
	var at int64
	var data string
	if err := sc.Scan(&ev.ID, &ev.Customer, &at, &ev.Kind, &ev.Channel, &ev.CallID, &ev.Agent, &ev.Queue, &ev.Summary, &data); err != nil {
		return nil, err
	}
	ev.At = fromMicros(at)
	if err := json.Unmarshal([]byte(data), &ev.Data); err != nil {
		return nil, fmt.Errorf("event %d: data: %w", ev.ID, err)
	}
	if ev.Data == nil {
		ev.Data = map[string]any{}
	}
	return &ev, nil
}

// query runs a SELECT of eventColumns and reads every row; keep, if not
// nil, filters them and stops reading when it says so.
func (s *Events) query(ctx context.Context, keep func(*Event) (bool, bool), q string, args ...any) ([]*Event, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	events := []*Event{}
	for rows.Next() {
		ev, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		ok, more := true, true
		if keep != nil {
			ok, more = keep(ev)
		}
		if ok {
			events = append(events, ev)
		}
		if !more {
			return events, nil
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return events, nil
}

// List returns one page of customer's events, newest first (by time, then
// id for events at the same microsecond). next is the Before of the
// following page, 0 when this is the last. A Before that is not one of
// customer's events is ErrNotFound.
func (s *Events) List(ctx context.Context, customer string, page Page) (events []*Event, next int64, err error) {
	limit := page.Limit
	if limit <= 0 {
		limit = defaultPageLimit
	}
	limit = min(limit, maxPageLimit)
	// One row more than asked tells whether there is a next page.
	if page.Before == 0 {
		events, err = s.query(ctx, nil, `SELECT `+eventColumns+` FROM customer_events WHERE customer = $1
			ORDER BY at DESC, id DESC LIMIT $2`, customer, limit+1)
	} else {
		var at int64
		err = s.db.QueryRowContext(ctx, `SELECT at FROM customer_events WHERE id = $1 AND customer = $2`, page.Before, customer).Scan(&at)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, 0, fmt.Errorf("timeline of %s: cursor %d: %w", customer, page.Before, ErrNotFound)
		}
		if err != nil {
			return nil, 0, fmt.Errorf("timeline of %s: cursor %d: %w", customer, page.Before, err)
		}
		events, err = s.query(ctx, nil, `SELECT `+eventColumns+` FROM customer_events WHERE customer = $1
			AND (at < $2 OR (at = $2 AND id < $3))
			ORDER BY at DESC, id DESC LIMIT $4`, customer, at, page.Before, limit+1)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("timeline of %s: %w", customer, err)
	}
	if len(events) > limit {
		events = events[:limit]
		next = events[limit-1].ID
	}
	return events, next, nil
}

// LastContact returns when customer's latest call started strictly before
// before, so the call being routed (started at before) is not its own
// previous call. ok is false when there is none.
func (s *Events) LastContact(ctx context.Context, customer string, before time.Time) (last time.Time, ok bool, err error) {
	var at sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MAX(at) FROM customer_events WHERE customer = $1 AND kind = $2 AND at < $3`,
		customer, KindCallStarted, before.UnixMicro()).Scan(&at); err != nil {
		return time.Time{}, false, fmt.Errorf("last contact of %s: %w", customer, err)
	}
	if !at.Valid {
		return time.Time{}, false, nil
	}
	return fromMicros(at.Int64), true, nil
}

// Summary is what an agent needs at a glance when the customer calls.
type Summary struct {
	Customer string `json:"customer"`
	// Contacts is the number of calls in the 30 days before now.
	Contacts int `json:"contacts"`
	// LastContact is when the newest of Recent happened (zero if none).
	LastContact time.Time `json:"last_contact,omitzero"`
	// Recent is the last 5 contacts, newest first: calls (their
	// call_started) and events of other channels than voice.
	Recent []*Event `json:"recent"`
	// OpenNotes is every note not marked closed, newest first.
	OpenNotes []*Event `json:"open_notes"`
	// LastScore is the score of the newest feedback that has one.
	LastScore   *int      `json:"last_score,omitempty"`
	LastScoreAt time.Time `json:"last_score_at,omitzero"`
}

// Summary sums up customer's timeline as it stood just before now. Passing
// the current call's start as now leaves that call out of its own summary.
func (s *Events) Summary(ctx context.Context, customer string, now time.Time) (*Summary, error) {
	sum := &Summary{Customer: customer}
	end := now.UnixMicro()
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM customer_events WHERE customer = $1 AND kind = $2 AND at >= $3 AND at < $4`,
		customer, KindCallStarted, now.Add(-contactWindow).UnixMicro(), end).Scan(&sum.Contacts); err != nil {
		return nil, fmt.Errorf("summary of %s: contacts: %w", customer, err)
	}

	var err error
	sum.Recent, err = s.query(ctx, nil, `SELECT `+eventColumns+` FROM customer_events
		WHERE customer = $1 AND at < $2 AND (kind = $3 OR channel <> $4)
		ORDER BY at DESC, id DESC LIMIT $5`, customer, end, KindCallStarted, ChannelVoice, recentContacts)
	if err != nil {
		return nil, fmt.Errorf("summary of %s: recent: %w", customer, err)
	}
	if len(sum.Recent) > 0 {
		sum.LastContact = sum.Recent[0].At
	}

	// Status lives in the JSON data, so the filter runs here; a customer
	// has few notes.
	sum.OpenNotes, err = s.query(ctx, func(ev *Event) (bool, bool) {
		return ev.Data["status"] != NoteClosed, true
	}, `SELECT `+eventColumns+` FROM customer_events WHERE customer = $1 AND kind = $2 AND at < $3
		ORDER BY at DESC, id DESC`, customer, KindNote, end)
	if err != nil {
		return nil, fmt.Errorf("summary of %s: notes: %w", customer, err)
	}

	// A survey the caller hung up on has no score; it should not hide the
	// score before it, so read back until one has.
	scored, err := s.query(ctx, func(ev *Event) (bool, bool) {
		_, ok := score(ev.Data["score"])
		return ok, !ok
	}, `SELECT `+eventColumns+` FROM customer_events WHERE customer = $1 AND kind = $2 AND at < $3
		ORDER BY at DESC, id DESC`, customer, KindFeedback, end)
	if err != nil {
		return nil, fmt.Errorf("summary of %s: feedback: %w", customer, err)
	}
	if len(scored) > 0 {
		v, _ := score(scored[0].Data["score"])
		sum.LastScore, sum.LastScoreAt = &v, scored[0].At
	}
	return sum, nil
}

// score reads a whole-number score as it may be held in Data: an int
// before storing, a float64 after a JSON round trip, or digits in a string.
func score(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e9 {
			return int(x), true
		}
	case json.Number:
		if n, err := strconv.Atoi(x.String()); err == nil {
			return n, true
		}
	case string:
		if n, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
			return n, true
		}
	}
	return 0, false
}

// SIP headers of the screen-pop: what the agent's softphone is told about
// the caller when the call is offered.
const (
	HeaderHistory  = "X-Contactd-History"
	HeaderTimeline = "X-Contactd-Timeline"
	HeaderNote     = "X-Contactd-Note" // the newest open note, if any
)

// Header values are kept short: softphones show them on one line, and some
// proxies drop messages with very long headers.
const (
	maxHeaderValue = 256
	maxNoteValue   = 160
)

// Headers returns the screen-pop headers for s, with link (the customer's
// timeline page) as X-Contactd-Timeline. History reads
// "contacts=3; last=2026-11-30T10:00:00Z; score=4; notes=1" (last and score
// only when known). Every value is one line of printable ASCII: control
// characters (CR, LF, tab) become spaces, other bytes are %XX escapes, and
// long values are cut, so nothing a customer or agent typed can end the
// header or forge another.
func (s *Summary) Headers(link string) map[string]string {
	if s == nil {
		s = &Summary{}
	}
	h := fmt.Sprintf("contacts=%d", s.Contacts)
	if !s.LastContact.IsZero() {
		h += "; last=" + s.LastContact.UTC().Format(time.RFC3339)
	}
	if s.LastScore != nil {
		h += fmt.Sprintf("; score=%d", *s.LastScore)
	}
	h += fmt.Sprintf("; notes=%d", len(s.OpenNotes))
	headers := map[string]string{HeaderHistory: headerSafe(h, maxHeaderValue)}
	if v := headerSafe(link, maxHeaderValue); v != "" {
		headers[HeaderTimeline] = v
	}
	if len(s.OpenNotes) > 0 {
		if v := headerSafe(s.OpenNotes[0].Summary, maxNoteValue); v != "" {
			headers[HeaderNote] = v
		}
	}
	return headers
}

// headerSafe makes s a SIP header value of at most limit bytes (see
// Headers). White space and control characters fold into single spaces;
// bytes outside printable ASCII become %XX (which also keeps a link a valid
// URL). '%' itself is left alone so links already escaped stay as they are.
// A value that is cut ends in "..." and never in half an escape or half a
// character.
func headerSafe(s string, limit int) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	cut := 0 // length at the last whole piece that leaves room for "..."
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		var piece []byte
		switch {
		case c <= ' ' || c == 0x7f:
			space = b.Len() > 0
			continue
		case c >= 0x80:
			piece = []byte{'%', hex[c>>4], hex[c&0xf]}
		default:
			piece = []byte{c}
		}
		if space {
			piece = append([]byte{' '}, piece...)
			space = false
		}
		if b.Len()+len(piece) > limit {
			return b.String()[:cut] + "..."
		}
		b.Write(piece)
		// Cut only between characters, so the escapes decode to valid UTF-8.
		if b.Len() <= limit-len("...") && (i+1 == len(s) || utf8.RuneStart(s[i+1])) {
			cut = b.Len()
		}
	}
	return b.String()
}
