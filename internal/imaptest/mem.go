package imaptest

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// MemOptions configures StartMemServer.
type MemOptions struct {
	User     string // default "reports"
	Password string // default "reports-password"

	// Mailboxes maps mailbox names to their initial messages. INBOX always
	// exists.
	Mailboxes map[string][]Message

	// RejectHeaderSearch makes SEARCH with a HEADER key fail with BAD, as
	// some servers do.
	RejectHeaderSearch bool
	// RejectCharset makes SEARCH with any CHARSET fail with NO [BADCHARSET].
	RejectCharset bool
	// NoMove removes the MOVE capability and command.
	NoMove bool
	// DropAfterMessages, when positive, closes the connection after that
	// many messages were sent with a body section, counted over the
	// server's lifetime.
	DropAfterMessages int
	// OmitOnce lists UIDs that the first FETCH with a body section for
	// them leaves out of its response, as servers do for a message being
	// expunged or one they fail to read. Later FETCHes return them.
	OmitOnce []imap.UID

	// LoginUnavailable makes LOGIN fail with NO [UNAVAILABLE], the RFC
	// 5530 code of a server that cannot check credentials for now.
	LoginUnavailable bool

	// Logger receives the server's error messages; nil discards them.
	Logger *log.Logger
}

// StartMemServer starts an in-memory IMAP server on 127.0.0.1 loaded with
// opts.Mailboxes.
func StartMemServer(opts MemOptions) (*Server, error) {
	if opts.User == "" {
		opts.User = "reports"
	}
	if opts.Password == "" {
		opts.Password = "reports-password"
	}
	if opts.Logger == nil {
		opts.Logger = log.New(io.Discard, "", 0)
	}

	cert, err := newCertificate()
	if err != nil {
		return nil, err
	}
	user := imapmemserver.NewUser(opts.User, opts.Password)
	if err := user.Create("INBOX", nil); err != nil {
		return nil, fmt.Errorf("imaptest: create INBOX: %w", err)
	}
	for name, msgs := range opts.Mailboxes {
		if err := loadMailbox(user, name, msgs); err != nil {
			return nil, err
		}
	}
	mem := imapmemserver.New()
	mem.AddUser(user)

	caps := imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}}
	if !opts.NoMove {
		caps[imap.CapMove] = struct{}{}
	}
	var counter bodyCounter
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert.tls}}
	server := imapserver.New(&imapserver.Options{
		NewSession: func(conn *imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			sess := &memSession{Session: mem.NewSession(), opts: &opts, conn: conn, counter: &counter}
			if opts.NoMove {
				return sess, nil, nil
			}
			return &memSessionMove{sess}, nil, nil
		},
		Caps:         caps,
		Logger:       opts.Logger,
		TLSConfig:    tlsConfig,
		InsecureAuth: true,
	})

	plainLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("imaptest: %w", err)
	}
	tlsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		plainLn.Close()
		return nil, fmt.Errorf("imaptest: %w", err)
	}
	var plainListener, tlsListener net.Listener = plainLn, tls.NewListener(tlsLn, tlsConfig)
	if opts.RejectCharset {
		plainListener = charsetListener{plainListener}
		tlsListener = charsetListener{tlsListener}
	}

	var wg sync.WaitGroup
	for _, ln := range []net.Listener{plainListener, tlsListener} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			server.Serve(ln)
		}()
	}

	return &Server{
		Host:      "127.0.0.1",
		TLSPort:   tlsLn.Addr().(*net.TCPAddr).Port,
		PlainPort: plainLn.Addr().(*net.TCPAddr).Port,
		CAPEM:     cert.certPEM,
		User:      opts.User,
		Password:  opts.Password,
		close: func() error {
			err := server.Close()
			// Serve leaves a listener open when Close runs before Serve
			// started, so close both here too.
			plainLn.Close()
			tlsLn.Close()
			wg.Wait()
			return err
		},
	}, nil
}

func loadMailbox(user *imapmemserver.User, name string, msgs []Message) error {
	if name != "INBOX" {
		if err := user.Create(name, nil); err != nil {
			return fmt.Errorf("imaptest: create mailbox %q: %w", name, err)
		}
	}
	for i, msg := range msgs {
		date := msg.InternalDate
		if date.IsZero() {
			date = time.Now()
		}
		literal := literalReader{Reader: bytes.NewReader(msg.Data), size: int64(len(msg.Data))}
		if _, err := user.Append(name, literal, &imap.AppendOptions{Flags: msg.Flags, Time: date}); err != nil {
			return fmt.Errorf("imaptest: load message %d into %q: %w", i+1, name, err)
		}
	}
	return nil
}

type literalReader struct {
	io.Reader
	size int64
}

func (r literalReader) Size() int64 { return r.size }

// bodyCounter counts the messages sent with a body section by all
// sessions of a server.
type bodyCounter struct {
	mu      sync.Mutex
	count   int
	omitted map[imap.UID]bool // UIDs of OmitOnce already left out
}

// omit reports whether uid is in omitOnce and was not omitted before, and
// records it as omitted.
func (c *bodyCounter) omit(omitOnce []imap.UID, uid imap.UID) bool {
	if !slices.Contains(omitOnce, uid) {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.omitted == nil {
		c.omitted = map[imap.UID]bool{}
	}
	if c.omitted[uid] {
		return false
	}
	c.omitted[uid] = true
	return true
}

// take reserves one message and reports whether the limit allows it.
func (c *bodyCounter) take(limit int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.count >= limit {
		return false
	}
	c.count++
	return true
}

// memSession wraps an imapmemserver session with the behaviour that
// MemOptions requests. It lacks the Move method; memSessionMove adds it.
type memSession struct {
	imapserver.Session
	opts    *MemOptions
	conn    *imapserver.Conn
	counter *bodyCounter
}

func (s *memSession) Login(username, password string) error {
	if s.opts.LoginUnavailable {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeUnavailable, Text: "Temporary authentication failure"}
	}
	return s.Session.Login(username, password)
}

func (s *memSession) Search(kind imapserver.NumKind, criteria *imap.SearchCriteria, options *imap.SearchOptions) (*imap.SearchData, error) {
	if s.opts.RejectHeaderSearch && hasHeaderKey(criteria) {
		return nil, &imap.Error{Type: imap.StatusResponseTypeBad, Text: "HEADER search is not supported"}
	}
	return s.Session.Search(kind, criteria, options)
}

// hasHeaderKey reports whether criteria use the HEADER key. SUBJECT, FROM,
// TO, CC and BCC arrive as header fields too but are keys of their own.
func hasHeaderKey(criteria *imap.SearchCriteria) bool {
	for _, field := range criteria.Header {
		switch strings.ToUpper(field.Key) {
		case "BCC", "CC", "FROM", "SUBJECT", "TO":
		default:
			return true
		}
	}
	for i := range criteria.Not {
		if hasHeaderKey(&criteria.Not[i]) {
			return true
		}
	}
	for _, pair := range criteria.Or {
		if hasHeaderKey(&pair[0]) || hasHeaderKey(&pair[1]) {
			return true
		}
	}
	return false
}

var errDropped = errors.New("imaptest: connection dropped on purpose")

func (s *memSession) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions) error {
	if (s.opts.DropAfterMessages <= 0 && len(s.opts.OmitOnce) == 0) || len(options.BodySection) == 0 {
		return s.Session.Fetch(w, numSet, options)
	}

	// Send the messages one by one, so the connection can be closed
	// between two of them and a message can be left out.
	kind := imapserver.NumKindSeq
	criteria := &imap.SearchCriteria{SeqNum: []imap.SeqSet{}}
	if uids, ok := numSet.(imap.UIDSet); ok {
		kind = imapserver.NumKindUID
		criteria = &imap.SearchCriteria{UID: []imap.UIDSet{uids}}
	} else {
		criteria.SeqNum = append(criteria.SeqNum, numSet.(imap.SeqSet))
	}
	found, err := s.Session.Search(kind, criteria, &imap.SearchOptions{})
	if err != nil {
		return err
	}

	nums := found.AllSeqNums()
	if kind == imapserver.NumKindUID {
		nums = nil
		for _, uid := range found.AllUIDs() {
			nums = append(nums, uint32(uid))
		}
	}
	for _, num := range nums {
		if kind == imapserver.NumKindUID && s.counter.omit(s.opts.OmitOnce, imap.UID(num)) {
			continue
		}
		if s.opts.DropAfterMessages > 0 && !s.counter.take(s.opts.DropAfterMessages) {
			s.conn.NetConn().Close()
			return errDropped
		}
		var one imap.NumSet = imap.SeqSetNum(num)
		if kind == imapserver.NumKindUID {
			one = imap.UIDSetNum(imap.UID(num))
		}
		if err := s.Session.Fetch(w, one, options); err != nil {
			return err
		}
	}
	return nil
}

type memSessionMove struct {
	*memSession
}

func (s *memSessionMove) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) error {
	return s.Session.(imapserver.SessionMove).Move(w, numSet, dest)
}

// charsetListener wraps the connections of a listener so that every
// SEARCH command naming a CHARSET names one the server rejects. The
// rewrite works on cleartext only, so it applies on the implicit TLS port
// and on the cleartext port until STARTTLS.
type charsetListener struct {
	net.Listener
}

func (ln charsetListener) Accept() (net.Conn, error) {
	conn, err := ln.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return charsetConn{conn}, nil
}

var searchCharset = regexp.MustCompile(`(?i)(?:^|\n)\S+ (?:UID )?SEARCH [^\r\n]*?CHARSET ([^\s]+)`)

// charsetConn overwrites the charset name of a SEARCH command with as many
// "X" characters, in place, so no buffering is needed. A command split
// over two reads escapes the rewrite, which the clients under test do not
// do.
type charsetConn struct {
	net.Conn
}

func (c charsetConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	for _, m := range searchCharset.FindAllSubmatchIndex(p[:n], -1) {
		for i := m[2]; i < m[3]; i++ {
			p[i] = 'X'
		}
	}
	return n, err
}
