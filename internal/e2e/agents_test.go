package e2e

import (
	"encoding/json"
	"testing"
)

type apiAgent struct {
	ID         string `json:"id"`
	Registered bool   `json:"registered"`
	Contacts   []struct {
		Contact string `json:"contact"`
	} `json:"contacts"`
}

func (c *contactd) agents() map[string]apiAgent {
	c.t.Helper()
	resp, err := c.httpGet("/api/v1/agents")
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Agents []apiAgent `json:"agents"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		c.t.Fatal(err)
	}
	m := map[string]apiAgent{}
	for _, a := range body.Agents {
		m[a.ID] = a
	}
	return m
}

// Agents register with digest authentication; a wrong password is refused
// with 401 and leaves no registration; Expires: 0 unregisters.
func TestAgentRegistration(t *testing.T) {
	t.Parallel()
	c := startDemo(t, nil)
	alicePort := freePort(t) // the phone keeps its address, so unregistering removes its contact
	reg := func(scenario, agent, password, expires string) int {
		port := 0
		if agent == "alice" {
			port = alicePort
		}
		return c.runSIPp(sippRun{scenario: scenario, caller: agent, port: port,
			keys:  map[string]string{"agent": agent, "expires": expires},
			extra: []string{"-au", agent, "-ap", password}})
	}
	if code := reg("agent_register.xml", "alice", "alice-demo", "300"); code != 0 {
		t.Fatalf("alice register: sipp exit code %d, want 0 (401 then 200)", code)
	}
	if code := reg("agent_badpass.xml", "bob", "not-bobs", "300"); code != 0 {
		t.Fatalf("bob with a wrong password: sipp exit code %d, want 0 (401 twice)", code)
	}
	if code := reg("agent_badpass.xml", "mallory", "whatever", "300"); code != 0 {
		t.Fatalf("unknown user: sipp exit code %d, want 0 (401 twice, like a wrong password)", code)
	}
	agents := c.agents()
	if a := agents["alice"]; !a.Registered || len(a.Contacts) != 1 {
		t.Errorf("alice: got %+v, want registered with one contact", a)
	}
	if a := agents["bob"]; a.Registered {
		t.Errorf("bob: got registered after a wrong password, want not registered")
	}
	if code := reg("agent_register.xml", "alice", "alice-demo", "0"); code != 0 {
		t.Fatalf("alice unregister: sipp exit code %d, want 0", code)
	}
	if a := c.agents()["alice"]; a.Registered {
		t.Errorf("alice: got %+v after Expires: 0, want unregistered", a)
	}
}
