package asterisk

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/CyCoreSystems/ari/v5"

	"github.com/contactd/contactd/internal/callflow"
	"github.com/contactd/contactd/internal/prompt"
)

// Bridger connects two Asterisk channels in a mixing bridge: the ACD's
// Bridger in asterisk mode. It needs no state of its own: each Channel
// knows its Backend.
type Bridger struct{}

var _ callflow.Bridger = Bridger{}

// recordingWait bounds the wait for Asterisk to close a bridge recording
// and the download of its file.
const recordingWait = 15 * time.Second

// maxRecordingBytes caps a downloaded recording (about 9 hours of WAV).
const maxRecordingBytes = 512 << 20

// Bridge puts a and b in a new mixing bridge. When tap is set the call is
// to be recorded: Asterisk records the bridge itself (a file in its
// recordings directory, named after contactd's recording), and stop
// copies that file's audio through tap, so that contactd's recording,
// its API and retention work as in native mode. The mix is both sides
// of the conversation, so it is given as each direction.
func (Bridger) Bridge(a, b callflow.Party, tap func(dir int, pcm []int16)) (func(), error) {
	ca, ok1 := a.(*Channel)
	cb, ok2 := b.(*Channel)
	if !ok1 || !ok2 || ca.b != cb.b {
		return nil, fmt.Errorf("bridge %s and %s: not channels of the same Asterisk", a.ID(), b.ID())
	}
	return ca.b.bridge(ca, cb, tap)
}

func (b *Backend) bridge(x, y *Channel, tap func(int, []int16)) (func(), error) {
	ctx, cancel := context.WithTimeout(context.Background(), restTimeout)
	defer cancel()
	key := ari.NewKey(ari.BridgeKey, newID("bridge"))
	log := b.log.With("call_id", x.id, "bridge", key.ID)
	err := call(ctx, "create bridge", func() error {
		_, err := b.cl.Bridge().Create(key, "mixing", x.id)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, c := range []*Channel{x, y} {
		err := call(ctx, "add "+c.id+" to bridge", func() error { return b.cl.Bridge().AddChannel(key, c.id) })
		if err != nil {
			b.deleteBridge(key)
			return nil, err
		}
	}
	var name string
	var fin chan string
	if tap != nil {
		name = b.recordingName(x.id)
		fin = b.expect(b.recs, name)
		err := call(ctx, "record bridge", func() error {
			_, err := b.cl.Bridge().Record(key, name, &ari.RecordingOptions{Format: "wav", Exists: "overwrite"})
			return err
		})
		if err != nil {
			log.Error("Asterisk bridge recording did not start", "asterisk_recording", name, "err", err)
			b.unexpect(b.recs, name)
			name = ""
		} else {
			log.Info("Asterisk records the bridge", "asterisk_recording", name)
		}
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), recordingWait)
			defer cancel()
			if name != "" {
				err := call(ctx, "stop recording "+name, func() error {
					return b.cl.LiveRecording().Stop(ari.NewKey(ari.LiveRecordingKey, name))
				})
				if err != nil && !gone(err) {
					log.Warn("stop bridge recording", "asterisk_recording", name, "err", err)
				}
			}
			b.deleteBridge(key)
			if name == "" {
				return
			}
			defer b.unexpect(b.recs, name)
			select {
			case st := <-fin:
				if st != "done" {
					log.Error("Asterisk bridge recording failed", "asterisk_recording", name)
					return
				}
			case <-ctx.Done():
				log.Warn("Asterisk did not report the end of the bridge recording; fetching it anyway", "asterisk_recording", name)
			}
			if err := b.copyRecording(ctx, name, tap); err != nil {
				log.Error("copy Asterisk bridge recording", "asterisk_recording", name, "err", err)
			}
		})
	}
	return stop, nil
}

func (b *Backend) deleteBridge(key *ari.Key) {
	ctx, cancel := context.WithTimeout(context.Background(), restTimeout)
	defer cancel()
	if err := call(ctx, "delete bridge "+key.ID, func() error { return b.cl.Bridge().Delete(key) }); err != nil && !gone(err) {
		b.log.Warn("delete bridge", "bridge", key.ID, "err", err)
	}
}

// recordingName is the name Asterisk stores a call's bridge recording
// under: contactd's recording id, so either side finds the other.
func (b *Backend) recordingName(callID string) string {
	id := callID + "-" + newID("rec")[len("contactd-rec-"):]
	if b.opts.Recordings != nil {
		if a, ok := b.opts.Recordings.ActiveForCall(callID); ok {
			id = a.ID()
		}
	}
	return RecordingName(id)
}

// RecordingName is the Asterisk stored-recording name of contactd's
// recording id: characters other than letters, digits, '-' and '_'
// (a channel id's dot, which Asterisk would take for an extension)
// become '_'.
func RecordingName(id string) string {
	return "contactd-" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, id)
}

// copyRecording downloads a stored recording (8 kHz mono WAV) and feeds
// it to tap in 20 ms frames, as both directions. ari/v5 has no call for
// the file, so this one request is made here.
func (b *Backend) copyRecording(ctx context.Context, name string, tap func(int, []int16)) error {
	u := strings.TrimSuffix(b.opts.URL, "/") + "/recordings/stored/" + url.PathEscape(name) + "/file"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("fetch recording %s: %w", name, err)
	}
	req.Header.Set("Authorization", b.auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("fetch recording %s: %w", name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch recording %s: HTTP status %d", name, resp.StatusCode)
	}
	audio, err := prompt.DecodeWAV(io.LimitReader(resp.Body, maxRecordingBytes))
	if err != nil {
		return fmt.Errorf("fetch recording %s: %w", name, err)
	}
	const frame = prompt.Rate / 50
	s := audio.Samples
	for i := 0; i < len(s); i += frame {
		f := s[i:min(i+frame, len(s))]
		tap(0, f)
		tap(1, f)
	}
	return nil
}
