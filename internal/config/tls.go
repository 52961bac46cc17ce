package config

import (
	"crypto/tls"
	"fmt"
	"net"
	"path/filepath"
)

// TLS names a certificate and its key (PEM files, relative to the config
// file unless absolute).
type TLS struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
	// Listen is where SIP over TLS listens (sip.tls only; default port
	// 5061 on sip.listen's host).
	Listen string `yaml:"listen"`
}

// Enabled reports whether a certificate is configured.
func (t TLS) Enabled() bool { return t.Cert != "" || t.Key != "" }

// Load reads the key pair into a server TLS config (TLS 1.2 or newer).
func (t TLS) Load(dir string) (*tls.Config, error) {
	path := func(f string) string {
		if filepath.IsAbs(f) || dir == "" {
			return f
		}
		return filepath.Join(dir, f)
	}
	pair, err := tls.LoadX509KeyPair(path(t.Cert), path(t.Key))
	if err != nil {
		return nil, fmt.Errorf("load certificate %s: %w", t.Cert, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
}

// Dir is where relative TLS file names are found: the config file's
// directory ("" for the embedded demo).
func (c *Config) Dir() string {
	if c.Path == "" || c.Path == "embedded demo" {
		return ""
	}
	return filepath.Dir(c.Path)
}

func (c *Config) checkTLS(add func(line int, field, problem string), line func(path ...string) int) {
	for _, s := range []struct {
		section string
		t       TLS
	}{{"sip", c.SIP.TLS}, {"http", c.HTTP.TLS}} {
		if !s.t.Enabled() {
			continue
		}
		field := s.section + ".tls"
		if s.t.Cert == "" || s.t.Key == "" {
			add(line(s.section, "tls"), field, "needs both cert and key")
			continue
		}
		if _, err := s.t.Load(c.Dir()); err != nil {
			add(line(s.section, "tls", "cert"), field+".cert", err.Error())
		}
		if s.section == "sip" && s.t.Listen != "" {
			if _, _, err := net.SplitHostPort(s.t.Listen); err != nil {
				add(line("sip", "tls", "listen"), "sip.tls.listen", fmt.Sprintf("%q is not host:port", s.t.Listen))
			}
		}
	}
}
