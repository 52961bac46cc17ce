package pages_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/contactd/contactd/internal/web/pages"
)

func get(t *testing.T, h http.Handler, path string, hdr ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPagesAndAuthorize(t *testing.T) {
	mux := http.NewServeMux()
	pages.Register(mux, pages.Options{Authorize: func(r *http.Request) bool { return r.URL.Query().Get("token") == "good" }})

	for _, path := range []string{"/wallboard", "/agent"} {
		res := get(t, mux, path+"?token=good")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", path, res.StatusCode)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("%s: Content-Type %q", path, ct)
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
		if res.Header.Get("Referrer-Policy") != "no-referrer" || res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: headers %v", path, res.Header)
		}

		res = get(t, mux, path+"?token=bad")
		b := body(t, res)
		if res.StatusCode != http.StatusUnauthorized || !strings.Contains(b, "/static/reauth.js") {
			t.Errorf("%s with a bad token: status %d, body %q", path, res.StatusCode, b)
		}
		if res.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", path)
		}
	}
	if res := get(t, mux, "/static/reauth.js"); res.StatusCode != http.StatusOK {
		t.Errorf("reauth.js: status %d", res.StatusCode)
	}
}

// TestAssetsExist checks every file the pages and scripts refer to is
// served, with a type the browser accepts for it (module scripts need a
// JavaScript type; nosniff makes the browser strict about CSS too).
func TestAssetsExist(t *testing.T) {
	mux := http.NewServeMux()
	pages.Register(mux, pages.Options{})
	refs := regexp.MustCompile(`(?:src|href)="/static/([^"]+)"|from '\./([^']+)'`)
	seen := map[string]bool{}
	queue := []string{"/wallboard", "/agent"}
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		res := get(t, mux, path)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d", path, res.StatusCode)
		}
		ct := res.Header.Get("Content-Type")
		switch {
		case strings.HasSuffix(path, ".js") && !strings.HasPrefix(ct, "text/javascript"),
			strings.HasSuffix(path, ".css") && !strings.HasPrefix(ct, "text/css"):
			t.Errorf("GET %s: Content-Type %q", path, ct)
		}
		for _, m := range refs.FindAllStringSubmatch(body(t, res), -1) {
			name := m[1] + m[2]
			if !seen[name] {
				seen[name] = true
				queue = append(queue, "/static/"+name)
			}
		}
	}
	for _, want := range []string{"common.js", "i18n.js", "wallboard.js", "agent.js", "base.css", "wallboard.css", "agent.css"} {
		if !seen[want] {
			t.Errorf("%s is never referred to", want)
		}
	}
	if res := get(t, mux, "/static/nothing.js"); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown asset: status %d", res.StatusCode)
	}
}

func TestAssetRevalidates(t *testing.T) {
	mux := http.NewServeMux()
	// Assets are code, not data: they are served without a token.
	pages.Register(mux, pages.Options{Authorize: func(*http.Request) bool { return false }})
	res := get(t, mux, "/static/wallboard.js")
	etag := res.Header.Get("ETag")
	if res.StatusCode != http.StatusOK || etag == "" || res.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("status %d, headers %v", res.StatusCode, res.Header)
	}
	if res := get(t, mux, "/static/wallboard.js", "If-None-Match", etag); res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d", res.StatusCode)
	}
}
