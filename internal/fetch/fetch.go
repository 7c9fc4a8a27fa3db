// Package fetch reads report mails from an IMAP mailbox with go-imap v2.
// It connects and logs in, and selects the messages that carry an RFC 8460
// report. It fetches them in bounded UID batches without setting \Seen,
// and afterwards marks or moves the ones handed over.
package fetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
)

// TLSMode is the security of the connection.
type TLSMode string

const (
	TLSImplicit TLSMode = "implicit" // TLS from the first byte, port 993
	TLSStartTLS TLSMode = "starttls" // STARTTLS on a cleartext connection, port 143
	TLSNone     TLSMode = "none"     // cleartext; accepted for loopback addresses only
)

// Filter selects the messages to hand over.
type Filter string

const (
	// FilterHeader selects messages with a TLS-Report-Domain header, which
	// RFC 8460 section 5.3 requires in every report mail.
	FilterHeader Filter = "header"
	// FilterSubject selects messages whose subject contains "Report Domain:",
	// the subject form of RFC 8460 section 5.3.
	FilterSubject Filter = "subject"
	// FilterAll selects every message.
	FilterAll Filter = "all"
)

// Options configures a Session.
type Options struct {
	Server   string
	Port     int
	TLS      TLSMode
	RootCAs  *x509.CertPool // nil means the system pool
	User     string
	Password string
	Mailbox  string

	// ReadWrite selects the mailbox with SELECT instead of EXAMINE, as
	// MarkSeen and Move need.
	ReadWrite bool

	DialTimeout time.Duration // default 30s

	// IdleTimeout bounds the wait for each read from the server: a server
	// that sends nothing for that long fails the run with ErrDropped or
	// ErrConnect. Default 2 minutes.
	IdleTimeout time.Duration

	// Trace receives the protocol exchange with the password redacted;
	// nil disables the trace.
	Trace  io.Writer
	Logger *slog.Logger // nil discards
}

// ErrConnect, ErrTLS, ErrLogin and ErrUnavailable classify the errors of
// Open, so the command can pick an exit code.
var (
	ErrConnect = errors.New("connection failed")
	ErrTLS     = errors.New("TLS failed")
	ErrLogin   = errors.New("login failed")
	// ErrUnavailable wraps a login that the server refused for a reason
	// of its own, such as a password database it cannot read now.
	ErrUnavailable = errors.New("server unavailable")
	// ErrDropped wraps an error of a connection that broke after login.
	ErrDropped = errors.New("connection lost")
)

// Session is a logged-in connection with a selected mailbox.
type Session struct {
	opts        Options
	client      *imapclient.Client
	trace       *redactor
	logger      *slog.Logger
	addr        string
	uidValidity uint32
	uidNext     imap.UID
	numMessages uint32
	stopClose   func() bool
}

// UIDValidity returns the UIDVALIDITY of the selected mailbox.
func (s *Session) UIDValidity() uint32 { return s.uidValidity }

// UIDNext returns the UIDNEXT of the selected mailbox at SELECT time, or 0
// when the server did not send it.
func (s *Session) UIDNext() imap.UID { return s.uidNext }

// NumMessages returns the number of messages in the selected mailbox.
func (s *Session) NumMessages() uint32 { return s.numMessages }

// Addr returns the server address as host:port.
func (s *Session) Addr() string { return s.addr }

// Open connects to the server, logs in and selects the mailbox. The
// connection is closed when ctx is done. Errors wrap ErrConnect, ErrTLS or
// ErrLogin and name the server and what to check.
func Open(ctx context.Context, opts Options) (*Session, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 30 * time.Second
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 2 * time.Minute
	}
	if opts.Mailbox == "" {
		opts.Mailbox = "INBOX"
	}
	s := &Session{opts: opts, logger: opts.Logger, addr: net.JoinHostPort(opts.Server, strconv.Itoa(opts.Port))}

	client, err := s.dial(ctx)
	if err != nil {
		return nil, err
	}
	s.client = client
	s.stopClose = context.AfterFunc(ctx, func() { client.Close() })

	if err := s.login(); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.selectMailbox(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close logs out and closes the connection.
func (s *Session) Close() error {
	if s.stopClose != nil {
		s.stopClose()
	}
	if err := s.client.Logout().Wait(); err != nil {
		s.logger.Debug("logout failed", "server", s.addr, "error", err)
	}
	err := s.client.Close()
	if s.trace != nil {
		s.trace.Flush()
	}
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("close connection to %s: %w", s.addr, err)
	}
	return nil
}

func (s *Session) dial(ctx context.Context) (*imapclient.Client, error) {
	host := s.opts.Server
	dialAddr := s.addr
	if s.opts.TLS == TLSNone {
		ip, err := loopbackIP(ctx, host)
		if err != nil {
			return nil, err
		}
		// Dial the address that was checked, not the name again.
		dialAddr = net.JoinHostPort(ip.String(), strconv.Itoa(s.opts.Port))
	}

	dialer := &net.Dialer{Timeout: s.opts.DialTimeout}
	tcpConn, err := dialer.DialContext(ctx, "tcp", dialAddr)
	if err != nil {
		return nil, fmt.Errorf("%w: connect to %s: %w; check -server and -port and that the server accepts IMAP connections", ErrConnect, s.addr, err)
	}
	// go-imap v2.0.0-beta.8 sets no read deadline while it waits for a
	// response, so the connection sets one before every read.
	conn := &idleConn{Conn: tcpConn, timeout: s.opts.IdleTimeout}

	options := &imapclient.Options{
		TLSConfig: &tls.Config{ServerName: host, RootCAs: s.opts.RootCAs, NextProtos: []string{"imap"}, MinVersion: tls.VersionTLS12},
	}
	if s.opts.Trace != nil {
		s.trace = newRedactor(s.opts.Trace, s.opts.User, s.opts.Password)
		options.DebugWriter = s.trace
	}

	switch s.opts.TLS {
	case TLSImplicit:
		tlsConn := tls.Client(conn, options.TLSConfig)
		hsCtx, cancel := context.WithTimeout(ctx, s.opts.DialTimeout)
		defer cancel()
		if err := tlsConn.HandshakeContext(hsCtx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("%w: TLS handshake with %s: %w; check -port (implicit TLS is usually 993, use -tls starttls for 143) and -ca-file for a private CA", ErrTLS, s.addr, err)
		}
		return imapclient.New(tlsConn, options), nil
	case TLSStartTLS:
		client, err := imapclient.NewStartTLS(conn, options)
		if err != nil {
			return nil, fmt.Errorf("%w: STARTTLS with %s: %w; check -port (STARTTLS is usually 143, use -tls implicit for 993) and -ca-file for a private CA", ErrTLS, s.addr, err)
		}
		return client, nil
	case TLSNone:
		return imapclient.New(conn, options), nil
	default:
		conn.Close()
		return nil, fmt.Errorf("invalid TLS mode %q: use implicit, starttls or none", s.opts.TLS)
	}
}

// loopbackIP resolves host and returns its address when every address is a
// loopback one, because -tls none sends the password in clear.
func loopbackIP(ctx context.Context, host string) (net.IP, error) {
	ips, err := net.DefaultResolver.LookupIP(ctx, "ip", host)
	if err != nil {
		return nil, fmt.Errorf("%w: resolve %s: %w; check -server", ErrConnect, host, err)
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return nil, fmt.Errorf("-tls none is accepted only for a loopback address, and %s resolves to %s; use -tls implicit or -tls starttls", host, ip)
		}
	}
	return ips[0], nil
}

func (s *Session) login() error {
	if err := s.client.WaitGreeting(); err != nil {
		return fmt.Errorf("%w: greeting from %s: %w; check that -server and -port name an IMAP server", ErrConnect, s.addr, err)
	}
	if s.client.State() == imap.ConnStateAuthenticated {
		return nil // PREAUTH
	}

	var err error
	caps := s.client.Caps()
	if caps.Has(imap.CapLoginDisabled) && caps.Has(imap.AuthCap("PLAIN")) {
		err = s.client.Authenticate(sasl.NewPlainClient("", s.opts.User, s.opts.Password))
	} else {
		err = s.client.Login(s.opts.User, s.opts.Password).Wait()
	}
	var imapErr *imap.Error
	if errors.As(err, &imapErr) && imapErr.Code == imap.ResponseCodeUnavailable {
		// RFC 5530 section 3: UNAVAILABLE is a temporary failure of the
		// server, not wrong credentials.
		return fmt.Errorf("%w: login to %s as %q: %w; the server cannot check credentials now, try again later",
			ErrUnavailable, s.addr, s.opts.User, wrapResponse(err))
	}
	if err != nil {
		return fmt.Errorf("%w: login to %s as %q: %w; check -user and the password (-pass, -pass-file, IMAP_PASS or IMAP_PASS_FILE)",
			ErrLogin, s.addr, s.opts.User, wrapResponse(err))
	}
	return nil
}

func (s *Session) selectMailbox() error {
	data, err := s.client.Select(s.opts.Mailbox, &imap.SelectOptions{ReadOnly: !s.opts.ReadWrite}).Wait()
	if err != nil {
		return s.commandError(fmt.Sprintf("select mailbox %q", s.opts.Mailbox), err, "check -mailbox")
	}
	s.uidValidity = data.UIDValidity
	s.uidNext = data.UIDNext
	s.numMessages = data.NumMessages
	return nil
}

// commandError wraps an error of a command: a server response keeps its
// text and gets the hint, anything else means the connection broke.
func (s *Session) commandError(what string, err error, hint string) error {
	var imapErr *imap.Error
	if errors.As(err, &imapErr) {
		return fmt.Errorf("%s on %s: %w; %s", what, s.addr, wrapResponse(err), hint)
	}
	return fmt.Errorf("%w: %s on %s: %w", ErrDropped, what, s.addr, err)
}

// idleConn is a connection whose every Read fails with a timeout error
// after the server has sent nothing for timeout.
type idleConn struct {
	net.Conn
	timeout time.Duration
}

func (c *idleConn) Read(p []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}
