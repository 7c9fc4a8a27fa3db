package cli

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// ParseDuration reads a -since or -until duration before now: a Go
// duration ("36h", "90m") with an optional leading number of days ("7d",
// "1d12h"), where a day is 24 hours. It accepts only positive durations.
func ParseDuration(s string) (time.Duration, error) {
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.ParseUint(s[:i], 10, 16)
		if err != nil {
			return 0, err
		}
		days = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
	}
	var rest time.Duration
	if s != "" {
		var err error
		if rest, err = time.ParseDuration(s); err != nil {
			return 0, err
		}
		if rest < 0 {
			return 0, errors.New("duration is negative")
		}
	}
	if days+rest <= 0 {
		return 0, errors.New("duration is not positive")
	}
	return days + rest, nil
}
