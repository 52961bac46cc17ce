package prompt

import (
	"context"
	"errors"
	"sync"
)

// flight runs at most one computation per key at a time: callers that
// arrive while it runs wait for it and share its result, so ten calls
// ringing the same menu at once decode or synthesize its prompt once.
type flight[T any] struct {
	mu    sync.Mutex
	calls map[string]*flightCall[T]
}

type flightCall[T any] struct {
	done chan struct{}
	val  T
	err  error
}

func (f *flight[T]) do(ctx context.Context, key string, fn func(context.Context) (T, error)) (T, error) {
	for {
		f.mu.Lock()
		if c, ok := f.calls[key]; ok {
			f.mu.Unlock()
			select {
			case <-c.done:
			case <-ctx.Done():
				var zero T
				return zero, ctx.Err()
			}
			// The leader giving up (its call hung up) says nothing about
			// this caller, who may still want the result: try again.
			if isContextErr(c.err) && ctx.Err() == nil {
				continue
			}
			return c.val, c.err
		}
		if f.calls == nil {
			f.calls = make(map[string]*flightCall[T])
		}
		// err stays set only if fn panics, so waiters never see a nil result
		// with a nil error.
		c := &flightCall[T]{done: make(chan struct{}), err: errors.New("prompt loading panicked")}
		f.calls[key] = c
		f.mu.Unlock()

		func() {
			// Deferred so a panic in fn cannot leave waiters blocked forever.
			defer func() {
				f.mu.Lock()
				delete(f.calls, key)
				f.mu.Unlock()
				close(c.done)
			}()
			c.val, c.err = fn(ctx)
		}()
		return c.val, c.err
	}
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
