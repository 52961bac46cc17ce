// Command rtpstat receives RTP on one UDP port and reports how evenly each
// stream was paced. It is the receiving end of bench/load.sh: callers'
// SDP points their audio at it, and it tells streams apart by source
// address and SSRC.
//
// Arrival times are the kernel's receive timestamps (SO_TIMESTAMPNS), so
// the figures describe the sender and the network path, not when this
// program got round to reading the socket on a busy machine.
//
// For consecutive packets of a stream (sequence number +1) the pacing
// error is |arrival gap − timestamp gap|, the timestamp gap being 20 ms
// for 8 kHz audio in 160-sample frames. A packet's lateness is its
// arrival minus its place on the stream's own schedule (first arrival
// plus timestamp offset), less the smallest such value in the stream: how
// much later it came than the stream's best-behaved packet.
//
//	rtpstat -listen 127.0.0.1:40000 -duration 30s
//
// prints one JSON object on stdout when the duration ends or on SIGINT or
// SIGTERM.
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"
)

// Report is what rtpstat prints. Times are in milliseconds.
type Report struct {
	Streams      int     `json:"streams"`
	Packets      int     `json:"packets"`
	Lost         int     `json:"lost"` // gaps in sequence numbers
	Reordered    int     `json:"reordered"`
	PacingP50    float64 `json:"pacing_p50_ms"`
	PacingP99    float64 `json:"pacing_p99_ms"`
	PacingMax    float64 `json:"pacing_max_ms"`
	MaxLate      float64 `json:"max_late_ms"`
	Late20       int     `json:"late_over_20ms"` // packets more than 20 ms late
	MinPackets   int     `json:"min_stream_packets"`
	ClockRate    int     `json:"clock_rate"`
	KernelStamps bool    `json:"kernel_timestamps"`
}

type key struct {
	from netip.AddrPort
	ssrc uint32
}

type stream struct {
	n              int
	lastSeq        uint16
	lastTS         uint32
	lastAt         int64   // ns
	firstAt        int64   // ns
	ts             int64   // unwrapped timestamp of the last packet, from 0
	transit        []int64 // arrival − schedule, ns
	lost, reorders int
}

func main() {
	listen := flag.String("listen", "127.0.0.1:40000", "UDP address to receive RTP on")
	duration := flag.Duration("duration", 30*time.Second, "stop after this long")
	clock := flag.Int("clock", 8000, "RTP clock rate of the streams, Hz")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *duration)
	defer cancel()
	conn, err := listenUDP(*listen)
	if err != nil {
		log.Error("rtpstat", "err", err)
		os.Exit(1)
	}
	rep, err := run(ctx, conn, *clock)
	if err != nil {
		log.Error("rtpstat", "err", err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
		log.Error("rtpstat: write report", "err", err)
		os.Exit(1)
	}
}

func listenUDP(listen string) (*net.UDPConn, error) {
	addr, err := net.ResolveUDPAddr("udp", listen)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", listen, err)
	}
	conn, err := net.ListenUDP("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	// Hundreds of streams at 50 packets a second each: do not drop them here.
	_ = conn.SetReadBuffer(16 << 20)
	return conn, nil
}

// run reads RTP from conn until ctx ends, then closes it and reports.
func run(ctx context.Context, conn *net.UDPConn, clock int) (*Report, error) {
	defer conn.Close()
	kernel := enableTimestamps(conn) == nil
	go func() {
		<-ctx.Done()
		conn.Close()
	}()
	col := newCollector(clock)
	col.kernel = kernel
	buf := make([]byte, 2048)
	oob := make([]byte, 128)
	for {
		n, oobn, _, from, err := conn.ReadMsgUDPAddrPort(buf, oob)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				break
			}
			return nil, fmt.Errorf("read: %w", err)
		}
		at := time.Now().UnixNano()
		if kernel {
			if t, ok := kernelTime(oob[:oobn]); ok {
				at = t
			}
		}
		col.add(from, at, buf[:n])
	}
	return col.report(), nil
}

// collector keeps what the report needs of every stream.
type collector struct {
	streams map[key]*stream
	pacing  []float64 // ms
	tickNS  int64
	clock   int
	kernel  bool
}

func newCollector(clock int) *collector {
	return &collector{streams: map[key]*stream{}, tickNS: int64(time.Second) / int64(clock), clock: clock}
}

// add takes one datagram from a source, received at (ns).
func (c *collector) add(from netip.AddrPort, at int64, b []byte) {
	if len(b) < 12 || b[0]>>6 != 2 {
		return
	}
	seq := binary.BigEndian.Uint16(b[2:])
	ts := binary.BigEndian.Uint32(b[4:])
	k := key{netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), binary.BigEndian.Uint32(b[8:])}
	s := c.streams[k]
	if s == nil {
		s = &stream{firstAt: at, lastSeq: seq - 1, lastTS: ts, lastAt: at}
		c.streams[k] = s
	}
	d := seq - s.lastSeq // wraps
	switch {
	case d == 0 || d > 0x8000:
		s.reorders++
		return // duplicate or out of order: not on the schedule
	case d > 1:
		s.lost += int(d - 1)
	}
	step := int64(int32(ts - s.lastTS))
	s.ts += step
	if s.n > 0 && d == 1 {
		gap := float64(at-s.lastAt) / 1e6
		c.pacing = append(c.pacing, math.Abs(gap-float64(step*c.tickNS)/1e6))
	}
	s.transit = append(s.transit, at-s.firstAt-s.ts*c.tickNS)
	s.n++
	s.lastSeq, s.lastTS, s.lastAt = seq, ts, at
}

func (c *collector) report() *Report {
	rep := &Report{Streams: len(c.streams), ClockRate: c.clock, KernelStamps: c.kernel}
	for _, s := range c.streams {
		rep.Packets += s.n
		rep.Lost += s.lost
		rep.Reordered += s.reorders
		if rep.MinPackets == 0 || s.n < rep.MinPackets {
			rep.MinPackets = s.n
		}
		best := slices.Min(s.transit)
		for _, tr := range s.transit {
			late := float64(tr-best) / 1e6
			rep.MaxLate = max(rep.MaxLate, late)
			if late > 20 {
				rep.Late20++
			}
		}
	}
	if len(c.pacing) > 0 {
		p := slices.Clone(c.pacing)
		slices.Sort(p)
		rep.PacingP50 = quantile(p, 0.50)
		rep.PacingP99 = quantile(p, 0.99)
		rep.PacingMax = p[len(p)-1]
	}
	return rep
}

// quantile is the nearest-rank q-quantile of sorted values.
func quantile(sorted []float64, q float64) float64 {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

// enableTimestamps asks the kernel to stamp each datagram on arrival.
func enableTimestamps(conn *net.UDPConn) error {
	raw, err := conn.SyscallConn()
	if err != nil {
		return fmt.Errorf("raw conn: %w", err)
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
	}); err != nil {
		return fmt.Errorf("control: %w", err)
	}
	if serr != nil {
		return fmt.Errorf("SO_TIMESTAMPNS: %w", serr)
	}
	return nil
}

// kernelTime reads the SCM_TIMESTAMPNS control message, in ns since the epoch.
func kernelTime(oob []byte) (int64, bool) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, false
	}
	for _, m := range msgs {
		if m.Header.Level == syscall.SOL_SOCKET && m.Header.Type == syscall.SCM_TIMESTAMPNS && len(m.Data) >= 16 {
			sec := int64(binary.NativeEndian.Uint64(m.Data[0:]))
			nsec := int64(binary.NativeEndian.Uint64(m.Data[8:]))
			return sec*1e9 + nsec, true
		}
	}
	return 0, false
}
