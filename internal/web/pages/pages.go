// Package pages serves contactd's browser pages: the supervisors'
// wallboard and the agents' desk. They are plain HTML, CSS and JavaScript
// embedded in the binary, so they need no build step and no network beyond
// contactd itself; all data comes from the JSON API and the event stream.
package pages

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"time"
)

//go:embed html static
var files embed.FS

// Options configures the pages.
type Options struct {
	Logger *slog.Logger
	// Authorize, if set, decides whether a page request may see the page.
	// The page URL carries the token as ?token= (see static/common.js).
	// Static assets are not checked: they are code, not data, and a
	// <script> tag cannot send a bearer token.
	Authorize func(r *http.Request) bool
}

// asset is one embedded file, ready to serve.
type asset struct {
	body  []byte
	ctype string
	etag  string
}

// Register adds GET /wallboard, GET /agent and GET /static/... to mux.
func Register(mux *http.ServeMux, opts Options) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &pages{opts: opts, log: log, static: load("static")}
	html := load("html")
	p.denied = html["unauthorized.html"]
	mux.Handle("GET /wallboard", p.page(html["wallboard.html"]))
	mux.Handle("GET /agent", p.page(html["agent.html"]))
	mux.HandleFunc("GET /static/{file}", p.asset)
}

type pages struct {
	opts   Options
	log    *slog.Logger
	static map[string]asset
	denied asset
}

// load reads the embedded files of dir; a missing file is a build error,
// so it panics.
func load(dir string) map[string]asset {
	out := map[string]asset{}
	entries, err := fs.ReadDir(files, dir)
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(files, dir+"/"+e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		ctype := mime.TypeByExtension(path.Ext(e.Name()))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		out[e.Name()] = asset{body: b, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	return out
}

// securityHeaders keep the pages to their own origin: no inline script, no
// framing, and no Referer that could carry a token elsewhere.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
}

func (p *pages) page(a asset) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		securityHeaders(h)
		// The answer depends on the token, so nothing may keep it.
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Type", a.ctype)
		if p.opts.Authorize != nil && !p.opts.Authorize(r) {
			// Without a token this is the usual reload (see below), so
			// only a refused token is worth an operator's attention.
			lvl := slog.LevelDebug
			if r.URL.Query().Has("token") {
				lvl = slog.LevelInfo
			}
			p.log.Log(r.Context(), lvl, "page refused", "path", r.URL.Path, "remote", r.RemoteAddr)
			// The body is a page that retries with the token the tab
			// still holds, so reloading a page whose address no longer
			// shows the token works.
			h.Set("Content-Type", p.denied.ctype)
			h.Set("WWW-Authenticate", `Bearer realm="contactd"`)
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write(p.denied.body)
			return
		}
		_, _ = w.Write(a.body)
	})
}

func (p *pages) asset(w http.ResponseWriter, r *http.Request) {
	a, ok := p.static[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", a.etag)
	// Revalidate every time: an upgraded contactd must not run old code,
	// and the ETag makes the check cheap.
	h.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}
