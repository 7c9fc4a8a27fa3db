package fetch

import (
	"context"
	"fmt"

	"github.com/emersion/go-imap/v2"
)

// afterBatch is how many UIDs one STORE, MOVE or COPY names at most, which
// keeps command lines short when the UIDs are not contiguous.
const afterBatch = 1000

// MarkSeen sets \Seen on the messages with the given UIDs.
func (s *Session) MarkSeen(ctx context.Context, uids imap.UIDSet) error {
	flags := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}
	return eachChunk(ctx, uids, func(chunk imap.UIDSet) error {
		if err := s.client.Store(chunk, flags, nil).Close(); err != nil {
			return s.commandError("mark UIDs "+chunk.String()+" as seen", err, "check that the mailbox is not read-only")
		}
		return nil
	})
}

// Move moves the messages with the given UIDs to the mailbox dest: with
// MOVE (RFC 6851) when the server has it, else with UID COPY, UID STORE
// +FLAGS \Deleted and UID EXPUNGE (RFC 4315). A server without UIDPLUS
// has no UID EXPUNGE, and a plain EXPUNGE would also remove other
// messages marked \Deleted, so there the copies are made and the originals
// only marked \Deleted, with a warning.
func (s *Session) Move(ctx context.Context, uids imap.UIDSet, dest string) error {
	caps := s.client.Caps()
	hint := fmt.Sprintf("check that the mailbox %q exists (create it once), that it separates levels as the server does "+
		"(Dovecot with Maildir uses \".\", as in Reports.Done), and that %q is not read-only", dest, s.opts.Mailbox)
	if caps.Has(imap.CapMove) || caps.Has(imap.CapIMAP4rev2) {
		return eachChunk(ctx, uids, func(chunk imap.UIDSet) error {
			if _, err := s.client.Move(chunk, dest).Wait(); err != nil {
				return s.commandError(fmt.Sprintf("move UIDs %s to %q", chunk, dest), err, hint)
			}
			return nil
		})
	}

	uidPlus := caps.Has(imap.CapUIDPlus)
	deleted := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}
	err := eachChunk(ctx, uids, func(chunk imap.UIDSet) error {
		if _, err := s.client.Copy(chunk, dest).Wait(); err != nil {
			return s.commandError(fmt.Sprintf("copy UIDs %s to %q", chunk, dest), err, hint)
		}
		if err := s.client.Store(chunk, deleted, nil).Close(); err != nil {
			return s.commandError(fmt.Sprintf("mark UIDs %s as deleted", chunk), err, hint)
		}
		if !uidPlus {
			return nil
		}
		if err := s.client.UIDExpunge(chunk).Close(); err != nil {
			return s.commandError(fmt.Sprintf("expunge UIDs %s", chunk), err, hint)
		}
		return nil
	})
	if err == nil && !uidPlus {
		s.logger.Warn("the server has neither MOVE nor UIDPLUS, so the messages were copied and marked \\Deleted but not expunged",
			"server", s.addr, "mailbox", s.opts.Mailbox, "to", dest)
	}
	return err
}

func eachChunk(ctx context.Context, uids imap.UIDSet, do func(imap.UIDSet) error) error {
	nums, ok := uids.Nums()
	if !ok {
		return fmt.Errorf("UID set %s is open-ended", uids)
	}
	for start := 0; start < len(nums); start += afterBatch {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := do(imap.UIDSetNum(nums[start:min(start+afterBatch, len(nums))]...)); err != nil {
			return err
		}
	}
	return nil
}
