package fetch

import (
	"errors"
	"fmt"
	"testing"

	"github.com/emersion/go-imap/v2"
)

func TestTrimResponseText(t *testing.T) {
	tests := []struct {
		text string
		want string
	}{
		{"Mailbox doesn't exist: Nope (0.001 + 0.000 secs).", "Mailbox doesn't exist: Nope"},
		{"Mailbox doesn't exist: Nope (0.001 + 0.000 + 0.002 secs).", "Mailbox doesn't exist: Nope"},
		{"Search failed (12.345 secs)", "Search failed"},
		{"[AUTHENTICATIONFAILED] Authentication failed.", "[AUTHENTICATIONFAILED] Authentication failed"},
		{"Mailbox is read-only", "Mailbox is read-only"},
		{"Took (long) secs.", "Took (long) secs"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := trimResponseText(tt.text); got != tt.want {
			t.Errorf("trimResponseText(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestWrapResponse(t *testing.T) {
	resp := &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeNonExistent,
		Text: "Mailbox doesn't exist: Nope (0.001 + 0.000 secs)."}
	err := fmt.Errorf("select mailbox %q: %w; check -mailbox", "Nope", wrapResponse(resp))

	want := `select mailbox "Nope": imap: NO [NONEXISTENT] Mailbox doesn't exist: Nope; check -mailbox`
	if err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	var got *imap.Error
	if !errors.As(err, &got) || got != resp {
		t.Errorf("errors.As does not find the *imap.Error")
	}

	other := errors.New("connection reset")
	if wrapResponse(other) != other {
		t.Errorf("wrapResponse changed an error that is no IMAP response")
	}
}
