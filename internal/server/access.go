package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"

	"github.com/contactd/contactd/internal/config"
	"github.com/contactd/contactd/internal/web"
	webpages "github.com/contactd/contactd/internal/web/pages"
)

// adminTokenFile holds the admin token contactd makes for itself when the
// config gives none, so the API is never open to all.
const adminTokenFile = "admin-token"

// apiTokens are the config's tokens, the admin token from the
// environment, or, when there is none of either, a random admin token
// kept in data_dir/admin-token (mode 0600). The secret itself is never
// logged; the file's path is.
func apiTokens(cfg *config.Config, log *slog.Logger) ([]web.Token, error) {
	var out []web.Token
	for _, t := range cfg.HTTP.Tokens {
		role, _ := web.ParseRole(t.Role) // Parse checked it
		out = append(out, web.Token{Secret: t.Token, Role: role, Agent: t.Agent})
	}
	if v := os.Getenv(config.AdminTokenEnv); v != "" {
		out = append(out, web.Token{Secret: v, Role: web.RoleAdmin})
	}
	if len(out) > 0 {
		return out, nil
	}
	path := filepath.Join(cfg.DataDir, adminTokenFile)
	b, err := os.ReadFile(path)
	if err != nil {
		if !os.IsNotExist(err) {
			return nil, fmt.Errorf("read admin token: %w", err)
		}
		buf := make([]byte, 24)
		if _, err := rand.Read(buf); err != nil {
			return nil, fmt.Errorf("make admin token: %w", err)
		}
		b = []byte(hex.EncodeToString(buf))
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("make admin token: %w", err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
			return nil, fmt.Errorf("write admin token: %w", err)
		}
	}
	log.Warn("no API tokens configured: an admin token is in the file", "path", path)
	tok := string(b)
	for len(tok) > 0 && (tok[len(tok)-1] == '\n' || tok[len(tok)-1] == '\r') {
		tok = tok[:len(tok)-1]
	}
	return []web.Token{{Secret: tok, Role: web.RoleAdmin}}, nil
}

// pages registers the wallboard and agent desk; the API's tokens open
// them.
func pages(log *slog.Logger) func(*http.ServeMux, func(*http.Request) bool) {
	return func(mux *http.ServeMux, authorize func(*http.Request) bool) {
		webpages.Register(mux, webpages.Options{Logger: log, Authorize: authorize})
	}
}
