// Command contactd is a contact centre and IVR server.
//
//	contactd serve [-config FILE] [-sip-listen HOST:PORT] [-http-listen HOST:PORT] [-data DIR]
//	contactd check -config FILE
//	contactd simulate -scenario FILE [-json OUT] [-strategies a,b]
//	contactd version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/contactd/contactd/internal/config"
	"github.com/contactd/contactd/internal/demo"
	"github.com/contactd/contactd/internal/prompt"
	"github.com/contactd/contactd/internal/server"
	"github.com/contactd/contactd/internal/sim"
)

// version is set at build time with -ldflags "-X main.version=..."; without
// it the module version from the build info is used.
var version = ""

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  contactd serve [-config FILE] [-sip-listen HOST:PORT] [-http-listen HOST:PORT] [-data DIR]
  contactd check -config FILE
  contactd simulate -scenario FILE [-json OUT] [-strategies a,b]
  contactd version
`)
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stderr)
	case "check":
		return check(args[1:], stdout, stderr)
	case "simulate":
		return simulate(args[1:], stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "contactd", versionString())
		return 0
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "contactd: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// loadConfig reads the file, or the embedded demo when path is empty.
func loadConfig(path string, synth *prompt.Synth) (*config.Config, error) {
	check := server.PromptChecker(synth)
	if path == "" {
		return config.Parse(demo.Config, "embedded demo", demo.FS(), check)
	}
	return config.Load(path, check)
}

func check(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "config file to validate")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *path == "" {
		fmt.Fprintln(stderr, "contactd check: -config FILE is required")
		return 2
	}
	// Checking synthesizes nothing, so the cache dir is never written.
	if _, err := loadConfig(*path, prompt.NewSynth(prompt.SynthOptions{CacheDir: os.TempDir()})); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok\n", *path)
	return 0
}

// simulate runs a wait-time simulation scenario (internal/sim) and prints
// the report, optionally writing it as JSON too.
func simulate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("scenario", "", "scenario file (YAML)")
	jsonOut := fs.String("json", "", "also write the report as JSON to this file")
	strategies := fs.String("strategies", "", "comma-separated names of the scenario's strategies to run (default: all)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *path == "" {
		fmt.Fprintln(stderr, "contactd simulate: -scenario FILE is required")
		return 2
	}
	sc, err := sim.Load(*path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	var names []string
	if *strategies != "" {
		names = strings.Split(*strategies, ",")
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rep, err := sim.Run(sc, sim.Options{Strategies: names, Logger: log})
	if err != nil {
		fmt.Fprintln(stderr, "contactd simulate:", err)
		return 1
	}
	if err := rep.WriteTable(stdout); err != nil {
		fmt.Fprintln(stderr, "contactd simulate:", err)
		return 1
	}
	if *jsonOut != "" {
		f, err := os.Create(*jsonOut)
		if err == nil {
			err = rep.WriteJSON(f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintln(stderr, "contactd simulate: write json:", err)
			return 1
		}
	}
	return 0
}

func serve(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "config file (default: the embedded demo)")
	sipListen := fs.String("sip-listen", "", "SIP host:port for UDP and TCP (overrides the config)")
	httpListen := fs.String("http-listen", "", "HTTP host:port (overrides the config)")
	dataDir := fs.String("data", "", "data directory (overrides the config)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "contactd serve: -log-level: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	// Libraries that log only through the default logger (sipgo's
	// transports) then share our output and level.
	slog.SetDefault(log)

	cfg, err := loadConfig(*path, prompt.NewSynth(prompt.SynthOptions{CacheDir: os.TempDir()}))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if *sipListen != "" {
		cfg.SIP.Listen = *sipListen
	}
	if *httpListen != "" {
		cfg.HTTP.Listen = *httpListen
	}
	if *dataDir != "" {
		cfg.DataDir = *dataDir
	}
	if v := os.Getenv(config.EnvDatabaseDSN); v != "" {
		cfg.Database.DSN = v
	}
	if abs, err := filepath.Abs(cfg.DataDir); err == nil {
		cfg.DataDir = abs
	}
	if *path == "" {
		log.Info("no -config given: serving the embedded demo", "config", cfg.Path)
		// The demo's agent passwords are public; say so loudly rather than
		// let anyone mistake the demo for a safe setup.
		fmt.Fprintln(stderr, "WARNING: demo agents with well-known passwords; do not expose this to a network:")
		for _, id := range []string{"alice", "bob"} {
			if a, ok := cfg.Agents[id]; ok {
				fmt.Fprintf(stderr, "WARNING:   agent %s password %s\n", id, a.Password)
			}
		}
		for _, t := range cfg.HTTP.Tokens {
			fmt.Fprintf(stderr, "WARNING:   API token %s (%s %s)\n", t.Token, t.Role, t.Agent)
		}
	}

	ctx := context.Background()
	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		log.Error("start", "err", err)
		return 1
	}
	srv.Start()

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	select {
	case err := <-srv.Err():
		log.Error("serve", "err", err)
		srv.Close()
		return 1
	case sig := <-sigs:
		log.Info("signal: finishing calls in progress; signal again to exit at once", "signal", sig.String(), "timeout", time.Duration(cfg.ShutdownTimeout).String())
	}
	dctx, cancel := context.WithTimeout(ctx, time.Duration(cfg.ShutdownTimeout))
	go func() {
		<-sigs
		log.Warn("second signal: exiting now")
		cancel()
	}()
	err = srv.Drain(dctx)
	cancel()
	srv.Close()
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		log.Error("shutdown", "err", err)
		return 1
	}
	log.Info("stopped")
	return 0
}
