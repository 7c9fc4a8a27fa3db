// Command benchtool measures tlsrpt-summary against the cost of reading
// and JSON-decoding its input once. scripts/bench-summary.sh runs it:
//
//	benchtool gen -n 1000000 STORE   write a generated store
//	benchtool decode STORE           read STORE and decode each line into an any
//	benchtool compare -runs 3 STORE SUMMARY-BINARY
//
// compare runs "benchtool decode" and "tlsrpt-summary -store STORE" as
// child processes, best of -runs each, and prints both wall times, their
// ratio and the peak resident memory of each.
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/tlsrpt/tlsrpt/internal/report"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "benchtool: error: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("missing subcommand: gen, decode or compare")
	}
	switch args[0] {
	case "gen":
		return generate(args[1:])
	case "decode":
		if len(args) != 2 {
			return errors.New("usage: benchtool decode STORE")
		}
		return decode(args[1])
	case "compare":
		return compare(args[1:])
	default:
		return fmt.Errorf("unknown subcommand %q: want gen, decode or compare", args[0])
	}
}

// decode is the baseline: read the file once and decode every line into
// a generic value with encoding/json.
func decode(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()

	br := bufio.NewReaderSize(f, 256<<10)
	var lines int
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			var v any
			if err := json.Unmarshal(line, &v); err != nil {
				return fmt.Errorf("%s line %d: %w", path, lines+1, err)
			}
			lines++
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
	}
	if lines == 0 {
		return fmt.Errorf("%s is empty", path)
	}
	return nil
}

func compare(args []string) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	runs := fs.Int("runs", 3, "run each command this many times and keep the fastest")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return errors.New("usage: benchtool compare [-runs N] STORE SUMMARY-BINARY")
	}
	store, summary := fs.Arg(0), fs.Arg(1)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	info, err := os.Stat(store)
	if err != nil {
		return err
	}

	base, err := measure(*runs, self, "decode", store)
	if err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	sum, err := measure(*runs, summary, "-store", store)
	if err != nil {
		return fmt.Errorf("tlsrpt-summary: %w", err)
	}

	policies, details, err := countGroups(summary, store)
	if err != nil {
		return fmt.Errorf("tlsrpt-summary -json: %w", err)
	}

	fmt.Printf("store:                 %s, %.0f MiB\n", store, float64(info.Size())/(1<<20))
	fmt.Printf("groups:                %d policies, %d failure-detail groups\n", policies, details)
	fmt.Printf("read + decode to any:  %6.2f s  peak RSS %4.0f MiB\n", base.wall.Seconds(), base.maxRSSMiB)
	fmt.Printf("tlsrpt-summary:        %6.2f s  peak RSS %4.0f MiB\n", sum.wall.Seconds(), sum.maxRSSMiB)
	fmt.Printf("ratio summary/decode:  %6.2f (goal: at most 2)\n", sum.wall.Seconds()/base.wall.Seconds())
	return nil
}

// countGroups runs tlsrpt-summary -json and counts the groups it keeps in
// memory, which bound its memory use.
func countGroups(summary, store string) (policies, details int, err error) {
	cmd := exec.Command(summary, "-json", "-store", store)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	var exitErr *exec.ExitError
	if err != nil && !(errors.As(err, &exitErr) && exitErr.ExitCode() == 1) {
		return 0, 0, err
	}
	var doc struct {
		Policies []struct {
			Failures []json.RawMessage `json:"failure-details"`
		} `json:"policies"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		return 0, 0, err
	}
	for _, p := range doc.Policies {
		details += len(p.Failures)
	}
	return len(doc.Policies), details, nil
}

type measurement struct {
	wall      time.Duration
	maxRSSMiB float64
}

// measure runs a command runs times with its output discarded and returns
// the fastest wall time and the largest peak RSS. Exit status 1 is
// accepted: tlsrpt-summary uses it for "failures found".
func measure(runs int, name string, args ...string) (measurement, error) {
	var best measurement
	for i := 0; i < runs; i++ {
		cmd := exec.Command(name, args...)
		cmd.Stderr = os.Stderr
		begin := time.Now()
		err := cmd.Run()
		wall := time.Since(begin)
		var exitErr *exec.ExitError
		if err != nil && !(errors.As(err, &exitErr) && exitErr.ExitCode() == 1) {
			return best, err
		}
		if best.wall == 0 || wall < best.wall {
			best.wall = wall
		}
		if usage, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			best.maxRSSMiB = max(best.maxRSSMiB, float64(usage.Maxrss)/1024) // Linux reports KiB
		}
	}
	return best, nil
}

// generate writes a store of n reports shaped like real ones. Google and
// Mail.ru send one sts policy, and Microsoft an sts and a tlsa policy for
// the same sessions. One policy in 20 has one to three failure details.
func generate(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	n := fs.Int("n", 1_000_000, "number of reports")
	seed := fs.Uint64("seed", 1, "random seed; the output depends only on it and -n")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: benchtool gen [-n N] [-seed S] STORE")
	}
	f, err := os.Create(fs.Arg(0))
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	g := &generator{rng: rand.New(rand.NewPCG(*seed, *seed^0x5851f42d4c957f2d))}

	var line []byte
	for i := range *n {
		line = g.report(i).AppendJSON(line[:0])
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

type generator struct {
	rng *rand.Rand
}

var resultTypes = []string{
	"starttls-not-supported", "certificate-host-mismatch", "certificate-expired",
	"certificate-not-trusted", "validation-failure", "sts-policy-fetch-error",
}

func (g *generator) report(i int) *report.Report {
	domain := fmt.Sprintf("example%d.net", g.rng.IntN(1000))
	day := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, g.rng.IntN(365))
	successful := int64(g.rng.IntN(5000))
	mode := []string{"enforce", "enforce", "testing"}[g.rng.IntN(3)]
	sts := report.Policy{
		Type:       "sts",
		Strings:    []string{"version: STSv1", "mode: " + mode, "mx: mx1." + domain, "mx: mx2." + domain, "max_age: 604800"},
		Domain:     domain,
		MXHosts:    []string{"mx1." + domain, "mx2." + domain},
		Successful: successful,
	}
	if g.rng.IntN(20) == 0 {
		for range 1 + g.rng.IntN(3) {
			d := report.FailureDetail{
				ResultType:          resultTypes[g.rng.IntN(len(resultTypes))],
				SendingMTAIP:        fmt.Sprintf("209.85.%d.%d", g.rng.IntN(4), g.rng.IntN(256)),
				ReceivingMXHostname: fmt.Sprintf("mx%d.%s", 1+g.rng.IntN(2), domain),
				ReceivingIP:         fmt.Sprintf("192.0.2.%d", g.rng.IntN(8)),
				FailedSessionCount:  int64(1 + g.rng.IntN(10)),
			}
			sts.FailureDetails = append(sts.FailureDetails, d)
			sts.Failed += d.FailedSessionCount
		}
	}

	r := &report.Report{
		Start:    day,
		Ingested: day.Add(30 * time.Hour),
	}
	switch g.rng.IntN(3) {
	case 0:
		r.OrganizationName, r.ContactInfo = "Google Inc.", "smtp-tls-reporting@google.com"
		r.End = day.Add(24*time.Hour - time.Second)
		r.ReportID = fmt.Sprintf("%s_%d+%s", day.Format(time.RFC3339), i, domain)
		r.Policies = []report.Policy{sts}
	case 1:
		r.OrganizationName, r.ContactInfo = "Microsoft Corporation", "tlsrpt-noreply@microsoft.com"
		r.End = day.Add(24 * time.Hour)
		r.ReportID = fmt.Sprintf("%d", 133000000000000000+i)
		tlsa := sts
		tlsa.Type = "tlsa"
		tlsa.Strings = []string{`["3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6"]`}
		tlsa.MXHosts = nil
		r.Policies = []report.Policy{sts, tlsa}
	default:
		r.OrganizationName, r.ContactInfo = "Mail.ru", "tls_support@corp.mail.ru"
		r.End = day.Add(24 * time.Hour)
		r.ReportID = fmt.Sprintf("mail.ru-%d", i)
		r.Policies = []report.Policy{sts}
	}

	sum := sha256.Sum256(r.AppendRFC(nil))
	r.Source = &report.Source{
		Input:    "-",
		Message:  1 + i%500,
		Part:     "2",
		Filename: r.OrganizationName + "!" + domain + "!" + day.Format("20060102") + ".json.gz",
		SHA256:   hex.EncodeToString(sum[:]),
	}
	return r
}
