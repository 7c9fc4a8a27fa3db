// Package extract finds the SMTP TLS reports (RFC 8460) in files and
// streams: mbox, single messages, Maildir folders, raw or compressed JSON.
// Inputs are recognised by their content. Messages are processed by a
// bounded pool of workers, and results come out in input order.
package extract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/tlsrpt/tlsrpt/internal/mailmsg"
	"github.com/tlsrpt/tlsrpt/internal/report"
)

// Default limits. Postfix's default message_size_limit is 10240000
// bytes, so a larger report mail rarely arrives at all. With these limits
// one message at the limit takes about 60 MB to process (docs/benchmarks.md).
const (
	DefaultMaxMessageSize = 10 << 20
	DefaultMaxReportSize  = 8 << 20
	DefaultMaxDepth       = mailmsg.DefaultMaxDepth

	// maxInFlightBytes bounds the message bytes held by queued and running
	// jobs together, so memory does not grow with the input. A single
	// larger message still runs, alone.
	maxInFlightBytes = 4 << 20
)

// Options are the limits and parallelism of a run. Zero values mean the
// defaults.
type Options struct {
	MaxMessageSize int64 // bytes of one message or one non-mbox input
	MaxReportSize  int64 // decompressed bytes of the reports of one message or file together
	MaxDepth       int   // MIME nesting, message/rfc822 included
	Workers        int   // parallel workers; <= 0 means GOMAXPROCS

	// KeepRaw keeps each message in Result.Raw, as -rejects needs.
	KeepRaw bool

	// Encode has the workers fill Result.Lines, so that encoding runs in
	// parallel rather than in the goroutine that writes the output.
	Encode bool
}

func (o Options) withDefaults() Options {
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = DefaultMaxMessageSize
	}
	if o.MaxReportSize <= 0 {
		o.MaxReportSize = DefaultMaxReportSize
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o
}

// Result is the outcome of one unit of input: one message of an mbox, one
// message file, or one JSON, gzip or zip file.
type Result struct {
	Input     string // file name, "-" for standard input
	Message   int    // 1-based message number; 0 when the input is not mail
	MessageID string
	Subject   string
	Postmark  string // mbox "From " line, empty outside an mbox
	Raw       []byte // the message when Options.KeepRaw is set and the input is mail

	// Spilled is a message over MaxMessageSize that was copied to a
	// temporary file because Options.KeepRaw is set. The file has no
	// name, and Run closes it after handle returns.
	Spilled *Spilled

	Reports []*report.Report
	Lines   []byte  // Reports as NDJSON, one line each, when Options.Encode is set
	Errors  []error // reports or inputs that could not be used, each an *Error
	IOErr   error   // reading the input failed (exit status 1 rather than 65)
	Skipped bool    // a message with no report and no error

	reportBytes int // decompressed size of Reports, to size Lines
}

// Spilled is a message kept in a temporary file, open for reading.
type Spilled struct {
	File *os.File
	CRLF bool // the first line ends in CRLF, as mbox.Writer.WriteMessageFrom needs
}

// newSpillFile creates a temporary file and removes its name at once, so
// the file disappears when it is closed, or when the process ends.
func newSpillFile() (*os.File, error) {
	f, err := os.CreateTemp("", "tlsrpt-extract-*")
	if err != nil {
		return nil, fmt.Errorf("creating a temporary file for -rejects: %w; set TMPDIR to a writable directory", err)
	}
	os.Remove(f.Name())
	return f, nil
}

// close closes the spilled message's file, if any.
func (r *Result) close() {
	if r.Spilled != nil {
		r.Spilled.File.Close()
		r.Spilled = nil
	}
}

// unit is one piece of work for a worker.
type unit struct {
	input    string
	number   int
	postmark string
	data     []byte
	isMail   bool
	err      error // the unit could not be used; data is nil
	ioErr    error // reading the input failed; data is nil
	spilled  *Spilled
}

// Units travel to the workers in batches, because a channel hand-off per
// message costs as much as processing a small report mail.
// NOTE: a batch is sent when full or when the inputs end, so on a slow
// pipe the first lines appear only after 64 messages or at end of input.
const (
	batchUnits = 64
	batchBytes = 128 << 10
)

type job struct {
	units   []unit
	size    int
	results []*Result
	done    chan struct{}
}

// Run reads the inputs in order and calls handle once per unit with its
// result, in input order, from a single goroutine. An input name "-"
// reads stdin. A directory is read as a Maildir or a folder of files.
// Run returns the first error from handle, or ctx.Err() when cancelled;
// errors of the inputs themselves are reported through Result.Errors.
func Run(ctx context.Context, opts Options, inputs []string, stdin io.Reader, handle func(*Result) error) error {
	opts = opts.withDefaults()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	budget := newBudget(maxInFlightBytes)
	jobs := make(chan *job, opts.Workers)
	order := make(chan *job, opts.Workers*4)

	var workers sync.WaitGroup
	for range opts.Workers {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for j := range jobs {
				j.results = make([]*Result, len(j.units))
				for i, u := range j.units {
					// Drop the job's reference, so that a large message
					// can be collected while its reports are parsed.
					j.units[i] = unit{}
					j.results[i] = process(u, opts)
				}
				j.units = nil // the messages are garbage now unless a Result keeps them
				close(j.done)
			}
		}()
	}

	go func() {
		defer close(order)
		defer close(jobs)
		b := &batcher{ctx: ctx, budget: budget, order: order, jobs: jobs}
		for _, name := range inputs {
			if !readInput(ctx, name, stdin, opts, b.add) {
				return
			}
		}
		b.flush()
	}()

	var handleErr error
	for j := range order {
		<-j.done
		for _, res := range j.results {
			if handleErr == nil {
				if err := handle(res); err != nil {
					handleErr = err
					cancel()
				}
			}
			res.close()
		}
		// The budget is released only now, because the results of a
		// large message (its reports, parsed and encoded) take a few
		// times its size until they are handled.
		j.results = nil
		budget.release(j.size)
	}
	workers.Wait()
	if handleErr != nil {
		return handleErr
	}
	return ctx.Err()
}

// close closes the spilled messages of a job that will not run.
func (j *job) close() {
	for _, u := range j.units {
		if u.spilled != nil {
			u.spilled.File.Close()
		}
	}
}

// batcher collects units into jobs and queues them in input order.
type batcher struct {
	ctx    context.Context
	budget *budget
	order  chan<- *job
	jobs   chan<- *job
	cur    *job
}

// add queues u and returns false when the run was cancelled.
func (b *batcher) add(u unit) bool {
	if b.cur == nil {
		b.cur = &job{done: make(chan struct{})}
	}
	b.cur.units = append(b.cur.units, u)
	b.cur.size += len(u.data)
	if len(b.cur.units) >= batchUnits || b.cur.size >= batchBytes {
		return b.flush()
	}
	return b.ctx.Err() == nil
}

// flush sends the current batch to the workers.
func (b *batcher) flush() bool {
	j := b.cur
	b.cur = nil
	if j == nil {
		return true
	}
	if !b.budget.acquire(b.ctx, j.size) {
		j.close()
		return false
	}
	select {
	case b.order <- j:
	case <-b.ctx.Done():
		b.budget.release(j.size)
		j.close()
		return false
	}
	b.jobs <- j
	if j.size > b.budget.limit {
		// A unit over the budget runs alone: reading the next message
		// now would hold it in memory beside this one's results.
		return b.budget.waitIdle(b.ctx)
	}
	return true
}

// ExtractFile returns every report in one file or directory, read with
// the default limits. The error joins every error met, so a nil error
// means the whole input was used.
func ExtractFile(path string) ([]*report.Report, error) {
	var reports []*report.Report
	var errs []error
	err := Run(context.Background(), Options{}, []string{path}, nil, func(r *Result) error {
		reports = append(reports, r.Reports...)
		errs = append(errs, r.Errors...)
		if r.IOErr != nil {
			errs = append(errs, r.IOErr)
		}
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	return reports, errors.Join(errs...)
}

// budget is a counting semaphore over bytes.
type budget struct {
	mu    sync.Mutex
	cond  *sync.Cond
	limit int
	used  int
}

func newBudget(limit int) *budget {
	b := &budget{limit: limit}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// acquire waits until n bytes fit in the budget, or until nothing else is
// in flight, so that a unit larger than the budget still runs alone.
func (b *budget) acquire(ctx context.Context, n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.used > 0 && b.used+n > b.limit {
		if ctx.Err() != nil {
			return false
		}
		b.cond.Wait()
	}
	if ctx.Err() != nil {
		return false
	}
	b.used += n
	return true
}

// waitIdle waits until nothing is in flight.
func (b *budget) waitIdle(ctx context.Context) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.used > 0 {
		if ctx.Err() != nil {
			return false
		}
		b.cond.Wait()
	}
	return ctx.Err() == nil
}

func (b *budget) release(n int) {
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
	b.cond.Broadcast()
}
