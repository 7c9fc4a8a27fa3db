package fetch

import (
	"context"
	"crypto/x509"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/tlsrpt/tlsrpt/internal/imaptest"
)

func TestFetchOmittedUIDs(t *testing.T) {
	tests := []struct {
		name        string
		retries     int
		wantUIDs    []imap.UID
		wantMissing []imap.UID
		wantLastUID imap.UID // every UID up to it was handed over
	}{
		{"asked again", 2, []imap.UID{1, 3, 4, 6, 2, 5}, nil, 6},
		{"no retry", 0, []imap.UID{1, 3, 4, 6}, []imap.UID{2, 5}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var msgs []imaptest.Message
			for i := range 6 {
				msgs = append(msgs, imaptest.Message{Data: fmt.Appendf(nil, "Subject: %d\r\nMessage-ID: <%d@example.net>\r\n\r\nbody\r\n", i+1, i+1)})
			}
			server, err := imaptest.StartMemServer(imaptest.MemOptions{
				Mailboxes: map[string][]imaptest.Message{"INBOX": msgs},
				OmitOnce:  []imap.UID{2, 5},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer server.Close()

			roots := x509.NewCertPool()
			roots.AppendCertsFromPEM(server.CAPEM)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			session, err := Open(ctx, Options{
				Server: server.Host, Port: server.TLSPort, TLS: TLSImplicit, RootCAs: roots,
				User: server.User, Password: server.Password, Mailbox: "INBOX",
			})
			if err != nil {
				t.Fatal(err)
			}
			defer session.Close()

			var got []imap.UID
			deliver := func(m *Message) error {
				got = append(got, m.UID)
				return nil
			}
			result, err := session.Fetch(ctx, []imap.UID{1, 2, 3, 4, 5, 6}, FetchOptions{Retries: tt.retries}, deliver, func() error { return nil })
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.wantUIDs) {
				t.Errorf("delivered UIDs %v, want %v", got, tt.wantUIDs)
			}
			if !slices.Equal(result.Missing, tt.wantMissing) {
				t.Errorf("Missing = %v, want %v", result.Missing, tt.wantMissing)
			}
			if result.LastUID != tt.wantLastUID {
				t.Errorf("LastUID = %d, want %d", result.LastUID, tt.wantLastUID)
			}
		})
	}
}
