// Package archtest checks the architecture's one hard rule: the contact-centre
// domain packages never depend on SIP, RTP or ARI code, so the same brain
// runs natively, under Asterisk and in the simulator.
package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

var domain = []string{"ivr", "queue", "feedback", "timeline", "recording"}

var forbidden = []string{
	"github.com/emiago/sipgo",
	"github.com/pion/",
	"github.com/CyCoreSystems/ari",
	"github.com/contactd/contactd/internal/sipua",
	"github.com/contactd/contactd/internal/media",
	"github.com/contactd/contactd/internal/asterisk",
	"github.com/contactd/contactd/internal/callflow",
}

func TestDomainPackagesImportNoTelephonyCode(t *testing.T) {
	for _, pkg := range domain {
		out, err := exec.Command("go", "list", "-deps", "github.com/contactd/contactd/"+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, f := range forbidden {
				if strings.HasPrefix(dep, f) {
					t.Errorf("%s depends on %s: domain packages must not import SIP, RTP or ARI code", pkg, dep)
				}
			}
		}
	}
}
