package imaptest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"
)

// DovecotBinary is the path of the Dovecot binary in the Debian package dovecot-core.
const DovecotBinary = "/usr/sbin/dovecot"

// ErrNoDovecot is returned by StartDovecot when the binary is missing.
var ErrNoDovecot = errors.New("imaptest: dovecot is not installed (Debian package dovecot-imapd)")

// DovecotOptions configures StartDovecot.
type DovecotOptions struct {
	Binary   string // default DovecotBinary
	User     string // default "reports"
	Password string // default "reports-password"
}

// StartDovecot starts a Dovecot instance that keeps its configuration,
// sockets, logs and Maildir under dir and listens on two free ports of
// 127.0.0.1. It works as root and as an ordinary user: as root the login
// and internal processes run as the package's users dovenull and dovecot
// and mail is accessed as dovecot, otherwise everything runs as the
// calling user. dir must be an absolute path.
func StartDovecot(dir string, opts DovecotOptions) (*Server, error) {
	if opts.Binary == "" {
		opts.Binary = DovecotBinary
	}
	if opts.User == "" {
		opts.User = "reports"
	}
	if opts.Password == "" {
		opts.Password = "reports-password"
	}
	if _, err := os.Stat(opts.Binary); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoDovecot, err)
	}
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("imaptest: dovecot directory %q is not absolute", dir)
	}

	ids, err := dovecotIdentities()
	if err != nil {
		return nil, err
	}
	cert, err := newCertificate()
	if err != nil {
		return nil, err
	}

	// A port found free may be taken before Dovecot binds it, so try a
	// few times.
	var lastErr error
	for range 3 {
		server, err := startDovecotOnce(dir, opts, ids, cert)
		if err == nil {
			return server, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

// identities names the system users Dovecot runs as.
type identities struct {
	Internal, Login  string // default_internal_user, default_login_user
	MailUID, MailGID int    // owner of the Maildir
	Root             bool
}

func dovecotIdentities() (identities, error) {
	if os.Geteuid() != 0 {
		current, err := user.Current()
		if err != nil {
			return identities{}, fmt.Errorf("imaptest: %w", err)
		}
		return identities{
			Internal: current.Username, Login: current.Username,
			MailUID: os.Geteuid(), MailGID: os.Getegid(),
		}, nil
	}
	internal, err := user.Lookup("dovecot")
	if err != nil {
		return identities{}, fmt.Errorf("imaptest: the user dovecot of the Debian package is missing: %w", err)
	}
	if _, err := user.Lookup("dovenull"); err != nil {
		return identities{}, fmt.Errorf("imaptest: the user dovenull of the Debian package is missing: %w", err)
	}
	uid, _ := strconv.Atoi(internal.Uid)
	gid, _ := strconv.Atoi(internal.Gid)
	return identities{Internal: "dovecot", Login: "dovenull", MailUID: uid, MailGID: gid, Root: true}, nil
}

var dovecotConfig = template.Must(template.New("dovecot.conf").Parse(`# Written by imaptest for one test instance.
instance_name = {{.Instance}}
base_dir = {{.Dir}}/run
state_dir = {{.Dir}}/state
log_path = {{.Dir}}/dovecot.log
protocols = imap
listen = 127.0.0.1
shutdown_clients = yes
default_internal_user = {{.IDs.Internal}}
default_internal_group = {{.InternalGroup}}
default_login_user = {{.IDs.Login}}
first_valid_uid = {{.IDs.MailUID}}
last_valid_uid = {{.IDs.MailUID}}
first_valid_gid = 0
mail_location = maildir:{{.Dir}}/mail/%u
mail_privileged_group =
# Test mail needs no durability, and fsync makes APPEND slow.
mail_fsync = never
auth_mechanisms = plain
ssl = yes
ssl_cert = <{{.Dir}}/cert.pem
ssl_key = <{{.Dir}}/key.pem
ssl_min_protocol = TLSv1.2

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {{.Dir}}/passwd
}
userdb {
  driver = static
  args = uid={{.IDs.MailUID}} gid={{.IDs.MailGID}} home={{.Dir}}/home/%u
}

service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = {{.PlainPort}}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = {{.TLSPort}}
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
  inet_listener pop3s {
    port = 0
  }
}
service anvil {
  chroot =
}
service stats {
  unix_listener stats-reader {
    mode = 0600
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
`))

func startDovecotOnce(dir string, opts DovecotOptions, ids identities, cert *certificate) (*Server, error) {
	tlsPort, err := freePort()
	if err != nil {
		return nil, err
	}
	plainPort, err := freePort()
	if err != nil {
		return nil, err
	}
	if tlsPort == plainPort {
		return nil, errors.New("imaptest: found the same free port twice")
	}

	if err := os.RemoveAll(filepath.Join(dir, "run")); err != nil {
		return nil, fmt.Errorf("imaptest: %w", err)
	}
	for _, sub := range []string{"run", "state", "mail", "home"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("imaptest: %w", err)
		}
	}
	files := map[string][]byte{
		"cert.pem": cert.certPEM,
		"key.pem":  cert.keyPEM,
		"passwd":   []byte(opts.User + ":{PLAIN}" + opts.Password + "::::::\n"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, fmt.Errorf("imaptest: %w", err)
		}
	}

	internalGroup := ids.Internal
	if !ids.Root {
		group, err := user.LookupGroupId(strconv.Itoa(ids.MailGID))
		if err != nil {
			return nil, fmt.Errorf("imaptest: %w", err)
		}
		internalGroup = group.Name
	}
	var config bytes.Buffer
	err = dovecotConfig.Execute(&config, map[string]any{
		"Instance":      "tlsrpt-imaptest-" + strconv.Itoa(tlsPort),
		"Dir":           dir,
		"IDs":           ids,
		"InternalGroup": internalGroup,
		"TLSPort":       tlsPort,
		"PlainPort":     plainPort,
	})
	if err != nil {
		return nil, fmt.Errorf("imaptest: %w", err)
	}
	configPath := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(configPath, config.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("imaptest: %w", err)
	}
	if ids.Root {
		// The auth and mail processes run as dovecot and must read the
		// passwd file and reach the Maildir.
		if err := chownTree(dir, ids); err != nil {
			return nil, err
		}
	}

	cmd := exec.Command(opts.Binary, "-F", "-c", configPath)
	var output bytes.Buffer
	cmd.Stdout = &output
	cmd.Stderr = &output
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("imaptest: start dovecot: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	stop := func() error {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
			return nil
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
			return errors.New("imaptest: dovecot did not stop within 10s after SIGTERM and was killed")
		}
	}

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(tlsPort))
	if err := waitListening(addr, exited); err != nil {
		stop()
		logData, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
		return nil, fmt.Errorf("imaptest: dovecot did not start: %w\noutput: %s\nlog: %s", err, output.Bytes(), lastLines(logData, 20))
	}

	return &Server{
		Host:      "127.0.0.1",
		TLSPort:   tlsPort,
		PlainPort: plainPort,
		CAPEM:     cert.certPEM,
		User:      opts.User,
		Password:  opts.Password,
		close:     stop,
		maildir: &maildir{
			root: filepath.Join(dir, "mail", opts.User),
			uid:  ids.MailUID, gid: ids.MailGID, chown: ids.Root,
		},
	}, nil
}

func chownTree(dir string, ids identities) error {
	// Directories above dir (such as a test's 0700 temporary directory)
	// must be searchable by the mail user.
	for d := dir; d != "/" && d != "."; d = filepath.Dir(d) {
		info, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("imaptest: %w", err)
		}
		if info.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(d, info.Mode().Perm()|0o011); err != nil {
				return fmt.Errorf("imaptest: make %s searchable by the dovecot user: %w", d, err)
			}
		}
	}
	if err := os.Chown(filepath.Join(dir, "passwd"), ids.MailUID, ids.MailGID); err != nil {
		return fmt.Errorf("imaptest: %w", err)
	}
	for _, sub := range []string{"mail", "home"} {
		err := filepath.Walk(filepath.Join(dir, sub), func(path string, _ os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(path, ids.MailUID, ids.MailGID)
		})
		if err != nil {
			return fmt.Errorf("imaptest: %w", err)
		}
	}
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("imaptest: find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitListening waits until addr accepts connections, the process exits or
// 15 seconds pass.
func waitListening(addr string, exited <-chan error) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("dovecot exited: %v", err)
		default:
		}
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("nothing listens on %s after 15s", addr)
}

func lastLines(data []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// RequireDovecotEnv is the environment variable that, set to 1, turns a
// missing Dovecot into a test failure instead of a skip.
const RequireDovecotEnv = "TLSRPT_REQUIRE_DOVECOT"

// DovecotRequired reports whether RequireDovecotEnv is set to 1.
func DovecotRequired() bool {
	return os.Getenv(RequireDovecotEnv) == "1"
}
