package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress draws a one-line progress bar on a terminal and lets log lines
// pass above it: every write first erases the bar, and the bar is drawn
// again after it.
type progress struct {
	mu     sync.Mutex
	w      io.Writer
	total  int
	done   int
	shown  bool
	last   time.Time
	redraw time.Duration
}

func newProgress(w io.Writer) *progress {
	return &progress{w: w, redraw: 100 * time.Millisecond}
}

// Write writes a log line, keeping the bar below it.
func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.erase()
	n, err := p.w.Write(b)
	if p.total > 0 {
		p.draw()
	}
	return n, err
}

// Start sets the number of messages to fetch.
func (p *progress) Start(total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total = total
	p.draw()
}

// Add counts n more messages, redrawing at most every 100 ms.
func (p *progress) Add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if time.Since(p.last) >= p.redraw || p.done == p.total {
		p.draw()
	}
}

// Finish erases the bar.
func (p *progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.erase()
	p.total = 0
}

func (p *progress) erase() {
	if p.shown {
		io.WriteString(p.w, "\r\x1b[K")
		p.shown = false
	}
}

func (p *progress) draw() {
	io.WriteString(p.w, "\r"+renderBar(p.done, p.total, 30)+"\x1b[K")
	p.shown = true
	p.last = time.Now()
}

// renderBar returns "[=====     ] 50/100 messages" with width cells.
func renderBar(done, total, width int) string {
	filled := width
	if total > 0 {
		filled = min(width, done*width/total)
	}
	return fmt.Sprintf("[%s%s] %d/%d messages", strings.Repeat("=", filled), strings.Repeat(" ", width-filled), done, total)
}
