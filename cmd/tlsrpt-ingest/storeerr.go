package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
)

// explainOpenError adds to a failed store.Open what the administrator has
// to do. The exit code stays 75 in every case, so that an MTA keeps the
// mail queued until the store can be written.
func explainOpenError(path string, err error) error {
	dir := filepath.Dir(path)
	if errors.Is(err, fs.ErrNotExist) {
		if _, statErr := os.Stat(dir); errors.Is(statErr, fs.ErrNotExist) {
			return fmt.Errorf("store directory %s does not exist: create it (mkdir -p %s) and make it writable by %s, "+
				"which runs %s; nothing was stored", dir, dir, currentUser(), program)
		}
	}

	var pathErr *fs.PathError
	if errors.Is(err, fs.ErrPermission) && errors.As(err, &pathErr) {
		return fmt.Errorf("%w: make %s and its directory %s writable by %s, which runs %s; nothing was stored",
			err, pathErr.Path, filepath.Dir(pathErr.Path), currentUser(), program)
	}
	return fmt.Errorf("%w; nothing was stored, try again later", err)
}

// currentUser names the user that runs the process, such as
// "user mail (uid 8)", or "uid 8" when the name cannot be looked up.
func currentUser() string {
	uid := os.Geteuid()
	u, err := user.LookupId(fmt.Sprint(uid))
	if err != nil {
		return fmt.Sprintf("uid %d", uid)
	}
	return fmt.Sprintf("user %s (uid %d)", u.Username, uid)
}
