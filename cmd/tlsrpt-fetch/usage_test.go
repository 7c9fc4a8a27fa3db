package main

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsrpt/tlsrpt/internal/cli"
	"github.com/tlsrpt/tlsrpt/internal/cli/clitest"
	"github.com/tlsrpt/tlsrpt/internal/fetch"
)

var update = flag.Bool("update", false, "rewrite the usage block of docs/tlsrpt-fetch.md from the -h output")

func TestUsageDoc(t *testing.T) {
	res := runFetch(t, nil, "-h")
	if res.code != cli.ExitOK {
		t.Fatalf("-h exit code %d, want 0", res.code)
	}
	if len(res.stdout) != 0 {
		t.Errorf("-h wrote %d bytes to standard output", len(res.stdout))
	}
	clitest.CheckUsageDoc(t, "../../docs/tlsrpt-fetch.md", res.stderr, *update)
}

func TestFlagPrecedence(t *testing.T) {
	dir := t.TempDir()
	configFile := filepath.Join(dir, "fetch.conf")
	configText := "server config.example\nuser config-user\nmailbox ConfigBox\nfilter subject\nstate config.state\n"
	if err := os.WriteFile(configFile, []byte(configText), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want config
	}{
		{
			name: "config only",
			args: []string{"-config", configFile},
			want: config{server: "config.example", user: "config-user", mailbox: "ConfigBox", filter: "subject", state: "config.state"},
		},
		{
			name: "env over config",
			args: []string{"-config", configFile},
			env:  map[string]string{"IMAP_SERVER": "env.example", "IMAP_MAILBOX": "EnvBox", "TLSRPT_STATE": "env.state"},
			want: config{server: "env.example", user: "config-user", mailbox: "EnvBox", filter: "subject", state: "env.state"},
		},
		{
			name: "flag over env",
			args: []string{"-config", configFile, "-server", "flag.example", "-state", "flag.state"},
			env:  map[string]string{"IMAP_SERVER": "env.example", "IMAP_USER": "env-user", "TLSRPT_STATE": "env.state"},
			want: config{server: "flag.example", user: "env-user", mailbox: "ConfigBox", filter: "subject", state: "flag.state"},
		},
		{
			name: "config from env",
			env:  map[string]string{"TLSRPT_CONFIG": configFile, "TLSRPT_FILTER": "all"},
			want: config{server: "config.example", user: "config-user", mailbox: "ConfigBox", filter: "all", state: "config.state"},
		},
		{
			name: "TLSRPT_ prefix does not set IMAP flags",
			env:  map[string]string{"TLSRPT_SERVER": "wrong.example", "IMAP_SERVER": "imap.example"},
			want: config{server: "imap.example", mailbox: "INBOX", filter: "header"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cfg config
			fs := newFlagSet(&cfg, &bytes.Buffer{})
			if _, err := parseFlags(fs, tc.args, func(name string) string { return tc.env[name] }); err != nil {
				t.Fatal(err)
			}
			got := config{server: cfg.server, user: cfg.user, mailbox: cfg.mailbox, filter: cfg.filter, state: cfg.state}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestPasswordSources(t *testing.T) {
	dir := t.TempDir()
	passFile := filepath.Join(dir, "pass")
	if err := os.WriteFile(passFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		want    string
		wantErr string
	}{
		{name: "env", env: map[string]string{"IMAP_PASS": "from-env"}, want: "from-env"},
		{name: "file from env", env: map[string]string{"IMAP_PASS_FILE": passFile}, want: "from-file"},
		{name: "file flag over env", args: []string{"-pass-file", passFile}, env: map[string]string{"IMAP_PASS": "from-env"}, want: "from-file"},
		{name: "flag over file from env", args: []string{"-pass", "from-flag"}, env: map[string]string{"IMAP_PASS_FILE": passFile}, want: "from-flag"},
		{name: "both flags", args: []string{"-pass", "x", "-pass-file", passFile}, wantErr: "both -pass and -pass-file"},
		{name: "none", wantErr: "missing password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cfg config
			fs := newFlagSet(&cfg, &bytes.Buffer{})
			args := append([]string{"-server", "127.0.0.1", "-user", "u"}, tc.args...)
			sources, err := parseFlags(fs, args, func(name string) string { return tc.env[name] })
			if err != nil {
				t.Fatal(err)
			}
			opts, _, err := sessionOptions(&cfg, sources)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if opts.Password != tc.want {
				t.Errorf("password from %q, want %q", opts.Password, tc.want)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no server", []string{"-user", "u"}, "missing -server"},
		{"bad filter", []string{"-server", "h", "-user", "u", "-pass", "p", "-filter", "body"}, `invalid -filter "body"`},
		{"bad tls", []string{"-server", "h", "-user", "u", "-pass", "p", "-tls", "ssl"}, `invalid -tls "ssl"`},
		{"bad since", []string{"-server", "h", "-user", "u", "-pass", "p", "-since", "yesterday"}, `invalid -since "yesterday"`},
		{"argument", []string{"-server", "h", "extra"}, `unexpected argument "extra"`},
		{"move to itself", []string{"-server", "h", "-user", "u", "-pass", "p", "-move-to", "INBOX"}, "is the mailbox being read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runFetch(t, nil, tc.args...)
			if res.code != cli.ExitUsage {
				t.Errorf("exit code %d, want %d", res.code, cli.ExitUsage)
			}
			if !strings.Contains(res.stderr, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, res.stderr)
			}
		})
	}
}

func TestRenderBar(t *testing.T) {
	for _, tc := range []struct {
		done, total int
		want        string
	}{
		{0, 10, "[          ] 0/10 messages"},
		{5, 10, "[=====     ] 5/10 messages"},
		{10, 10, "[==========] 10/10 messages"},
		{0, 0, "[==========] 0/0 messages"},
	} {
		if got := renderBar(tc.done, tc.total, 10); got != tc.want {
			t.Errorf("renderBar(%d, %d) = %q, want %q", tc.done, tc.total, got, tc.want)
		}
	}
}

func TestProgressKeepsLogLines(t *testing.T) {
	var out bytes.Buffer
	bar := newProgress(&out)
	bar.Start(2)
	bar.Write([]byte("tlsrpt-fetch: message uid=1\n"))
	bar.Add(2)
	bar.Finish()
	want := "\r[                              ] 0/2 messages\x1b[K" +
		"\r\x1b[K" + "tlsrpt-fetch: message uid=1\n" +
		"\r[                              ] 0/2 messages\x1b[K" +
		"\r[==============================] 2/2 messages\x1b[K" +
		"\r\x1b[K"
	if got := out.String(); got != want {
		t.Errorf("terminal output\n got %q\nwant %q", got, want)
	}
}

func TestStateLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fetch.state")
	unlock, err := fetch.LockState(path)
	if err != nil {
		t.Fatal(err)
	}
	res := runFetch(t, map[string]string{"IMAP_PASS": "p"}, "-server", "127.0.0.1", "-user", "u", "-state", path)
	if res.code != cli.ExitTempFail || !strings.Contains(res.stderr, "holds the state lock") {
		t.Errorf("second run: exit code %d, stderr:\n%s", res.code, res.stderr)
	}
	unlock()
}

func TestPasswordFileUnreadable(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "missing"), "read -pass-file: open " + filepath.Join(dir, "missing")},
		// A directory cannot be read as a file, even by root.
		{"directory", dir, "read -pass-file: read " + dir},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runFetch(t, nil, "-server", "127.0.0.1", "-user", "u", "-pass-file", tc.path)
			if res.code != cli.ExitFailure {
				t.Errorf("exit code %d, want %d: the flag is right, the file is not", res.code, cli.ExitFailure)
			}
			if !strings.Contains(res.stderr, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, res.stderr)
			}
			if strings.Contains(res.stderr, "invalid flags") {
				t.Errorf("stderr calls a file error a flag error:\n%s", res.stderr)
			}
		})
	}
}

func TestFileReadErrorPermission(t *testing.T) {
	err := &fileReadError{flag: "-pass-file", err: &fs.PathError{Op: "open", Path: "/etc/tlsrpt/imap-password", Err: fs.ErrPermission}}
	want := "read -pass-file: open /etc/tlsrpt/imap-password: permission denied; make the file readable by "
	if !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "which runs tlsrpt-fetch") {
		t.Errorf("error %q, want it to start with %q and name the user that runs tlsrpt-fetch", err, want)
	}
}
