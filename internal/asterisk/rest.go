package asterisk

import (
	"context"
	"fmt"
	"net/http"

	"github.com/CyCoreSystems/ari/v5/client/native"
)

// call runs one of ari/v5's REST calls, which take no context, under ctx.
// The request itself cannot be cancelled: when ctx ends first it finishes
// in the background and its result is dropped. Callers whose request
// leaves something behind in Asterisk (a playback) use start instead.
func call(ctx context.Context, op string, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", op, ctx.Err())
	}
}

// start is call for requests that create something: when ctx ends
// before the request has returned, undo runs once it has succeeded.
func start(ctx context.Context, op string, fn func() error, undo func()) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		return nil
	case <-ctx.Done():
		go func() {
			if <-done == nil {
				undo()
			}
		}()
		return fmt.Errorf("%s: %w", op, ctx.Err())
	}
}

// status is the HTTP status of a failed ARI request, or 0.
// ari/v5 wraps some errors in types that give their cause through
// Cause rather than Unwrap, so both are followed.
func status(err error) int {
	for err != nil {
		if re, ok := err.(native.RequestError); ok {
			return re.Code()
		}
		switch e := err.(type) {
		case interface{ Unwrap() error }:
			err = e.Unwrap()
		case interface{ Cause() error }:
			err = e.Cause()
		default:
			return 0
		}
	}
	return 0
}

// gone reports a request about something Asterisk no longer has: the
// channel hung up, the playback ended.
func gone(err error) bool {
	s := status(err)
	return s == http.StatusNotFound || s == http.StatusConflict || s == http.StatusUnprocessableEntity
}
