package asterisk

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/client/native"
	"github.com/inconshreveable/log15"
)

// ari/v5 logs through two package-level log15 loggers. They are routed,
// once per process, to the slog logger of the most recent Backend, at
// debug level for the library's chatter; nothing else in contactd sees
// log15.
var (
	log15Once   sync.Once
	log15Target atomic.Pointer[slog.Logger]
)

func routeLog15(log *slog.Logger) {
	log15Target.Store(log.With("component", "ari/v5"))
	log15Once.Do(func() {
		h := log15.FuncHandler(func(r *log15.Record) error {
			l := log15Target.Load()
			if l == nil {
				return nil
			}
			level := slog.LevelDebug
			if r.Lvl <= log15.LvlError {
				level = slog.LevelWarn
			}
			args := make([]any, 0, len(r.Ctx))
			for i := 0; i+1 < len(r.Ctx); i += 2 {
				args = append(args, fmt.Sprint(r.Ctx[i]), r.Ctx[i+1])
			}
			l.Log(context.Background(), level, r.Msg, args...)
			return nil
		})
		native.Logger.SetHandler(h)
		ari.Logger.SetHandler(h)
	})
}
