package sipua

import "github.com/contactd/contactd/internal/media"

// MediaLeg is a call leg whose audio can be bridged: *Leg (a caller) and
// *OutLeg (a call we placed).
type MediaLeg interface {
	MediaSession() *media.Session
}

var (
	_ MediaLeg = (*Leg)(nil)
	_ MediaLeg = (*OutLeg)(nil)
)

// Connect bridges the audio and keys of a and b both ways (see
// media.NewBridge; a is Tap direction 0). The bridge ends on Stop, or as
// soon as either leg ends, since ending a leg closes its session; each leg
// still up then takes prompts again. Legs that have ended already give a
// bridge that is over at once: Done is closed.
func Connect(a, b MediaLeg, opts media.BridgeOptions) *media.Bridge {
	return media.NewBridge(sessionOf(a), sessionOf(b), opts)
}

func sessionOf(l MediaLeg) *media.Session {
	if l == nil {
		return nil
	}
	return l.MediaSession()
}
