package server

import (
	"net/url"
	"strings"
	"time"

	"github.com/contactd/contactd/internal/config"
)

// timelineLink makes the URL of a customer's timeline, shown to agents in
// screen-pops: http.public_url, or the address the API is bound to (asked
// at call time: with port 0 it is known only once bound).
func timelineLink(cfg *config.Config, bound func() string) func(customer string) string {
	return func(customer string) string {
		base := strings.TrimSuffix(cfg.HTTP.PublicURL, "/")
		if base == "" {
			base = "http://" + bound()
		}
		return base + "/api/v1/customers/" + url.PathEscape(customer) + "/timeline"
	}
}

// slTargets are the queues' service-level thresholds, for reports.
func slTargets(cfg *config.Config) map[string]time.Duration {
	out := map[string]time.Duration{}
	for name, q := range cfg.Queues {
		out[name] = time.Duration(q.ServiceLevel)
	}
	return out
}
