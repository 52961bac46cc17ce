package server

import (
	"context"
	"log/slog"
	"os"

	"github.com/contactd/contactd/internal/asterisk"
	"github.com/contactd/contactd/internal/callflow"
	"github.com/contactd/contactd/internal/config"
	"github.com/contactd/contactd/internal/media"
)

// callSource is where calls come from: native SIP (*sipua.Server) or an
// Asterisk driven through ARI (*asterisk.Backend).
type callSource interface {
	Serve(ctx context.Context) error
	Drain()
	Wait(ctx context.Context) error
	ActiveCalls() int
	HangupAll()
	Close() error
}

// bridgerFor is how the ACD connects callers to agents: RTP relayed by
// contactd, or a mixing bridge in Asterisk.
func bridgerFor(cfg *config.Config, log *slog.Logger) callflow.Bridger {
	if cfg.Backend == config.BackendAsterisk {
		return asterisk.Bridger{}
	}
	return sipBridger{opts: media.BridgeOptions{Logger: log}}
}

// newAsterisk makes the ARI backend: Asterisk owns SIP and media, and
// its calls run on flow. Agents' reachability follows their endpoints'
// state, as it follows registrations in native mode.
func (s *Server) newAsterisk(cfg *config.Config, flow *callflow.Flow) (*asterisk.Backend, error) {
	a := cfg.Asterisk
	password := a.Password
	if v := os.Getenv(config.EnvARIPassword); v != "" {
		password = v
	}
	return asterisk.New(asterisk.Options{
		URL: a.URL, Username: a.Username, Password: password, App: a.App,
		MediaListen: a.MediaListen, MediaURL: a.MediaURL,
		Flow:          flow,
		AgentEndpoint: a.AgentEndpoint,
		Agents: func() []string {
			agents := s.dir.queueAgents()
			ids := make([]string, len(agents))
			for i, ag := range agents {
				ids[i] = ag.ID
			}
			return ids
		},
		OnReachable: func(agent string, reachable bool) { s.acd.SetReachable(agent, reachable) },
		Trunk:       a.Trunk,
		Recordings:  s.recorder,
		Registerer:  s.reg,
		Logger:      s.log,
	})
}
