package main

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tlsrpt/tlsrpt/internal/cli"
	"github.com/tlsrpt/tlsrpt/internal/store"
	"github.com/tlsrpt/tlsrpt/internal/store/storetest"
)

// TestConcurrentIngest starts 16 processes at once on one store, as
// procmail does with one ingest per delivered message, each with reports
// that overlap those of its neighbours, in its own order.
func TestConcurrentIngest(t *testing.T) {
	const (
		processes = 16
		perInput  = 200
		step      = 50
	)
	path := filepath.Join(t.TempDir(), "store.jsonl")
	runProcess(t, storetest.Lines(0, 10), nil, "-store", path) // a store with an index to start from

	inputs := make([][]byte, processes)
	for p := range inputs {
		numbers := rand.Perm(perInput)
		for _, n := range numbers {
			inputs[p] = storetest.AppendLine(inputs[p], p*step+n, 0)
		}
	}

	results := make([]result, processes)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for p := range processes {
		wg.Go(func() {
			<-start
			results[p] = runProcess(t, inputs[p], nil, "-store", path, "-lock-timeout", "60s")
		})
	}
	close(start)
	wg.Wait()

	var printed []string
	for p, res := range results {
		if res.code != cli.ExitOK {
			t.Errorf("process %d: exit %d: %s", p, res.code, res.stderr)
		}
		printed = append(printed, decodeKeys(t, res.stdout)...)
	}

	lines := storeLines(t, path) // fails on torn, interleaved or duplicate lines
	want := (processes-1)*step + perInput
	if len(lines) != want {
		t.Errorf("store has %d lines, want %d distinct reports", len(lines), want)
	}
	stored := decodeKeys(t, strings.Join(lines[10:], "\n"))
	slices.Sort(printed)
	slices.Sort(stored)
	if !slices.Equal(printed, stored) {
		t.Errorf("the processes printed %d lines, %d were stored by them; each stored line must be printed once", len(printed), len(stored))
	}

	// The index agrees with the store: nothing of it is new.
	var all []byte
	for _, input := range inputs {
		all = append(all, input...)
	}
	again := runProcess(t, all, nil, "-store", path)
	if again.code != cli.ExitOK || again.stdout != "" {
		t.Errorf("rerun of all inputs: exit %d, stdout %d bytes, want 0 and nothing: %s", again.code, len(again.stdout), again.stderr)
	}
}

// TestCrashRecovery kills an ingest process with SIGKILL in the middle of
// a large write and checks what the next run finds.
func TestCrashRecovery(t *testing.T) {
	const reports = 200_000
	input := storetest.Lines(0, reports)

	for attempt := range 5 {
		path := filepath.Join(t.TempDir(), "store.jsonl")
		runProcess(t, storetest.Lines(reports, 5), nil, "-store", path)

		killed := killMidWrite(t, path, input)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		complete := bytes.LastIndexByte(data, '\n') + 1
		if complete == len(data) {
			t.Logf("attempt %d: the kill left no torn line; trying again", attempt)
			continue
		}
		t.Logf("killed after %d of %d bytes written, %s", complete, len(data), killed)

		// Every complete line is a valid report.
		complete_lines := storeLinesIn(t, data[:complete])
		torn := data[complete:]

		next := runProcess(t, append(storetest.Lines(0, 1000), storetest.Lines(reports+5, 10)...), nil, "-store", path)
		if next.code != cli.ExitOK {
			t.Fatalf("next run: exit %d: %s", next.code, next.stderr)
		}
		if !strings.Contains(next.stderr, "torn last line") {
			t.Errorf("next run does not warn about the torn line: %s", next.stderr)
		}
		recovered, err := os.ReadFile(path + store.TornSuffix)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(recovered, append(bytes.Clone(torn), '\n')) {
			t.Errorf("recovery file holds %d bytes, want the %d torn bytes and a newline", len(recovered), len(torn))
		}

		lines := storeLines(t, path)
		after, _ := os.ReadFile(path)
		if !bytes.HasPrefix(after, data[:complete]) {
			t.Errorf("the complete lines before the crash changed")
		}
		want := max(complete_lines, 1005) + 10
		if len(lines) != want {
			t.Errorf("store has %d lines, want %d (%d complete before the run)", len(lines), want, complete_lines)
		}
		return
	}
	t.Fatal("no attempt left a torn line")
}

// killMidWrite starts an ingest of input on the store at path and kills it
// with SIGKILL once the store has grown by a few megabytes.
func killMidWrite(t *testing.T, path string, input []byte) string {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "-store", path)
	cmd.Stdin = bytes.NewReader(input)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	threshold := info.Size() + 4<<20 + rand.Int64N(4<<20)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if info, err := os.Stat(path); err == nil && info.Size() > threshold {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		t.Fatalf("ingest finished before it was killed: %v", err)
	}
	return exitErr.String()
}

func storeLinesIn(t *testing.T, data []byte) int {
	t.Helper()
	path := filepath.Join(t.TempDir(), "copy.jsonl")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return len(storeLines(t, path))
}

func TestStoreLockTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.jsonl")
	runProcess(t, storetest.Lines(0, 3), nil, "-store", path)
	before, _ := os.ReadFile(path)

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}

	got := runProcess(t, storetest.Lines(3, 3), nil, "-store", path, "-lock-timeout", "300ms")
	if got.code != cli.ExitTempFail {
		t.Errorf("exit %d, want %d: %s", got.code, cli.ExitTempFail, got.stderr)
	}
	if !strings.Contains(got.stderr, "timed out") || !strings.Contains(got.stderr, "try again later") {
		t.Errorf("stderr %q does not say the lock timed out and to try again", got.stderr)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Errorf("store changed")
	}
}

// TestStoreFileSizeLimit makes writes fail part-way with RLIMIT_FSIZE,
// which any user can set: the write fails with EFBIG as it fails with
// ENOSPC on a full disk.
func TestStoreFileSizeLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.jsonl")
	runProcess(t, storetest.Lines(0, 100), nil, "-store", path)
	before, _ := os.ReadFile(path)

	limit := len(before) + 500<<10
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "-store", path)
	cmd.Env = append(os.Environ(), envExec+"="+binary, envFsize+"="+strconv.Itoa(limit))
	cmd.Stdin = bytes.NewReader(storetest.Lines(100, 5000))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Run()

	if code := cmd.ProcessState.ExitCode(); code != cli.ExitTempFail {
		t.Errorf("exit %d, want %d: %s", code, cli.ExitTempFail, stderr.String())
	}
	if !strings.Contains(stderr.String(), "file too large") {
		t.Errorf("stderr does not name the failure: %s", stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout has %d bytes, want nothing", stdout.Len())
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Errorf("store changed from %d to %d bytes", len(before), len(after))
	}
}

// mountTmpfs mounts a tmpfs of the given size in a new directory and
// returns it. It skips the test where mounting is not permitted.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v); TestStoreFileSizeLimit covers a failed write", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

func TestStoreDiskFull(t *testing.T) {
	dir := mountTmpfs(t, "1m")
	path := filepath.Join(dir, "store.jsonl")
	runProcess(t, storetest.Lines(0, 100), nil, "-store", path)
	before, _ := os.ReadFile(path)

	got := runProcess(t, storetest.Lines(100, 3000), nil, "-store", path)

	if got.code != cli.ExitTempFail {
		t.Errorf("exit %d, want %d: %s", got.code, cli.ExitTempFail, got.stderr)
	}
	if !strings.Contains(got.stderr, "no space left on device") {
		t.Errorf("stderr does not name the failure: %s", got.stderr)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Errorf("store changed from %d to %d bytes", len(before), len(after))
	}
}

func TestStoreReadOnly(t *testing.T) {
	var dir string
	if os.Geteuid() == 0 {
		dir = mountTmpfs(t, "4m") // root writes through file permissions
	} else {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, "store.jsonl")
	runProcess(t, storetest.Lines(0, 10), nil, "-store", path)
	before, _ := os.ReadFile(path)

	if os.Geteuid() == 0 {
		if err := syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
			t.Fatalf("remount read-only: %v", err)
		}
		t.Cleanup(func() { syscall.Mount("", dir, "", syscall.MS_REMOUNT, "") })
	} else if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}

	got := runProcess(t, storetest.Lines(5, 10), nil, "-store", path)
	if got.code != cli.ExitTempFail {
		t.Errorf("exit %d, want %d: %s", got.code, cli.ExitTempFail, got.stderr)
	}
	if got.stdout != "" {
		t.Errorf("stdout %q, want nothing", got.stdout)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Errorf("store changed")
	}

	// A dry run needs no write access.
	dry := runProcess(t, storetest.Lines(5, 10), nil, "-store", path, "-n")
	if dry.code != cli.ExitOK || strings.Count(dry.stdout, "\n") != 5 {
		t.Errorf("dry run: exit %d, %d lines, want 0 and 5: %s", dry.code, strings.Count(dry.stdout, "\n"), dry.stderr)
	}
}
