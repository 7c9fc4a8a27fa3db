package fetch

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/textproto"
)

// Message is one message as fetched.
type Message struct {
	UID          imap.UID
	InternalDate time.Time
	Sender       string // envelope sender: Return-Path, else the ENVELOPE sender or from address; "" for none
	MessageID    string
	Data         []byte // the message bytes as the server sent them
}

// FetchOptions bounds Session.Fetch.
type FetchOptions struct {
	BatchSize int   // UIDs per UID FETCH; default 100
	MaxSize   int64 // larger messages are skipped and reported; default 64 MiB
	Retries   int   // extra UID FETCH rounds for UIDs that did not come back; 0 means a single request
}

// Result is the outcome of Session.Fetch.
type Result struct {
	HandedOver imap.UIDSet // UIDs passed to deliver
	Count      int
	Bytes      int64
	// LastUID is the highest UID such that every requested UID up to it
	// was handed over or skipped as too large. A later run may start
	// after it without losing mail.
	LastUID  imap.UID
	TooLarge []imap.UID
	Missing  []imap.UID // requested UIDs that did not come back after the retries
}

// Fetch fetches the messages with the given ascending UIDs with
// BODY.PEEK[], so no flag changes, in batches of opts.BatchSize. It calls
// deliver for each message and batchDone after each batch. A UID that does
// not come back is asked for again opts.Retries times. The message size
// is taken from the literal as it arrives; RFC822.SIZE is not used.
//
// On an error the Result still describes what was delivered.
func (s *Session) Fetch(ctx context.Context, uids []imap.UID, opts FetchOptions, deliver func(*Message) error, batchDone func() error) (*Result, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 100
	}
	if opts.MaxSize <= 0 {
		opts.MaxSize = 64 << 20
	}
	if opts.Retries < 0 {
		opts.Retries = 0
	}

	f := &fetcher{s: s, opts: opts, deliver: deliver, result: &Result{}, uids: uids}
	for start := 0; start < len(uids); start += opts.BatchSize {
		if err := ctx.Err(); err != nil {
			return f.result, err
		}
		batch := uids[start:min(start+opts.BatchSize, len(uids))]
		if err := f.fetchBatch(batch); err != nil {
			return f.result, err
		}
		if err := batchDone(); err != nil {
			return f.result, err
		}
	}
	return f.result, nil
}

type fetcher struct {
	s       *Session
	opts    FetchOptions
	deliver func(*Message) error
	result  *Result

	uids  []imap.UID
	next  int               // index in uids of the first UID not yet dealt with
	dealt map[imap.UID]bool // UIDs from uids[next:] that were dealt with
}

// fetchBatch fetches batch, asking again for the UIDs that did not come
// back, and records those still missing after opts.Retries extra rounds.
func (f *fetcher) fetchBatch(batch []imap.UID) error {
	pending := batch
	for round := 0; len(pending) > 0; round++ {
		if round > f.opts.Retries {
			f.result.Missing = append(f.result.Missing, pending...)
			f.s.logger.Warn("messages did not come back from UID FETCH; they were probably expunged meanwhile",
				"server", f.s.addr, "mailbox", f.s.opts.Mailbox, "uids", imap.UIDSetNum(pending...).String(), "attempts", round)
			return nil
		}
		if round > 0 {
			f.s.logger.Info("asking again for messages that did not come back", "uids", imap.UIDSetNum(pending...).String(), "attempt", round+1)
		}
		received, err := f.fetchOnce(pending)
		if err != nil {
			return err
		}
		var missing []imap.UID
		for _, uid := range pending {
			if !received[uid] {
				missing = append(missing, uid)
			}
		}
		pending = missing
	}
	return nil
}

func (f *fetcher) fetchOnce(uids []imap.UID) (map[imap.UID]bool, error) {
	options := &imap.FetchOptions{
		UID:          true,
		InternalDate: true,
		Envelope:     true,
		BodySection:  []*imap.FetchItemBodySection{{Peek: true}},
	}
	received := make(map[imap.UID]bool, len(uids))
	cmd := f.s.client.Fetch(imap.UIDSetNum(uids...), options)
	for {
		data := cmd.Next()
		if data == nil {
			break
		}
		msg, tooLarge, err := f.readMessage(data)
		if err != nil {
			// go-imap v2.0.0-beta.8 resumes its reader goroutine when a
			// literal read fails, so FetchCommand.Close would read the same
			// literal concurrently. Closing the connection stops both.
			f.s.client.Close()
			return received, fmt.Errorf("%w: fetch UIDs %s from %s: %w", ErrDropped, imap.UIDSetNum(uids...), f.s.addr, err)
		}
		if msg == nil || received[msg.UID] {
			continue // a FETCH response without the body, such as a flag update
		}
		received[msg.UID] = true
		if tooLarge {
			f.result.TooLarge = append(f.result.TooLarge, msg.UID)
			f.s.logger.Error("message skipped because it exceeds the size limit", "uid", uint32(msg.UID), "limit", f.opts.MaxSize)
			f.markDealt(msg.UID)
			continue
		}
		if err := f.deliver(msg); err != nil {
			cmd.Close()
			return received, err
		}
		f.result.HandedOver.AddNum(msg.UID)
		f.result.Count++
		f.result.Bytes += int64(len(msg.Data))
		f.markDealt(msg.UID)
	}
	if err := cmd.Close(); err != nil {
		var imapErr *imap.Error
		if errors.As(err, &imapErr) {
			// A NO after some messages still leaves the missing ones to
			// the retry.
			f.s.logger.Warn("UID FETCH failed", "server", f.s.addr, "error", err)
			return received, nil
		}
		return received, fmt.Errorf("%w: fetch UIDs %s from %s: %w", ErrDropped, imap.UIDSetNum(uids...), f.s.addr, err)
	}
	return received, nil
}

// markDealt records uid as dealt with and advances LastUID over the UIDs
// that all were.
func (f *fetcher) markDealt(uid imap.UID) {
	if f.dealt == nil {
		f.dealt = make(map[imap.UID]bool)
	}
	f.dealt[uid] = true
	for f.next < len(f.uids) && f.dealt[f.uids[f.next]] {
		delete(f.dealt, f.uids[f.next])
		f.result.LastUID = f.uids[f.next]
		f.next++
	}
}

// readMessage reads one FETCH response. It returns a nil message for a
// response without a body section, and tooLarge with the data dropped for
// a body over the limit.
func (f *fetcher) readMessage(data *imapclient.FetchMessageData) (*Message, bool, error) {
	msg := &Message{}
	var envelope *imap.Envelope
	haveBody, tooLarge := false, false
	for {
		item := data.Next()
		if item == nil {
			break
		}
		switch item := item.(type) {
		case imapclient.FetchItemDataUID:
			msg.UID = item.UID
		case imapclient.FetchItemDataInternalDate:
			msg.InternalDate = item.Time
		case imapclient.FetchItemDataEnvelope:
			envelope = item.Envelope
		case imapclient.FetchItemDataBodySection:
			if item.Literal == nil {
				continue
			}
			body, over, err := readLimited(item.Literal, item.Literal.Size(), f.opts.MaxSize)
			if err != nil {
				return nil, false, err
			}
			msg.Data, haveBody, tooLarge = body, true, over
		}
	}
	if !haveBody || msg.UID == 0 {
		return nil, false, nil
	}
	if tooLarge {
		return msg, true, nil
	}

	msg.Sender = parseSender(msg.Data, envelope)
	if envelope != nil {
		msg.MessageID = envelope.MessageID
	}
	if msg.InternalDate.IsZero() {
		msg.InternalDate = headerDate(msg.Data)
	}
	return msg, false, nil
}

// headerDate returns the Date header of a message, or the current time
// when it has none, for a server that sent no INTERNALDATE.
func headerDate(data []byte) time.Time {
	header, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(data)))
	if err == nil {
		if date, err := mail.ParseDate(header.Get("Date")); err == nil {
			return date
		}
	}
	return time.Now()
}

func parseSender(data []byte, envelope *imap.Envelope) string {
	header, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(data)))
	if err == nil && header.Has("Return-Path") {
		// RFC 5321 section 4.4: the delivering MTA adds Return-Path with
		// the reverse-path; "<>" is the null sender of a bounce.
		if addr, err := mail.ParseAddress(header.Get("Return-Path")); err == nil {
			return sanitizeSender(addr.Address)
		}
		path := strings.Trim(strings.TrimSpace(header.Get("Return-Path")), "<>")
		return sanitizeSender(path)
	}
	if envelope != nil {
		for _, list := range [][]imap.Address{envelope.Sender, envelope.From} {
			if len(list) > 0 && list[0].Addr() != "" {
				return sanitizeSender(list[0].Addr())
			}
		}
	}
	return ""
}

// sanitizeSender removes white space and control characters, because the
// sender is one word of the mbox postmark line.
func sanitizeSender(s string) string {
	return strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// readLimited reads r into memory up to limit bytes. Above the limit it
// discards the rest and returns nil and true.
func readLimited(r io.Reader, size, limit int64) ([]byte, bool, error) {
	var buf bytes.Buffer
	buf.Grow(int(min(size, limit)))
	n, err := io.Copy(&buf, io.LimitReader(r, limit+1))
	if err != nil {
		return nil, false, err
	}
	if n > limit {
		if _, err := io.Copy(io.Discard, r); err != nil {
			return nil, true, err
		}
		return nil, true, nil
	}
	return buf.Bytes(), false, nil
}
