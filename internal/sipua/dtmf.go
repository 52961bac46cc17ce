package sipua

import (
	"errors"
	"fmt"
	"mime"
	"strconv"
	"strings"
)

var errUnsupportedInfo = errors.New("unsupported INFO body")

// parseDTMFInfo reads a key press sent as SIP INFO:
// application/dtmf-relay ("Signal=5\r\nDuration=160") or application/dtmf ("5").
func parseDTMFInfo(contentType string, body []byte) (byte, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return 0, fmt.Errorf("%w: content type %q", errUnsupportedInfo, contentType)
	}
	var signal string
	switch mt {
	case "application/dtmf-relay":
		for _, line := range strings.Split(string(body), "\n") {
			k, v, ok := strings.Cut(line, "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "signal") {
				signal = strings.TrimSpace(v)
			}
		}
		if signal == "" {
			return 0, fmt.Errorf("dtmf-relay body has no Signal line")
		}
	case "application/dtmf":
		signal = strings.TrimSpace(string(body))
	default:
		return 0, fmt.Errorf("%w: %s", errUnsupportedInfo, mt)
	}
	return dtmfSignal(signal)
}

// dtmfSignal maps a signal ("5", "*", "#", "A", or the RFC 4733 event number
// "10" for * and "11" for #) to its key.
func dtmfSignal(s string) (byte, error) {
	if len(s) == 1 {
		c := s[0]
		switch {
		case c >= '0' && c <= '9', c == '*', c == '#':
			return c, nil
		case c >= 'A' && c <= 'D':
			return c, nil
		case c >= 'a' && c <= 'd':
			return c - 'a' + 'A', nil
		}
	}
	n, err := strconv.Atoi(s)
	if err == nil && n >= 10 && n <= 15 {
		return "*#ABCD"[n-10], nil
	}
	return 0, fmt.Errorf("dtmf signal %q: want 0-9, *, #, A-D", s)
}
