package callflow

import (
	"context"
	"fmt"
	"time"

	"github.com/contactd/contactd/feedback"
	"github.com/contactd/contactd/internal/live"
	"github.com/contactd/contactd/ivr"
	"github.com/contactd/contactd/recording"
	"github.com/contactd/contactd/timeline"
)

// listener is a party whose incoming audio can be tapped: a voice
// comment is recorded from it.
type listener interface {
	Listen(fn func(pcm []int16)) (stop func())
}

// surveyRun is one caller's survey in progress: the pure session and
// what carries out its actions.
type surveyRun struct {
	a      *ACD
	w      *waiter
	sess   *feedback.Session
	agent  string
	queue  string
	played chan int // generation of a playback that ran to its end
	gen    int
	cancel context.CancelFunc

	// The voice comment being recorded, if any.
	comment     *recording.Active
	stopListen  func()
	commentStop <-chan time.Time
	commentKey  byte
}

// survey runs the queue's survey on a caller whose agent hung up, then
// stores the answers and tells the timeline, the live stream and, for a
// low score, the alert webhook.
func (a *ACD) survey(ctx context.Context, w *waiter, s *feedback.Survey, agent, qname string) {
	log := a.log.With("call_id", w.id, "survey", s.Name)
	log.Info("survey started")
	r := &surveyRun{a: a, w: w, sess: feedback.NewSession(s, a.opts.Now()), agent: agent, queue: qname, played: make(chan int, 1)}
	defer r.stopPlay()
	defer r.endComment(ctx, false)
	// Keys pressed while talking to the agent went to the agent; they
	// are no answer to the survey.
	for drained := false; !drained; {
		select {
		case <-w.party.Digits():
		default:
			drained = true
		}
	}

	res, done := r.do(ctx, r.sess.Start(a.opts.Now()))
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for !done {
		var tick <-chan time.Time
		if dl, ok := r.sess.Deadline(); ok {
			timer.Reset(max(dl.Sub(a.opts.Now()), 0))
			tick = timer.C
		}
		var acts []feedback.Action
		select {
		case d := <-w.party.Digits():
			if r.comment != nil && d == r.commentKey {
				acts = r.endComment(ctx, true)
			} else if r.comment == nil {
				acts = r.sess.Digit(a.opts.Now(), d)
			}
		case g := <-r.played:
			if g == r.gen {
				acts = r.sess.PlayDone(a.opts.Now())
			}
		case <-r.commentStop:
			acts = r.endComment(ctx, true)
		case <-tick:
			acts = r.sess.Tick(a.opts.Now())
		case <-w.party.Done():
			acts = r.sess.Hangup(a.opts.Now())
		case <-ctx.Done():
			acts = r.sess.Hangup(a.opts.Now())
		}
		timer.Stop()
		res, done = r.do(ctx, acts)
	}
	r.stopPlay()
	r.store(ctx, s, res)
	log.Info("survey finished", "completed", res.Completed, "skipped", res.Skipped)
}

// do carries out the session's actions; done reports Finished.
func (r *surveyRun) do(ctx context.Context, acts []feedback.Action) (res feedback.Result, done bool) {
	for _, act := range acts {
		switch act := act.(type) {
		case feedback.Play:
			r.play(ctx, act.Prompts)
		case feedback.StopPlay:
			r.stopPlay()
		case feedback.RecordComment:
			r.stopPlay()
			r.startComment(ctx, act)
		case feedback.Finished:
			return act.Result, true
		}
	}
	return feedback.Result{}, false
}

func (r *surveyRun) play(ctx context.Context, prompts []ivr.Prompt) {
	r.stopPlay()
	r.gen++
	gen := r.gen
	pctx, cancel := context.WithCancel(ctx)
	r.cancel = cancel
	go func() {
		if playAll(pctx, r.a.opts.Prompts, r.w.party, prompts, r.a.log) != nil || pctx.Err() != nil {
			return
		}
		select {
		case r.played <- gen:
		case <-pctx.Done():
		}
	}()
}

func (r *surveyRun) stopPlay() {
	if r.cancel != nil {
		r.cancel()
		r.cancel = nil
	}
	// A report of the playback just stopped must not count for the next.
	select {
	case <-r.played:
	default:
	}
}

// startComment records what the caller says until the stop key or the
// maximum length. Without a recorder, or a leg that can be listened to,
// the survey goes on at once without a comment.
func (r *surveyRun) startComment(ctx context.Context, rc feedback.RecordComment) {
	l, ok := r.w.party.(listener)
	if !ok || r.a.opts.Recorder == nil {
		r.commentStop = closedTimer()
		return
	}
	act, err := r.a.opts.Recorder.Start(ctx, recording.Meta{CallID: r.w.id, Queue: r.queue, Agent: r.agent, Customer: r.w.custID})
	if err != nil {
		r.a.log.Error("start voice comment", "call_id", r.w.id, "err", err)
		r.commentStop = closedTimer()
		return
	}
	r.comment, r.commentKey = act, rc.StopKey
	r.stopListen = l.Listen(func(pcm []int16) { act.Frame(0, pcm) })
	r.commentStop = time.After(rc.MaxLength)
}

// endComment stops the comment recording; report says whether to tell
// the session (not when the survey is over anyway).
func (r *surveyRun) endComment(ctx context.Context, report bool) []feedback.Action {
	r.commentStop = nil
	var id string
	var length time.Duration
	if r.comment != nil {
		r.stopListen()
		rec, err := r.comment.Stop(context.WithoutCancel(ctx))
		if err != nil {
			r.a.log.Error("finish voice comment", "call_id", r.w.id, "err", err)
		} else {
			id, length = rec.ID, rec.Duration
		}
		r.comment = nil
	}
	if !report {
		return nil
	}
	return r.sess.CommentDone(r.a.opts.Now(), id, length)
}

// closedTimer fires at once: the comment step ends immediately.
func closedTimer() <-chan time.Time {
	c := make(chan time.Time, 1)
	c <- time.Now()
	return c
}

// store saves the result and spreads the word.
func (r *surveyRun) store(ctx context.Context, s *feedback.Survey, res feedback.Result) {
	a, w := r.a, r.w
	now := a.opts.Now()
	bg := context.WithoutCancel(ctx)
	if err := a.opts.Feedback.Save(bg, feedback.Record{
		CallID: w.id, Agent: r.agent, Queue: r.queue, Customer: w.custID, Survey: s.Name, Result: res, At: now,
	}); err != nil {
		a.log.Error("save survey", "call_id", w.id, "err", err)
	}
	scores := map[string]any{}
	summary := "Survey skipped"
	var first *int
	for _, an := range res.Answers {
		if an.Skipped {
			continue
		}
		a.m.score.WithLabelValues(r.queue, an.Question).Observe(float64(an.Score))
		scores[an.Question] = an.Score
		if first == nil {
			v := an.Score
			first = &v
			summary = fmt.Sprintf("Rated %d on %s (%s)", an.Score, an.Question, an.Scale)
		}
	}
	data := map[string]any{"survey": s.Name, "scores": scores, "completed": res.Completed, "skipped": res.Skipped}
	if first != nil {
		data["score"] = *first
	}
	if res.Comment != nil {
		data["comment_recording_id"] = res.Comment.RecordingID
	}
	a.jr.add(ctx, &timeline.Event{
		Customer: w.custID, At: now, Kind: timeline.KindFeedback, CallID: w.id, Agent: r.agent, Queue: r.queue,
		Summary: summary, Data: data,
	})
	if a.opts.Live != nil {
		a.opts.Live.Publish(live.TypeFeedback, r.agent, map[string]any{"call_id": w.id, "queue": r.queue, "agent": r.agent, "result": res})
	}
	score, alert := res.AlertScore(s)
	if !alert {
		return
	}
	al := FeedbackAlert{CallID: w.id, Customer: w.custID, Agent: r.agent, Queue: r.queue, Survey: s.Name, Score: score, Threshold: s.AlertAtOrBelow}
	if a.opts.TimelineLink != nil {
		al.Timeline = a.opts.TimelineLink(w.custID)
	}
	a.log.Warn("low feedback score", "call_id", w.id, "agent", r.agent, "queue", r.queue, "score", score)
	if a.opts.Live != nil {
		a.opts.Live.Publish(live.TypeFeedbackAlert, "", al)
	}
	if a.opts.AlertWebhook != "" {
		go func() {
			if err := postAlert(bg, a.opts.HTTP, a.opts.AlertWebhook, al); err != nil {
				a.log.Warn("alert webhook", "call_id", w.id, "err", err)
			}
		}()
	}
}
