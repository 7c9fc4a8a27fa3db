package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"syscall"
)

// ExplainOpenError adds to a failed open of the file at path what the
// administrator has to do: create the directory, make the file writable
// by the user that runs program, or give a file rather than a directory.
// label names the file, such as "store", and outcome states what the
// failure left undone, such as "nothing was stored". Any other error is taken as
// passing, so the message ends with "try again later".
func ExplainOpenError(program, label, path string, err error, outcome string) error {
	dir := filepath.Dir(path)
	if errors.Is(err, fs.ErrNotExist) {
		if _, statErr := os.Stat(dir); errors.Is(statErr, fs.ErrNotExist) {
			return fmt.Errorf("%s directory %s does not exist: create it (mkdir -p %s) and make it writable by %s, "+
				"which runs %s; %s", label, dir, dir, CurrentUser(), program, outcome)
		}
	}
	if errors.Is(err, syscall.EISDIR) {
		return fmt.Errorf("%w: the %s %s is a directory; give the path of a file; %s", err, label, path, outcome)
	}
	var pathErr *fs.PathError
	if errors.Is(err, fs.ErrPermission) && errors.As(err, &pathErr) {
		return fmt.Errorf("%w: make %s and its directory %s writable by %s, which runs %s; %s",
			err, pathErr.Path, filepath.Dir(pathErr.Path), CurrentUser(), program, outcome)
	}
	return fmt.Errorf("%w; %s, try again later", err, outcome)
}

// CurrentUser names the user that runs the process, such as
// "user mail (uid 8)", or "uid 8" when the name cannot be looked up.
func CurrentUser() string {
	uid := os.Geteuid()
	u, err := user.LookupId(fmt.Sprint(uid))
	if err != nil {
		return fmt.Sprintf("uid %d", uid)
	}
	return fmt.Sprintf("user %s (uid %d)", u.Username, uid)
}
